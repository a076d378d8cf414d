// How many accounts each school of an LA holds, in one small document per LA, so a school's run learns the size of
// the population its look-alikes are weighed against with one `_id` read (never a count over the LA's accounts, which
// the embedded store would answer by reading all of them).
import type { Db } from 'mongodb';
import { upsertRacing } from './write-errors.js';

interface PopulationDoc {
  _id: string;
  /** Accounts held by each school, as its last run with a newcomer read them. */
  schools: Record<string, number>;
}

const coll = (db: Db) => db.collection<PopulationDoc>('globals');
const idOf = (laCode: string) => `population:${laCode}`;

/**
 * The number of accounts in the LA, with this school's own count brought up to date (written only when it moved, so
 * an unchanged night writes nothing).
 */
export async function laPopulation(db: Db, laCode: string, dfeNumber: string, ownAccounts: number): Promise<number> {
  const _id = idOf(laCode);
  const doc = await coll(db).findOne({ _id });
  const schools = { ...doc?.schools, [dfeNumber]: ownAccounts };
  if (doc?.schools[dfeNumber] !== ownAccounts) {
    // two schools of a new LA making its document at once: one insert loses, and its retry updates
    await upsertRacing(() =>
      coll(db).updateOne({ _id }, { $set: { [`schools.${dfeNumber}`]: ownAccounts } }, { upsert: true }),
    );
  }
  return Object.values(schools).reduce((sum, n) => sum + n, 0);
}

/** How many accounts each school of the LA held at its last run (none for a school never run). */
export async function laSchoolCounts(db: Db, laCode: string): Promise<Record<string, number>> {
  return (await coll(db).findOne({ _id: idOf(laCode) }))?.schools ?? {};
}
