// Export files: immutable and numbered per school, so the last processed file can be reprocessed without asking
// Integris again. Report records are kept in chunks, each a deflated JSON array in one binary field: far below the
// 16 MB document limit, and one value for the store to write and read instead of thousands of sub-documents (on the
// embedded store, converting those is most of the cost of saving and loading an export).
import { createHash } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { Binary, ObjectId, type Db } from 'mongodb';
import { UsoError } from '../errors.js';
import { reportNames, type ExportFile, type ReportName } from '../domain/records.js';
import { upsertRacing } from './write-errors.js';

const CHUNK = 5000;

/** A chunk as stored: its records deflated (`data`), or as plain documents (`records`, exports saved before). */
export interface ExportChunk {
  _id: string;
  exportId: ObjectId;
  report: string;
  index: number;
  data?: Binary;
  records?: unknown[];
}

export const packRecords = (records: readonly unknown[]) => packJson(JSON.stringify(records));
const packJson = (json: string) => new Binary(deflateRawSync(Buffer.from(json), { level: 3 }));

export function chunkRecords(chunk: Pick<ExportChunk, 'data' | 'records'>): unknown[] {
  if (chunk.data) return JSON.parse(inflateRawSync(chunk.data.buffer).toString('utf8')) as unknown[];
  return chunk.records ?? [];
}
const chunkId = (exportId: ObjectId, report: string, index: number) => `${exportId.toHexString()}:${report}:${index}`;

export interface ExportMeta {
  _id: ObjectId;
  dfeNumber: string;
  seq: number;
  exportedAt: string;
  savedAt: Date;
  source: string;
  updatedSince?: string;
  counts: Partial<Record<ReportName, number>>;
  completeness: ExportFile['completeness'];
  checksum: string;
  /** Each report's SHA-256 of its records as JSON (what school data compares, without hashing them again). */
  hashes?: Partial<Record<ReportName, string>>;
  processedAt?: Date;
  processedRunId?: string;
}

export async function saveExport(db: Db, file: ExportFile): Promise<ExportMeta> {
  const hash = createHash('sha256');
  const counts: ExportMeta['counts'] = {};
  const hashes: ExportMeta['hashes'] = {};
  // a report of one chunk is packed from the text it was hashed from
  const packedWhole = new Map<ReportName, Binary>();
  for (const r of reportNames) {
    const records = file.reports[r];
    if (!records) continue;
    counts[r] = records.length;
    const json = JSON.stringify(records);
    hash.update(`${r}:${json}`);
    hashes[r] = createHash('sha256').update(json).digest('hex');
    if (records.length <= CHUNK) packedWhole.set(r, packJson(json));
  }
  for (let attempt = 0; ; attempt++) {
    const meta: ExportMeta = {
      _id: new ObjectId(),
      dfeNumber: file.dfeNumber,
      seq: await nextExportSeq(db, file.dfeNumber, attempt > 0),
      exportedAt: file.exportedAt,
      savedAt: new Date(),
      source: file.source,
      counts,
      completeness: file.completeness,
      checksum: hash.copy().digest('hex'),
      hashes,
    };
    if (file.updatedSince) meta.updatedSince = file.updatedSince;
    const chunks = reportNames.flatMap((report) => {
      const records = file.reports[report] ?? [];
      const out = [];
      for (let i = 0; i < records.length; i += CHUNK)
        out.push({
          _id: chunkId(meta._id, report, i / CHUNK),
          exportId: meta._id,
          report,
          index: i / CHUNK,
          data: packedWhole.get(report) ?? packRecords(records.slice(i, i + CHUNK)),
        });
      return out;
    });
    if (chunks.length) await db.collection<{ _id: string }>('exportChunks').insertMany(chunks, { ordered: false });
    try {
      // the meta goes in last: an export without its chunks is never visible
      await db.collection<ExportMeta>('exports').insertOne(meta);
      return meta;
    } catch (err) {
      await db
        .collection('exportChunks')
        .deleteMany({ exportId: meta._id })
        .catch(() => {});
      if ((err as { code?: number }).code !== 11000 || attempt > 3) throw err;
    }
  }
}

/** Each school's last export number, one small document a school (`exportSeq|<dfeNumber>` in `globals`). */
const seqColl = (db: Db) => db.collection<{ _id: string; seq: number }>('globals');
const seqId = (dfeNumber: string) => `exportSeq|${dfeNumber}`;

/**
 * The next export number of a school, from its counter: one `_id` write, where finding the school's last export
 * would be a query the embedded store answers by reading every export of every school (a cost that grew with the LA
 * and with each night kept). The counter is started, or brought forward (`resync`, after a number was found taken:
 * a restore, or exports saved before the counter), from the school's exports themselves.
 */
async function nextExportSeq(db: Db, dfeNumber: string, resync: boolean): Promise<number> {
  const _id = seqId(dfeNumber);
  if (!resync) {
    const counter = await seqColl(db).findOneAndUpdate({ _id }, { $inc: { seq: 1 } }, { returnDocument: 'after' });
    if (counter) return counter.seq;
  }
  const last = await exportMeta(db, dfeNumber);
  // two writers starting the counter at once: one insert loses, and its retry brings the counter forward
  await upsertRacing(() => seqColl(db).updateOne({ _id }, { $max: { seq: last?.seq ?? 0 } }, { upsert: true }));
  // then a number of its own, past any other writer's
  const next = await seqColl(db).findOneAndUpdate({ _id }, { $inc: { seq: 1 } }, { returnDocument: 'after' });
  if (!next) throw new UsoError('store_conflict', `the export counter of school ${dfeNumber} could not be read`);
  return next.seq;
}

export async function exportMeta(db: Db, dfeNumber: string, seq?: number): Promise<ExportMeta | undefined> {
  const filter = seq === undefined ? { dfeNumber } : { dfeNumber, seq };
  return (await db.collection<ExportMeta>('exports').find(filter).sort({ seq: -1 }).limit(1).next()) ?? undefined;
}

export async function lastProcessedExport(db: Db, dfeNumber: string): Promise<ExportMeta | undefined> {
  return (
    (await db
      .collection<ExportMeta>('exports')
      .find({ dfeNumber, processedAt: { $exists: true } })
      .sort({ seq: -1 })
      .limit(1)
      .next()) ?? undefined
  );
}

/**
 * The stored export, or only the given reports of it (a run reads contacts and attendance only when they changed).
 * Chunks are read by `_id`, the one lookup FerretDB 1.24 serves without scanning the collection, all at once.
 */
export async function loadExport(
  db: Db,
  meta: ExportMeta,
  reports: readonly ReportName[] = reportNames,
): Promise<ExportFile> {
  const file: ExportFile = {
    dfeNumber: meta.dfeNumber,
    exportedAt: meta.exportedAt,
    source: 'integris',
    reports: {},
    completeness: meta.completeness,
  };
  if (meta.updatedSince) file.updatedSince = meta.updatedSince;
  const wanted = reports.filter((r) => meta.counts[r] !== undefined);
  const loaded = await Promise.all(wanted.map((r) => loadReport(db, meta, r)));
  wanted.forEach((r, i) => (file.reports[r] = loaded[i]));
  return file;
}

/** One report of a stored export, checked against the count it was saved with. */
export async function loadReport(db: Db, meta: ExportMeta, report: ReportName): Promise<unknown[]> {
  const count = meta.counts[report] ?? 0;
  const chunks = await Promise.all(
    Array.from({ length: Math.ceil(count / CHUNK) }, (_, i) =>
      db.collection<ExportChunk>('exportChunks').findOne({ _id: chunkId(meta._id, report, i) }),
    ),
  );
  const records = chunks.flatMap((chunk) => (chunk ? chunkRecords(chunk) : []));
  if (records.length !== count) {
    throw new UsoError(
      'export_incomplete',
      `stored export ${meta.dfeNumber}#${meta.seq} has ${records.length} ${report} records, expected ${count}`,
    );
  }
  return records;
}

export async function markExportProcessed(db: Db, meta: ExportMeta, runId: string): Promise<void> {
  await db
    .collection<ExportMeta>('exports')
    .updateOne({ _id: meta._id }, { $set: { processedAt: new Date(), processedRunId: runId } });
}

/** Every stored export of a school, oldest first (what subject access reads the person's MIS records from). */
export async function exportsOfSchool(db: Db, dfeNumber: string): Promise<ExportMeta[]> {
  return db.collection<ExportMeta>('exports').find({ dfeNumber }).sort({ seq: 1 }).toArray();
}
