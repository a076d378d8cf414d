// Removing one person from every place the store keeps them: MIS records inside stored export files, a school's
// contacts, groups and attendance, run outcomes and held changes, held matches, decisions, the audit about them, and
// the account itself. Each function returns how many documents it changed.
import type { Db } from 'mongodb';
import { chunkRecords, packRecords, type ExportChunk } from './exports.js';
import { dropSchoolDataState, forgetSchoolDataHashes, type StoredRecords } from './schoolData.js';
import { packRunDetail, runDetailOf, type RunDetailDoc } from './runs.js';

type Rec = Record<string, unknown>;

/** Is this record about one of the people? (students and staff by id; attendance marks by the pupil.) */
const aboutPerson = (r: Rec, ids: ReadonlySet<string>) =>
  ids.has(String(r.personId ?? '')) || ids.has(String(r.studentPersonId ?? ''));

/** A contact without its links to the people; undefined when the contact was there only for them. */
function contactWithout(c: Rec, ids: ReadonlySet<string>): Rec | undefined {
  const links = (c.relationships as Rec[] | undefined) ?? [];
  const kept = links.filter((l) => !ids.has(String(l.studentPersonId ?? '')));
  if (kept.length === links.length) return c;
  return kept.length ? { ...c, relationships: kept } : undefined;
}

/** A group without the people among its members. */
function groupWithout(g: Rec, ids: ReadonlySet<string>): Rec {
  const strip = (key: string) => ((g[key] as string[] | undefined) ?? []).filter((id) => !ids.has(id));
  return { ...g, studentPersonIds: strip('studentPersonIds'), staffPersonIds: strip('staffPersonIds') };
}

/** Records of one report with the people taken out. */
export function recordsWithout(report: string, records: readonly Rec[], ids: ReadonlySet<string>): Rec[] {
  if (report === 'contacts') return records.map((c) => contactWithout(c, ids)).filter((c): c is Rec => !!c);
  if (report === 'groups') return records.map((g) => groupWithout(g, ids));
  return records.filter((r) => !aboutPerson(r, ids));
}

/** Takes the people out of every stored export file of the school. */
export async function eraseFromExports(db: Db, dfeNumber: string, ids: ReadonlySet<string>): Promise<number> {
  const exportIds = (
    await db.collection('exports').find({ dfeNumber }).project<{ _id: unknown }>({ _id: 1 }).toArray()
  ).map((e) => e._id);
  if (exportIds.length === 0) return 0;
  let changed = 0;
  const chunks = db.collection<ExportChunk>('exportChunks');
  for (const chunk of await chunks.find({ exportId: { $in: exportIds } } as never).toArray()) {
    const records = chunkRecords(chunk) as Rec[];
    const kept = recordsWithout(chunk.report, records, ids);
    if (JSON.stringify(kept) === JSON.stringify(records)) continue;
    await chunks.updateOne({ _id: chunk._id }, { $set: { data: packRecords(kept) }, $unset: { records: '' } });
    changed++;
  }
  return changed;
}

/** Takes the people out of the school's stored contacts, groups and attendance. */
export async function eraseFromSchoolData(db: Db, dfeNumber: string, ids: ReadonlySet<string>): Promise<number> {
  let changed = 0;
  for (const report of ['contacts', 'groups', 'attendance'] as const) {
    const coll = db.collection<StoredRecords>(report);
    for (const doc of await coll.find({ _id: { $regex: `^${dfeNumber}:` } }).toArray()) {
      const records = chunkRecords({ ...doc, records: doc.records ?? doc.marks }) as Rec[];
      const kept = recordsWithout(report, records, ids);
      if (JSON.stringify(kept) === JSON.stringify(records)) continue;
      await coll.updateOne({ _id: doc._id }, { $set: { data: packRecords(kept) }, $unset: { records: '', marks: '' } });
      changed++;
    }
  }
  // the stored content hashes no longer describe what is kept: the next export rewrites them
  if (changed) await forgetSchoolDataHashes(db, dfeNumber);
  return changed;
}

/** Takes the person out of the school's run outcomes and held changes. */
export async function eraseFromRuns(
  db: Db,
  dfeNumber: string,
  ids: ReadonlySet<string>,
  username: string,
): Promise<number> {
  const runIds = (
    await db.collection<{ _id: string }>('runs').find({ dfeNumber }).project<{ _id: string }>({ _id: 1 }).toArray()
  ).map((r) => r._id);
  if (runIds.length === 0) return 0;
  const coll = db.collection<RunDetailDoc>('runOutcomes');
  let changed = 0;
  for (const doc of await coll.find({ _id: { $in: runIds } }).toArray()) {
    const detail = runDetailOf(doc);
    const outcomes = detail.outcomes.filter((o) => !ids.has(String(o.personId)) && o.username !== username);
    const held = detail.held.filter((h) => h.username !== username && !ids.has(String(h.personId)));
    if (outcomes.length === detail.outcomes.length && held.length === detail.held.length) continue;
    // written whole and packed: the plain fields of a document kept before go with it
    await coll.replaceOne({ _id: doc._id }, packRunDetail({ outcomes, held }));
    changed++;
  }
  return changed;
}

/** Held matches of the people (their MIS details) or onto the account, and decisions naming the account. */
export async function eraseMatchesAndDecisions(
  db: Db,
  dfeNumber: string,
  ids: ReadonlySet<string>,
  username: string,
): Promise<number> {
  const matches = await db
    .collection<{ _id: string }>('matches')
    .deleteMany({ $or: [{ dfeNumber, misPersonId: { $in: [...ids] } }, { username }] });
  const decisions = await db.collection('heldDecisions').deleteMany({ username });
  return matches.deletedCount + decisions.deletedCount;
}

/** The audit entries about the account (the tombstone written after replaces them). */
export async function eraseAuditOf(db: Db, username: string): Promise<number> {
  return (await db.collection('audit').deleteMany({ username })).deletedCount;
}

/** Erases a school's stored data of the given reports: its contacts, groups, attendance, and those reports in its export files. */
export async function eraseSchoolReports(
  db: Db,
  dfeNumber: string,
  reports: readonly string[],
): Promise<{ documents: number; exportChunks: number }> {
  let documents = 0;
  for (const report of reports.filter((r): r is 'contacts' | 'groups' | 'attendance' =>
    ['contacts', 'groups', 'attendance'].includes(r),
  )) {
    documents += (await db.collection<{ _id: string }>(report).deleteMany({ _id: { $regex: `^${dfeNumber}:` } }))
      .deletedCount;
    await dropSchoolDataState(db, dfeNumber, report);
  }
  const exportIds = (
    await db.collection('exports').find({ dfeNumber }).project<{ _id: unknown }>({ _id: 1 }).toArray()
  ).map((e) => e._id);
  const exportChunks = exportIds.length
    ? (
        await db
          .collection('exportChunks')
          .deleteMany({ exportId: { $in: exportIds }, report: { $in: [...reports] } } as never)
      ).deletedCount
    : 0;
  return { documents, exportChunks };
}

/** Deletes every export file of a school with its chunks; returns the files deleted. */
export async function deleteSchoolExports(db: Db, dfeNumber: string): Promise<number> {
  const ids = (await db.collection('exports').find({ dfeNumber }).project<{ _id: unknown }>({ _id: 1 }).toArray()).map(
    (e) => e._id,
  );
  if (ids.length === 0) return 0;
  await db.collection('exportChunks').deleteMany({ exportId: { $in: ids } } as never);
  return (await db.collection('exports').deleteMany({ _id: { $in: ids } } as never)).deletedCount;
}
