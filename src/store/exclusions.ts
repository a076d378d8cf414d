// Names a school never wants accounts for (e.g. test pupils, governors recorded as staff). Each is kept under
// `_id` DfE number ':' name key, so a run reads its school's as one range of ids, not the LA's (on the embedded
// store a query by school decodes every exclusion there is).
import type { Db } from 'mongodb';
import { personNameKey } from '../domain/names.js';
import { schoolDocsById } from './by-id.js';
import { upsertRacing } from './write-errors.js';

export interface ExclusionDoc {
  _id: string;
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

/** An exclusion's `_id`. */
export const exclusionId = (dfeNumber: string, nameKey: string) => `${dfeNumber}:${nameKey}`;

export async function addExclusion(
  db: Db,
  dfeNumber: string,
  forename: string,
  surname: string,
  by: string,
  dateOfBirth?: string,
): Promise<boolean> {
  const nameKey = keyOf(forename, surname, dateOfBirth);
  // two admins adding the same name at once: one makes it, the other finds it there
  const res = await upsertRacing(() =>
    coll(db).updateOne(
      { _id: exclusionId(dfeNumber, nameKey) },
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
    ),
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
  return (
    (await coll(db).deleteOne({ _id: exclusionId(dfeNumber, keyOf(forename, surname, dateOfBirth)) })).deletedCount ===
    1
  );
}

/** Removes an exclusion by its key (as listed). */
export async function removeExclusionKey(
  db: Db,
  dfeNumber: string,
  nameKey: string,
): Promise<ExclusionDoc | undefined> {
  const _id = exclusionId(dfeNumber, nameKey);
  const found = await coll(db).findOne({ _id });
  if (!found) return undefined;
  await coll(db).deleteOne({ _id });
  return found;
}

export async function listExclusions(db: Db, dfeNumber: string): Promise<ExclusionDoc[]> {
  return (await schoolDocsById(coll(db), dfeNumber)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export async function exclusionKeys(db: Db, dfeNumber: string): Promise<Set<string>> {
  return new Set((await listExclusions(db, dfeNumber)).map((e) => e.nameKey));
}
