// Names a school never wants accounts for (e.g. test pupils, governors recorded as staff).
import type { Db } from 'mongodb';
import { personNameKey } from '../domain/names.js';

export interface ExclusionDoc {
  dfeNumber: string;
  nameKey: string;
  name: string;
  addedBy: string;
  addedAt: Date;
}

const coll = (db: Db) => db.collection<ExclusionDoc>('exclusions');

export async function addExclusion(
  db: Db,
  dfeNumber: string,
  forename: string,
  surname: string,
  by: string,
): Promise<boolean> {
  const nameKey = personNameKey(forename, surname);
  const res = await coll(db).updateOne(
    { dfeNumber, nameKey },
    { $setOnInsert: { dfeNumber, nameKey, name: `${forename} ${surname}`, addedBy: by, addedAt: new Date() } },
    { upsert: true },
  );
  return res.upsertedCount === 1;
}

export async function removeExclusion(db: Db, dfeNumber: string, forename: string, surname: string): Promise<boolean> {
  return (await coll(db).deleteOne({ dfeNumber, nameKey: personNameKey(forename, surname) })).deletedCount === 1;
}

export async function listExclusions(db: Db, dfeNumber: string): Promise<ExclusionDoc[]> {
  return coll(db).find({ dfeNumber }).sort({ name: 1 }).toArray();
}

export async function exclusionKeys(db: Db, dfeNumber: string): Promise<Set<string>> {
  return new Set((await listExclusions(db, dfeNumber)).map((e) => e.nameKey));
}
