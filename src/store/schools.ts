// Schools (keyed by DfE number) and the service-wide pause.
import type { Db } from 'mongodb';
import { mergeSettings, type School, type SchoolSettings } from '../domain/model.js';
import type { ReportName } from '../domain/records.js';

type SchoolDoc = School & { _id: string };
const coll = (db: Db) => db.collection<SchoolDoc>('schools');

function fromDoc(d: SchoolDoc): School {
  const { _id, ...school } = d;
  return { ...school, settings: mergeSettings(school.settings) };
}

export async function getSchool(db: Db, dfeNumber: string): Promise<School | undefined> {
  const d = await coll(db).findOne({ _id: dfeNumber });
  return d ? fromDoc(d) : undefined;
}

export async function listSchools(db: Db): Promise<School[]> {
  return (await coll(db).find({}).sort({ _id: 1 }).toArray()).map(fromDoc);
}

export async function schoolsInLa(db: Db, laCode: string): Promise<School[]> {
  return (await coll(db).find({ laCode }).toArray()).map(fromDoc);
}

/** Creates or updates a school from an import or a Datashare grant; settings given are merged over the current. */
export async function upsertSchool(
  db: Db,
  input: {
    dfeNumber: string;
    name: string;
    laCode: string;
    acceptedReports?: ReportName[];
    mis?: string;
    settings?: Partial<SchoolSettings>;
    grant?: School['grant'];
  },
): Promise<School> {
  const existing = await getSchool(db, input.dfeNumber);
  const school: School = {
    dfeNumber: input.dfeNumber,
    name: input.name,
    laCode: input.laCode,
    mis: input.mis ?? existing?.mis ?? 'integris',
    acceptedReports: input.acceptedReports ?? existing?.acceptedReports ?? ['students', 'staff'],
    grant: input.grant ?? existing?.grant ?? { state: 'unknown' },
    settings: mergeSettings({ ...existing?.settings, ...input.settings }),
  };
  // what the service keeps on a school beyond what is given here
  if (existing?.misChangePending) school.misChangePending = existing.misChangePending;
  if (existing?.dropped) school.dropped = existing.dropped;
  if (existing?.revokeErasedAt) school.revokeErasedAt = existing.revokeErasedAt;
  await coll(db).replaceOne({ _id: input.dfeNumber }, school, { upsert: true });
  return school;
}

export async function updateSchool(
  db: Db,
  dfeNumber: string,
  set: Partial<Omit<School, 'dfeNumber'>>,
  unset: (keyof School)[] = [],
): Promise<void> {
  const update: Record<string, unknown> = {};
  if (Object.keys(set).length) update.$set = set;
  if (unset.length) update.$unset = Object.fromEntries(unset.map((k) => [k, '']));
  if (Object.keys(update).length) await coll(db).updateOne({ _id: dfeNumber }, update);
}

interface GlobalsDoc {
  _id: 'service';
  paused: boolean;
  pausedReason?: string;
}

export async function globalPause(db: Db): Promise<{ paused: boolean; reason?: string }> {
  const d = await db.collection<GlobalsDoc>('globals').findOne({ _id: 'service' });
  return { paused: d?.paused ?? false, reason: d?.pausedReason };
}

export async function setGlobalPause(db: Db, paused: boolean, reason?: string): Promise<void> {
  await db
    .collection<GlobalsDoc>('globals')
    .replaceOne({ _id: 'service' }, { paused, ...(reason ? { pausedReason: reason } : {}) }, { upsert: true });
}

/** The DfE numbers of every school of a local authority. */
export async function schoolIdsOfLa(db: Db, laCode: string): Promise<string[]> {
  const docs = await db
    .collection<{ _id: string; laCode: string }>('schools')
    .find({ laCode })
    .project<{ _id: string }>({ _id: 1 })
    .toArray();
  return docs.map((d) => d._id);
}

/** A named position kept by the service (how far a job has read), in `globals`. */
/** A cursor through the audit: the last entry passed (its id and time), and how far behind the newest it was left. */
export interface AuditCursor {
  /** Absent on a cursor kept by an earlier version, which kept only a time. */
  entryId?: string;
  at: Date;
  lagSeconds?: number;
  /** The outbound fan-out's last finished page (its pages number the subscribers' queue segments). */
  page?: number;
  /** A page the fan-out began to queue and has not finished: the next pass queues it again, to `through`. */
  queuing?: { page: number; through: string };
}

export async function getAuditCursor(db: Db, id: string): Promise<AuditCursor | undefined> {
  const doc = await db.collection<{ _id: string } & AuditCursor>('globals').findOne({ _id: id });
  if (!doc) return undefined;
  const { _id, ...cursor } = doc;
  return cursor;
}

export async function setAuditCursor(db: Db, id: string, cursor: AuditCursor): Promise<void> {
  await db.collection<{ _id: string } & AuditCursor>('globals').replaceOne({ _id: id }, cursor, { upsert: true });
}
