// A school's newcomers' look-alikes elsewhere in the LA, found through the look-alike index: each newcomer's keys
// are read by `_id` (domain/lookalike-keys.ts), the entries there are sifted with the matcher's own test, and only
// the accounts that pass are read. So a run reads what its newcomers could match, not its LA: its cost does not
// grow with the LA but with the blocks its newcomers fall in. Until the index is complete (a store from before it,
// or one being rebuilt) the older search is used; it is used too for a newcomer with no birth date, whom the keys do
// not cover, and for the schools whose new accounts wait to be filed (a first sync tonight), whose rosters it reads.
import type { Db } from 'mongodb';
import { accountsByUsername, accountsUnderKeys } from '../store/accounts.js';
import { laSchoolCounts } from '../store/la-population.js';
import { lookalikeIndexReady, pendingSchools, readKeys, readPrefix } from '../store/lookalikes.js';
import { lookupBlockKeys, type MatchablePerson } from '../domain/blocking.js';
import {
  birthsPrefix,
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
  const [ready, pending, counts] = await Promise.all([
    lookalikeIndexReady(db),
    pendingSchools(db, laCode),
    laSchoolCounts(db, laCode),
  ]);
  const keyed: { person: MatchablePerson; keys: string[] }[] = [];
  const uncovered: MatchablePerson[] = [];
  for (const person of newcomers) {
    const keys = lookupKeys(person, laCode);
    if (keys) keyed.push({ person, keys });
    else uncovered.push(person);
  }
  const keys = [...new Set(keyed.flatMap((k) => k.keys))];
  // schools whose new accounts wait to be filed (a first sync tonight) are read the older way, whole; a key costs
  // about what an account of a roster does to look through, so on a first night, with more keys than the LA has
  // filed accounts elsewhere, every roster is read instead
  const unfiledSchools = [...pending.keys()].filter((d) => d !== dfeNumber);
  const filedElsewhere = Object.entries(counts)
    .filter(([school]) => school !== dfeNumber && !pending.has(school))
    .reduce((sum, [, n]) => sum + n, 0);
  if (!ready || (unfiledSchools.length > 0 && keys.length > filedElsewhere))
    return { accounts: await accountsUnderKeys(db, laCode, blockKeysOf(newcomers), dfeNumber) };

  const filed = await readKeys(db, keys);

  const wanted = new Set<string>();
  const surnamesToCount = new Set<string>();
  const birthsToCount = new Set<string>();
  for (const { person, keys } of keyed)
    for (const key of keys)
      for (const entry of filed.get(key) ?? []) {
        const kind = lookalikeKind(person, entry);
        // the school's own accounts come from its roster
        if (kind && !own.has(entry.username)) wanted.add(entry.username);
        if (kind !== 'weigh') continue;
        // a pair the weights compare: they count how common the person's surname and birth date are in the LA
        if (wholeSurname(person)) surnamesToCount.add(wholeSurname(person));
        if (person.dateOfBirth) birthsToCount.add(person.dateOfBirth);
      }

  const [found, surnames, births, older, fromUnfiled] = await Promise.all([
    accountsByUsername(db, [...wanted]),
    countIn(db, surnamesToCount, (s) => namesakesPrefix(laCode, s), wholeSurname),
    countIn(
      db,
      birthsToCount,
      (day) => birthsPrefix(laCode, day),
      (e) => e.dateOfBirth,
    ),
    uncovered.length ? accountsUnderKeys(db, laCode, blockKeysOf(uncovered), dfeNumber) : Promise.resolve([]),
    unfiledSchools.length
      ? accountsUnderKeys(db, laCode, blockKeysOf(newcomers), dfeNumber, unfiledSchools)
      : Promise.resolve([]),
  ]);
  // an entry left by a crash may name an account that has since changed or gone: the plan compares the account as
  // it is; one at this school is read from its roster
  const accounts = new Map<string, Account>();
  for (const a of [...found, ...older, ...fromUnfiled])
    if (!a.associations.some((x) => x.dfeNumber === dfeNumber)) accounts.set(a.username, a);
  return { accounts: [...accounts.values()], counts: { surnames, births } };
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
