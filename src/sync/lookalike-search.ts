// A school's newcomers' look-alikes elsewhere in the LA, found through the look-alike index: each newcomer's keys
// are read by `_id` (domain/lookalike-keys.ts), the entries there are sifted with the matcher's own test, and only
// the accounts that pass are read. So a run reads what its newcomers could match, not its LA: its cost does not
// grow with the LA but with the blocks its newcomers fall in. Until the index is complete (a store from before it,
// or one being rebuilt) the older search is used, and it is used for a newcomer with no birth date, whom the keys do
// not cover.
import type { Db } from 'mongodb';
import { accountsByUsername, accountsUnderKeys } from '../store/accounts.js';
import { lookalikeIndexReady, readKeys, readPrefix } from '../store/lookalikes.js';
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
  if (!(await lookalikeIndexReady(db)))
    return { accounts: await accountsUnderKeys(db, laCode, blockKeysOf(newcomers), dfeNumber) };

  const keyed: { person: MatchablePerson; keys: string[] }[] = [];
  const uncovered: MatchablePerson[] = [];
  for (const person of newcomers) {
    const keys = lookupKeys(person, laCode);
    if (keys) keyed.push({ person, keys });
    else uncovered.push(person);
  }
  const filed = await readKeys(db, [...new Set(keyed.flatMap((k) => k.keys))]);

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

  const [found, surnames, births, older] = await Promise.all([
    accountsByUsername(db, [...wanted]),
    countIn(db, surnamesToCount, (s) => namesakesPrefix(laCode, s), wholeSurname),
    countIn(
      db,
      birthsToCount,
      (day) => birthsPrefix(laCode, day),
      (e) => e.dateOfBirth,
    ),
    uncovered.length ? accountsUnderKeys(db, laCode, blockKeysOf(uncovered), dfeNumber) : Promise.resolve([]),
  ]);
  // an entry left by a crash may name an account that has since changed or gone: the plan compares the account as
  // it is; one at this school is read from its roster
  const accounts = new Map<string, Account>();
  for (const a of [...found, ...older])
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
