// Names a school never wants accounts for (e.g. test pupils, governors recorded as staff).
import type { Db } from 'mongodb';
import { personNameKey } from '../domain/names.js';

export interface ExclusionDoc {
  dfeNumber: string;
  /** "forename|surname" normalised, with "|YYYY-MM-DD" when only the person born that day is meant. */
  nameKey: string;
  name: string;
  dateOfBirth?: string;
  addedBy: string;
  addedAt: Date;
}

const coll = (db: Db) => db.collection<ExclusionDoc>('exclusions');

const keyOf = (forename: string, surname: string, dateOfBirth?: string) =>
  `${personNameKey(forename, surname)}${dateOfBirth ? `|${dateOfBirth}` : ''}`;

export async function addExclusion(
  db: Db,
  dfeNumber: string,
  forename: string,
  surname: string,
  by: string,
  dateOfBirth?: string,
): Promise<boolean> {
  const nameKey = keyOf(forename, surname, dateOfBirth);
  const res = await coll(db).updateOne(
    { dfeNumber, nameKey },
    {
      $setOnInsert: {
        dfeNumber,
        nameKey,
        name: `${forename} ${surname}`,
        ...(dateOfBirth ? { dateOfBirth } : {}),
        addedBy: by,
        addedAt: new Date(),
      },
    },
    { upsert: true },
  );
  return res.upsertedCount === 1;
}

export async function removeExclusion(
  db: Db,
  dfeNumber: string,
  forename: string,
  surname: string,
  dateOfBirth?: string,
): Promise<boolean> {
  return (await coll(db).deleteOne({ dfeNumber, nameKey: keyOf(forename, surname, dateOfBirth) })).deletedCount === 1;
}

/** Removes an exclusion by its key (as listed). */
export async function removeExclusionKey(
  db: Db,
  dfeNumber: string,
  nameKey: string,
): Promise<ExclusionDoc | undefined> {
  const found = await coll(db).findOne({ dfeNumber, nameKey });
  if (!found) return undefined;
  await coll(db).deleteOne({ dfeNumber, nameKey });
  return found;
}

export async function listExclusions(db: Db, dfeNumber: string): Promise<ExclusionDoc[]> {
  return coll(db).find({ dfeNumber }).sort({ name: 1 }).toArray();
}

export async function exclusionKeys(db: Db, dfeNumber: string): Promise<Set<string>> {
  return new Set((await listExclusions(db, dfeNumber)).map((e) => e.nameKey));
}
