// A school's contacts, groups and attendance from its accepted reports, kept in documents keyed by school (and
// date, for attendance) so every read and write is an `_id` lookup, each holding its records deflated in one binary
// field (as export chunks are). A report is rewritten only when the hash of its records as exported changed, so
// re-processing the same export neither parses nor writes anything here. What is stored of the three (each one's
// hash, and its chunks or days) is one document a school, `data:DFE`, read once a run (a store made by an earlier
// version has one a report, `data:DFE:REPORT`: read while there is no school document, and folded into it).
import { createHash } from 'node:crypto';
import type { AnyBulkWriteOperation, Binary, Db } from 'mongodb';
import { chunkRecords, packRecords } from './exports.js';
import { bulkWriteInBatches } from './bulk.js';
import type { AttendanceMark, Contact, Group } from '../domain/records.js';
import { upsertRacing } from './write-errors.js';

type DataReport = 'contacts' | 'groups' | 'attendance';
const DATA_REPORTS: readonly DataReport[] = ['contacts', 'groups', 'attendance'];

/** What is stored of one report: the hash of its records as exported, and its chunks (or days, for attendance). */
interface ReportState {
  hash: string;
  chunks?: number;
  dates?: string[];
}

/** What is stored of the school's three reports (a report never stored is absent). */
export type SchoolDataState = Partial<Record<DataReport, ReportState>>;

type StateDoc = { _id: string } & SchoolDataState & Partial<ReportState>;
const stateId = (dfeNumber: string) => `data:${dfeNumber}`;
const legacyId = (dfeNumber: string, report: DataReport) => `data:${dfeNumber}:${report}`;

const CHUNK = 5000;

/** A stored document of records: deflated (`data`), or plain (`records`; `marks` for attendance) as kept before. */
export interface StoredRecords {
  _id: string;
  data?: Binary;
  records?: unknown[];
  marks?: unknown[];
}
const hashOf = (records: readonly unknown[]) => createHash('sha256').update(JSON.stringify(records)).digest('hex');
const state = (db: Db) => db.collection<StateDoc>('globals');

/**
 * What is stored of the school's contacts, groups and attendance. With `fold`, a school kept the earlier way (a
 * document a report) gets its one document now, so its next runs read one; readers only read.
 */
export async function schoolDataState(
  db: Db,
  dfeNumber: string,
  options: { fold?: boolean } = {},
): Promise<SchoolDataState> {
  const doc = await state(db).findOne({ _id: stateId(dfeNumber) });
  if (doc) {
    const { _id, ...kept } = doc;
    return kept;
  }
  const legacy = await Promise.all(DATA_REPORTS.map((r) => state(db).findOne({ _id: legacyId(dfeNumber, r) })));
  const found: SchoolDataState = {};
  DATA_REPORTS.forEach((r, i) => {
    const d = legacy[i];
    if (d?.hash !== undefined)
      found[r] = {
        hash: d.hash,
        ...(d.chunks !== undefined ? { chunks: d.chunks } : {}),
        ...(d.dates ? { dates: d.dates } : {}),
      };
  });
  if (options.fold) {
    // made once, as found: a writer that made it first keeps what it wrote
    await state(db)
      .insertOne({ _id: stateId(dfeNumber), ...found })
      .catch(ignoreDuplicate);
    // by `_id` each (a filter of several would read the whole collection on the embedded store)
    await Promise.all(
      DATA_REPORTS.filter((_, i) => legacy[i]).map((r) => state(db).deleteOne({ _id: legacyId(dfeNumber, r) })),
    );
  }
  return found;
}

/** Records what is now stored of one report (the school's document is made by whichever writer comes first). */
/** The state writes under way, per school: one at a time (see setReportState). */
const stateWrites = new Map<string, Promise<void>>();

/**
 * Records one report's state in the school's state document. The run stores contacts, groups and attendance at once,
 * and the embedded store applies a `$set` by rewriting the whole document it read, so two of them at once can lose
 * one another's field: a school's writes here go one after another.
 */
async function setReportState(db: Db, dfeNumber: string, report: DataReport, kept: ReportState): Promise<void> {
  const previous = stateWrites.get(dfeNumber) ?? Promise.resolve();
  const mine = previous.catch(() => {}).then(() => writeReportState(db, dfeNumber, report, kept));
  stateWrites.set(dfeNumber, mine);
  try {
    await mine;
  } finally {
    if (stateWrites.get(dfeNumber) === mine) stateWrites.delete(dfeNumber);
  }
}

async function writeReportState(db: Db, dfeNumber: string, report: DataReport, kept: ReportState): Promise<void> {
  // two writers making the school's document at once: one insert loses, and its retry updates it
  await upsertRacing(() =>
    state(db).updateOne({ _id: stateId(dfeNumber) }, { $set: { [report]: kept } }, { upsert: true }),
  );
}

function ignoreDuplicate(err: { code?: number }): void {
  if (err.code !== 11000) throw err;
}

/** A report's records as exported, and how to parse them (only done when they changed). */
export interface ReportRecords<T> {
  /** The records, or how to read them: they are read only when their hash is not known or has changed. */
  exported: readonly unknown[] | (() => Promise<readonly unknown[]>);
  /** Their hash, when the export already knows it (`hashOf` of the same records). */
  hash?: string;
  parse: (exported: readonly unknown[]) => readonly T[];
}

/** The records and their hash, read only when asked for. */
function recordsOf<T>(input: ReportRecords<T>) {
  let read: Promise<readonly unknown[]> | undefined;
  const exported = () =>
    (read ??= typeof input.exported === 'function' ? input.exported() : Promise.resolve(input.exported));
  return {
    hash: async () => input.hash ?? hashOf(await exported()),
    parsed: async () => input.parse(await exported()),
  };
}

/** Replaces the school's contacts or groups with a complete report. Returns the documents written. */
export async function replaceSchoolRecords(
  db: Db,
  dfeNumber: string,
  report: 'contacts' | 'groups',
  input: ReportRecords<Contact | Group>,
  /** What is stored of the school's reports, when the caller has read it (`schoolDataState`). */
  stored?: SchoolDataState,
): Promise<number> {
  const given = recordsOf(input);
  const [hash, known] = await Promise.all([given.hash(), stored ?? schoolDataState(db, dfeNumber, { fold: true })]);
  const prior = known[report];
  if (prior?.hash === hash) return 0;
  const records = await given.parsed();
  const coll = db.collection<{ _id: string; data: Binary }>(report);
  const chunks = Math.ceil(records.length / CHUNK);
  for (let i = 0; i < chunks; i++)
    await coll.replaceOne(
      { _id: `${dfeNumber}:${i}` },
      { data: packRecords(records.slice(i * CHUNK, (i + 1) * CHUNK)) },
      { upsert: true },
    );
  for (let i = chunks; i < (prior?.chunks ?? 0); i++) await coll.deleteOne({ _id: `${dfeNumber}:${i}` });
  await setReportState(db, dfeNumber, report, { hash, chunks });
  return chunks;
}

async function readChunks<T>(db: Db, dfeNumber: string, report: 'contacts' | 'groups'): Promise<T[]> {
  const prior = (await schoolDataState(db, dfeNumber))[report];
  const out: T[] = [];
  for (let i = 0; i < (prior?.chunks ?? 0); i++) {
    const doc = await db.collection<StoredRecords>(report).findOne({ _id: `${dfeNumber}:${i}` });
    if (doc) out.push(...(chunkRecords(doc) as T[]));
  }
  return out;
}

export const groupsOf = (db: Db, dfeNumber: string) => readChunks<Group>(db, dfeNumber, 'groups');
export const contactsOf = (db: Db, dfeNumber: string) => readChunks<Contact>(db, dfeNumber, 'contacts');

export async function contactsOfPupil(db: Db, dfeNumber: string, personId: string): Promise<Contact[]> {
  return (await readChunks<Contact>(db, dfeNumber, 'contacts')).filter((c) =>
    c.relationships.some((r) => r.studentPersonId === personId),
  );
}

/** Stores attendance marks by school day and drops days older than `keepFrom`. Returns the documents written. */
export async function storeAttendance(
  db: Db,
  dfeNumber: string,
  input: ReportRecords<AttendanceMark>,
  keepFrom: string,
  /** What is stored of the school's reports, when the caller has read it (`schoolDataState`). */
  stored?: SchoolDataState,
): Promise<number> {
  const given = recordsOf(input);
  const [hash, known] = await Promise.all([given.hash(), stored ?? schoolDataState(db, dfeNumber, { fold: true })]);
  const prior = known.attendance;
  const stale = (prior?.dates ?? []).filter((d) => d < keepFrom);
  if (prior?.hash === hash && stale.length === 0) return 0;
  const byDate = new Map<string, AttendanceMark[]>();
  for (const m of prior?.hash === hash ? [] : await given.parsed()) {
    if (m.date < keepFrom) continue;
    const day = byDate.get(m.date);
    if (day) day.push(m);
    else byDate.set(m.date, [m]);
  }
  const coll = db.collection<{ _id: string; data: Binary }>('attendance');
  // every day in one command (a statement each, by `_id`), in groups well under the embedded store's pool
  const ops: AnyBulkWriteOperation<{ _id: string; data: Binary }>[] = [
    ...(prior?.hash === hash ? [] : [...byDate]).map(([date, dayMarks]) => ({
      replaceOne: {
        filter: { _id: `${dfeNumber}:${date}` },
        replacement: { data: packRecords(dayMarks) },
        upsert: true,
      },
    })),
    ...stale.map((date) => ({ deleteOne: { filter: { _id: `${dfeNumber}:${date}` } } })),
  ];
  await bulkWriteInBatches(coll, ops, { ordered: true });
  const writes = ops.length;
  const dates = [...new Set([...(prior?.dates ?? []).filter((d) => d >= keepFrom), ...byDate.keys()])].sort();
  await setReportState(db, dfeNumber, 'attendance', { hash, dates });
  return writes;
}

export async function attendanceOf(db: Db, dfeNumber: string, personId?: string): Promise<AttendanceMark[]> {
  const prior = (await schoolDataState(db, dfeNumber)).attendance;
  const out: AttendanceMark[] = [];
  for (const date of prior?.dates ?? []) {
    const doc = await db.collection<StoredRecords>('attendance').findOne({ _id: `${dfeNumber}:${date}` });
    const marks = doc ? (chunkRecords({ ...doc, records: doc.records ?? doc.marks }) as AttendanceMark[]) : [];
    for (const m of marks) if (!personId || m.studentPersonId === personId) out.push(m);
  }
  return out;
}

/** Marks what is stored of the school's reports as no longer what was exported (after an erasure): the next export rewrites it. */
export async function forgetSchoolDataHashes(db: Db, dfeNumber: string): Promise<void> {
  const known = await schoolDataState(db, dfeNumber, { fold: true });
  const stored = DATA_REPORTS.filter((r) => known[r]);
  if (stored.length)
    await state(db).updateOne(
      { _id: stateId(dfeNumber) },
      { $set: Object.fromEntries(stored.map((r) => [`${r}.hash`, 'erased'])) },
    );
}

/** Forgets that one of the school's reports is stored (its records were erased). */
export async function dropSchoolDataState(db: Db, dfeNumber: string, report: DataReport): Promise<void> {
  await schoolDataState(db, dfeNumber, { fold: true });
  await state(db).updateOne({ _id: stateId(dfeNumber) }, { $unset: { [report]: '' } });
}
