// A school's newcomers' look-alikes elsewhere in the LA, found through the look-alike index: each newcomer's keys
// are read by `_id` (domain/lookalike-keys.ts), the entries there are sifted with the matcher's own test, and only
// the accounts that pass are read. So a run reads what its newcomers could match, not its LA: its cost does not
// grow with the LA but with the blocks its newcomers fall in. Until the index is complete (a store from before it,
// or one being rebuilt) the older search is used; it is used too for a newcomer with no birth date, whom the keys do
// not cover, and for the schools whose new accounts wait to be filed (a first sync tonight), whose rosters it reads.
import type { Db } from 'mongodb';
import { accountsByUsername } from '../store/accounts.js';
import { accountsUnderKeys, lookalikesInRosters } from '../store/roster-search.js';
import { laSchoolCounts } from '../store/la-population.js';
import { lookalikeIndexReady, pendingSchools, readKeys, readPrefix } from '../store/lookalikes.js';
import { lookupBlockKeys, type MatchablePerson } from '../domain/blocking.js';
import {
  birthsPrefix,
  keyPrefix,
  lookupKeys,
  namesakesPrefix,
  wholeSurname,
  type IndexedPerson,
} from '../domain/lookalike-keys.js';
import type { Account } from '../domain/model.js';
import { lookalikeKind, type MatchContext } from './match.js';

export interface LookalikesFound {
  /** Accounts of the LA not at the school that may be one of its newcomers. */
  accounts: Account[];
  /** The LA's counts of the newcomers' surnames and birth dates, when `accounts` is not every account with them. */
  counts?: MatchContext['counts'];
}

/** The look-alikes elsewhere in the LA of the school's newcomers (`own`: the usernames of its own accounts). */
export async function lookalikesElsewhere(
  db: Db,
  laCode: string,
  dfeNumber: string,
  newcomers: readonly MatchablePerson[],
  own: ReadonlySet<string>,
): Promise<LookalikesFound> {
  if (newcomers.length === 0) return { accounts: [] };
  const blockKeysOf = (people: readonly MatchablePerson[]) => [
    ...new Set(people.flatMap((p) => lookupBlockKeys(p, laCode))),
  ];
  const [ready, pending, schoolCounts] = await Promise.all([
    lookalikeIndexReady(db),
    pendingSchools(db, laCode),
    laSchoolCounts(db, laCode),
  ]);
  const olderSearch = async (schools?: readonly string[]) =>
    accountsUnderKeys(db, laCode, blockKeysOf(newcomers), dfeNumber, schools);
  if (!ready) return { accounts: await olderSearch() };
  const keyed: { person: MatchablePerson; keys: string[] }[] = [];
  const uncovered: MatchablePerson[] = [];
  for (const person of newcomers) {
    const keys = lookupKeys(person, laCode);
    if (keys) keyed.push({ person, keys });
    else uncovered.push(person);
  }
  const keys = [...new Set(keyed.flatMap((k) => k.keys))];
  const tally = new RosterTally(laCode, newcomers);
  // a key costs about what an account of a roster does to look through: on a night when schools wait to be filed,
  // with more keys than the LA has filed accounts elsewhere, every roster is read, by the same keys, instead of the
  // index (the LA's counts come from its runs: an LA whose schools have not all run since may count too few)
  const unfiledSchools = [...pending.keys()].filter((d) => d !== dfeNumber);
  const filedElsewhere = Object.entries(schoolCounts)
    .filter(([school]) => school !== dfeNumber && !pending.has(school))
    .reduce((sum, [, n]) => sum + n, 0);
  if (unfiledSchools.length > 0 && keys.length > filedElsewhere) {
    const wanted = new Set([...keys, ...blockKeysOf(uncovered)]);
    const accounts = await lookalikesInRosters(db, laCode, {
      keys: wanted,
      notAt: dfeNumber,
      tally: tally.see,
      tallyNotAt: true,
    });
    if (!accounts) return { accounts: await olderSearch() };
    return { accounts, counts: tally.counts() };
  }

  // accounts filed in the index, and those of schools whose new accounts wait to be filed, from their rosters
  const [filed, unfiled] = await Promise.all([
    readKeys(db, keys),
    unfiledSchools.length
      ? lookalikesInRosters(db, laCode, {
          schools: unfiledSchools,
          keys: new Set(keys),
          notAt: dfeNumber,
          tally: tally.see,
          // the school's own filed accounts are counted in the index; waiting ones, from its roster
          tallyNotAt: pending.has(dfeNumber),
        })
      : Promise.resolve([]),
  ]);
  const wanted = new Set<string>();
  const toCount = { surnames: new Set<string>(), births: new Set<string>() };
  const weighed = (person: MatchablePerson) => {
    // a pair the weights compare: they count how common the person's surname and birth date are in the LA
    if (wholeSurname(person)) toCount.surnames.add(wholeSurname(person));
    if (person.dateOfBirth) toCount.births.add(person.dateOfBirth);
  };
  for (const { person, keys } of keyed)
    for (const key of keys)
      for (const entry of filed.get(key) ?? []) {
        const kind = lookalikeKind(person, entry);
        // the school's own accounts come from its roster
        if (kind && !own.has(entry.username)) wanted.add(entry.username);
        if (kind === 'weigh') weighed(person);
      }
  if (unfiled) for (const person of weighedAgainst(keyed, unfiled)) weighed(person);

  const [found, surnames, births, older, unfiledAfterAll] = await Promise.all([
    accountsByUsername(db, [...wanted]),
    countIn(db, toCount.surnames, (s) => namesakesPrefix(laCode, s), wholeSurname),
    countIn(
      db,
      toCount.births,
      (day) => birthsPrefix(laCode, day),
      (e) => e.dateOfBirth,
    ),
    uncovered.length ? accountsUnderKeys(db, laCode, blockKeysOf(uncovered), dfeNumber) : Promise.resolve([]),
    // a roster not current: those schools are searched the older way
    unfiled ?? olderSearch(unfiledSchools),
  ]);
  // an entry left by a crash may name an account that has since changed or gone: the plan compares the account as
  // it is; one at this school is read from its roster
  const accounts = new Map<string, Account>();
  for (const a of [...found, ...older, ...unfiledAfterAll])
    if (!a.associations.some((x) => x.dfeNumber === dfeNumber)) accounts.set(a.username, a);
  // the index's counts leave out accounts waiting to be filed: the rosters' are added (an account filed and also
  // waiting, at a school with new accounts tonight, counts twice: its names are taken as a little more common)
  const fromRosters = tally.counts();
  return {
    accounts: [...accounts.values()],
    counts: { surnames: added(surnames, fromRosters.surnames), births: added(births, fromRosters.births) },
  };
}

/** The newcomers who make a pair the weights compare with one of the accounts (found by their exact values). */
function weighedAgainst(
  keyed: readonly { person: MatchablePerson }[],
  accounts: readonly Account[],
): MatchablePerson[] {
  const bySurname = new Map<string, Account[]>();
  const byBirth = new Map<string, Account[]>();
  const put = (map: Map<string, Account[]>, value: string | undefined, a: Account) => {
    if (!value) return;
    const list = map.get(value);
    if (list) list.push(a);
    else map.set(value, [a]);
  };
  for (const a of accounts) {
    put(bySurname, wholeSurname(a), a);
    put(byBirth, a.dateOfBirth, a);
  }
  // two of forename, surname and birth date agree exactly: the surname or the birth date is one of them
  return keyed
    .filter(({ person }) =>
      [
        ...(bySurname.get(wholeSurname(person)) ?? []),
        ...(person.dateOfBirth ? (byBirth.get(person.dateOfBirth) ?? []) : []),
      ].some((a) => lookalikeKind(person, a) === 'weigh'),
    )
    .map(({ person }) => person);
}

const added = (a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>) => {
  const out = new Map(a);
  for (const [k, n] of b) out.set(k, (out.get(k) ?? 0) + n);
  return out;
};

/**
 * Counts, across the rosters read, the accounts with each newcomer's surname and birth date: the accounts under
 * each `namesakesPrefix` and `birthsPrefix` (as `countIn` does in the index), from the keys the rosters keep.
 */
class RosterTally {
  private readonly wanted = new Map<string, { kind: 'surnames' | 'births'; value: string }>();
  private readonly seen = new Map<string, number>();

  constructor(laCode: string, people: readonly MatchablePerson[]) {
    for (const person of people) {
      const surname = wholeSurname(person);
      if (surname) this.wanted.set(namesakesPrefix(laCode, surname), { kind: 'surnames', value: surname });
      if (person.dateOfBirth)
        this.wanted.set(birthsPrefix(laCode, person.dateOfBirth), { kind: 'births', value: person.dateOfBirth });
    }
  }

  readonly see = (keys: readonly string[]) => {
    const prefixes = new Set<string>();
    for (const key of keys) {
      const prefix = keyPrefix(key);
      if (prefix && this.wanted.has(prefix)) prefixes.add(prefix);
    }
    for (const prefix of prefixes) this.seen.set(prefix, (this.seen.get(prefix) ?? 0) + 1);
  };

  counts(): { surnames: Map<string, number>; births: Map<string, number> } {
    const out = { surnames: new Map<string, number>(), births: new Map<string, number>() };
    for (const [prefix, n] of this.seen) {
      const { kind, value } = this.wanted.get(prefix)!;
      out[kind].set(value, n);
    }
    return out;
  }
}

/**
 * How many accounts of the LA have each value: everyone with it is filed under a key with the prefix `keysOf`
 * gives (a surname under its exact-names keys, a birth date under its initials), read together as one range. Only
 * values the weights will compare are counted: a common one is many entries.
 */
async function countIn(
  db: Db,
  values: ReadonlySet<string>,
  keysOf: (value: string) => string,
  valueOf: (entry: IndexedPerson) => string | undefined,
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const value of values) {
    const entries = await readPrefix(db, keysOf(value));
    out.set(value, new Set(entries.filter((e) => valueOf(e) === value).map((e) => e.username)).size);
  }
  return out;
}
