// Look-alikes read from schools' rosters (store/rosters.ts) rather than from the accounts collection: one `_id`
// lookup a school, whose packed keys say which of its accounts to decode. A roster keeps each account's block keys
// and its look-alike index keys, so it answers both the older search (block keys) and the index's (for a school
// whose new accounts wait to be filed, or when reading the LA's rosters costs less than looking up the keys). A
// school's roster is decoded, filtered and let go before the next, so memory stays bounded by the largest school.
import type { Db } from 'mongodb';
import type { Account } from '../domain/model.js';
import { coll, docSchools, fromDoc, rosterKeys, type RosterEntry } from './accounts.js';
import { scansEveryQuery } from './kind.js';
import { rosterEntriesWithKeys } from './rosters.js';
import { schoolsInLa } from './schools.js';

/**
 * The LA's accounts under any of the block keys that are not at the given school (its own are read apart). On the
 * embedded store they come from the rosters of the LA's schools when all are current: the query below would decode
 * every account there is.
 */
export async function accountsUnderKeys(
  db: Db,
  laCode: string,
  blockKeys: readonly string[],
  notAt: string,
  /** Only these schools' accounts are wanted (others may come too): by default, every school of the LA. */
  schools?: readonly string[],
): Promise<Account[]> {
  if (scansEveryQuery(db)) {
    const laSchools = schools ?? (await schoolsInLa(db, laCode)).map((s) => s.dfeNumber);
    const others = laSchools.filter((d) => d !== notAt);
    const fromRosters = await fromSchoolRosters(db, others, new Set(blockKeys), notAt, {});
    if (fromRosters) return fromRosters;
  }
  return (
    await coll(db)
      .find({ blockKeys: { $in: [...blockKeys] }, schools: { $ne: notAt } })
      .toArray()
  ).map(fromDoc);
}

/**
 * The accounts of these schools (every school of the LA when none are given) filed, or to be filed, under any of
 * the keys (look-alike index keys, or block keys), except those at `notAt`. `tally` sees the keys of every account
 * of those schools (an account at two of them, twice), and of `notAt` too with `tallyNotAt`. Undefined when a
 * roster is not current: the caller searches the older way.
 */
export async function lookalikesInRosters(
  db: Db,
  laCode: string,
  search: {
    schools?: readonly string[];
    keys: ReadonlySet<string>;
    notAt: string;
    tally: (keys: readonly string[]) => void;
    tallyNotAt: boolean;
  },
): Promise<Account[] | undefined> {
  const { keys, notAt, tally, tallyNotAt } = search;
  const from = (search.schools ?? (await schoolsInLa(db, laCode)).map((s) => s.dfeNumber)).filter((d) => d !== notAt);
  return fromSchoolRosters(db, tallyNotAt ? [...from, notAt] : from, keys, notAt, {
    keys: rosterKeys,
    tally,
  });
}

async function fromSchoolRosters(
  db: Db,
  schools: readonly string[],
  wanted: ReadonlySet<string>,
  notAt: string,
  options: Omit<NonNullable<Parameters<typeof rosterEntriesWithKeys>[3]>, 'tallyOnly'>,
): Promise<Account[] | undefined> {
  const found = new Map<string, Account>();
  for (const school of schools) {
    const entries = await rosterEntriesWithKeys(db, school, wanted, { ...options, tallyOnly: school === notAt });
    if (!entries) return undefined;
    for (const entry of entries as RosterEntry[]) {
      if (found.has(entry._id)) continue;
      if (docSchools(entry).includes(notAt)) continue;
      found.set(entry._id, fromDoc(entry));
    }
  }
  return [...found.values()];
}
