// Sync runs: one per processing of an export, with timings, counts and every record's outcome (the service
// desk's log), and the changes held for approval. `runKey` is unique, so a second delivery of the same night's
// job for a school finds the run already there and does nothing, unless that run failed: a retry takes the key over.
// The plan's outcomes are recorded before anything is applied, so a run that dies half way still says what it meant
// to do, and `leaseOwner` ties a running run to the school lease that proves its process is alive.
import { randomUUID } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { Binary, BSON, type Db } from 'mongodb';
import type { GuardFired, HeldChange, Outcome, RecordOutcome } from '../domain/outcomes.js';

export interface RunDoc {
  _id: string;
  runKey?: string;
  dfeNumber: string;
  trigger: 'nightly' | 'webhook' | 'force' | 'cli' | 'file';
  status: 'running' | 'succeeded' | 'failed' | 'skipped' | 'dry_run';
  /** The school lease's owner while the run holds it: a running run whose lease is gone was interrupted. */
  leaseOwner?: string;
  /** The key this run took over from a failed run of the same night. */
  retryOf?: string;
  /** When a run that stopped half way was settled (its late writes are checked again for a while after). */
  settledAt?: Date;
  exportSeq?: number;
  startedAt: Date;
  finishedAt?: Date;
  timings?: Record<string, number>;
  counts?: Partial<Record<Outcome, number>>;
  outcomes?: RecordOutcome[];
  held?: HeldChange[];
  /** The guards that held changes, with their numbers. */
  guards?: GuardFired[];
  /** Why the export was incomplete ("students: 380 of 412 records"). */
  incomplete?: string;
  /** `pending` while any held change is undecided; then all approved, all rejected, or `decided` (some of each). */
  heldState?: 'pending' | 'approved' | 'rejected' | 'decided';
  /** Who decided them all at once (older runs; per-person decisions are in `heldDecisions`). */
  heldDecidedBy?: string;
  accountWrites?: number;
  error?: { code: string; message: string };
  note?: string;
}

const coll = (db: Db) => db.collection<RunDoc>('runs');

/**
 * Starts a run. With a runKey already taken it returns undefined (someone else has this night), unless the run that
 * holds the key failed: then the key moves to this run (a retry after a crash or an error processes the night).
 */
export async function startRun(db: Db, run: Omit<RunDoc, '_id' | 'startedAt' | 'status'>): Promise<RunDoc | undefined> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const doc: RunDoc = { _id: randomUUID(), startedAt: new Date(), status: 'running', ...run };
    try {
      await coll(db).insertOne(doc);
      return doc;
    } catch (err) {
      if ((err as { code?: number }).code !== 11000 || !run.runKey) throw err;
    }
    const holder = await runByKey(db, run.runKey);
    if (!holder || holder.status !== 'failed') return undefined;
    await coll(db).updateOne(
      { _id: holder._id, status: 'failed' },
      { $unset: { runKey: '' }, $set: { retryOf: run.runKey } },
    );
  }
  return undefined;
}

/** The outcomes a run keeps, one by one: all but `unchanged` (the run's counts keep those), so a quiet night writes little. */
const keptOutcomes = (outcomes: readonly RecordOutcome[]) => outcomes.filter((o) => o.outcome !== 'unchanged');

/** A run's outcomes and held changes as stored: packed (BSON, deflated) in `data`, or plain as kept before. */
export interface RunDetailDoc {
  _id: string;
  data?: Binary;
  outcomes?: RecordOutcome[];
  held?: HeldChange[];
}

export interface RunDetail {
  outcomes: RecordOutcome[];
  held: HeldChange[];
}

const details = (db: Db) => db.collection<RunDetailDoc>('runOutcomes');

/** One binary value instead of hundreds of sub-documents: far cheaper for the embedded store to write and read. */
export const packRunDetail = (detail: RunDetail) => ({
  data: new Binary(deflateRawSync(BSON.serialize(detail), { level: 1 })),
});

export function runDetailOf(doc: RunDetailDoc | null | undefined): RunDetail {
  if (doc?.data) {
    const d = BSON.deserialize(inflateRawSync(doc.data.buffer)) as Partial<RunDetail>;
    return { outcomes: d.outcomes ?? [], held: d.held ?? [] };
  }
  return { outcomes: doc?.outcomes ?? [], held: doc?.held ?? [] };
}

/** Records what the run is about to apply (its outcomes and held changes) before it applies anything. */
export async function recordPlan(
  db: Db,
  id: string,
  plan: { outcomes: RecordOutcome[]; held: HeldChange[]; counts: RunDoc['counts'] },
): Promise<void> {
  const outcomes = keptOutcomes(plan.outcomes);
  // a night with nothing to keep writes no outcomes document (a run without one has none)
  if (outcomes.length || plan.held.length)
    await details(db).replaceOne({ _id: id }, packRunDetail({ outcomes, held: plan.held }), { upsert: true });
  await coll(db).updateOne({ _id: id }, { $set: { counts: plan.counts } });
}

/**
 * Runs of one school (or all) still marked running, and those settled after stopping since the given time, in one
 * query (on the embedded store every query of `runs` reads the school's whole history of runs).
 */
export async function runsToRecover(
  db: Db,
  settledSince: Date,
  dfeNumber?: string,
): Promise<{ running: RunDoc[]; settled: RunDoc[] }> {
  const docs = await coll(db)
    .find({
      ...(dfeNumber ? { dfeNumber } : {}),
      $or: [{ status: 'running' }, { status: 'failed', settledAt: { $gte: settledSince } }],
    })
    .toArray();
  return { running: docs.filter((d) => d.status === 'running'), settled: docs.filter((d) => d.status === 'failed') };
}

/** Marks a running run failed (once: a run that finished meanwhile is left as it is). */
export async function failRunningRun(
  db: Db,
  id: string,
  set: Pick<RunDoc, 'error'> & Partial<RunDoc>,
): Promise<boolean> {
  const res = await coll(db).updateOne(
    { _id: id, status: 'running' },
    { $set: { ...set, status: 'failed', finishedAt: new Date() } },
  );
  return res.modifiedCount === 1;
}

/** Finishes a run. Outcomes and held changes (large) live in `runOutcomes` under the run id, keeping `runs` small. */
export async function finishRun(db: Db, id: string, set: Partial<RunDoc>): Promise<void> {
  const { outcomes, held, ...rest } = set;
  const kept = keptOutcomes(outcomes ?? []);
  // kept outcomes only grow between the plan and the finish, so nothing to keep now means none was written before
  if (kept.length || held?.length)
    await details(db).replaceOne({ _id: id }, packRunDetail({ outcomes: kept, held: held ?? [] }), { upsert: true });
  await coll(db).updateOne({ _id: id }, { $set: { finishedAt: new Date(), ...rest } });
}

/** A run with its outcomes and held changes. */
export async function getRun(db: Db, id: string): Promise<RunDoc | undefined> {
  const run = await coll(db).findOne({ _id: id });
  if (!run) return undefined;
  return { ...run, ...runDetailOf(await details(db).findOne({ _id: id })) };
}

export async function lastRun(db: Db, dfeNumber: string): Promise<RunDoc | undefined> {
  return (await coll(db).find({ dfeNumber }).sort({ startedAt: -1 }).limit(1).next()) ?? undefined;
}

export async function runsWithPendingHeld(db: Db, dfeNumber: string): Promise<RunDoc[]> {
  return coll(db).find({ dfeNumber, heldState: 'pending' }).sort({ startedAt: -1 }).toArray();
}

/** Settles a run's held state once every held change is decided (a run still pending is left as it is otherwise). */
export async function settleHeldState(
  db: Db,
  id: string,
  state: 'approved' | 'rejected' | 'decided',
  by?: string,
): Promise<void> {
  await coll(db).updateOne(
    { _id: id, heldState: 'pending' },
    { $set: { heldState: state, ...(by ? { heldDecidedBy: by } : {}) } },
  );
}

/** A run's held changes are undecided again (an approval was undone). */
export async function reopenHeld(db: Db, id: string): Promise<void> {
  await coll(db).updateOne({ _id: id }, { $set: { heldState: 'pending' }, $unset: { heldDecidedBy: '' } });
}

export async function runByKey(db: Db, runKey: string): Promise<RunDoc | undefined> {
  return (await coll(db).findOne({ runKey })) ?? undefined;
}

export async function lastSucceededRun(db: Db, dfeNumber: string): Promise<RunDoc | undefined> {
  return (await coll(db).find({ dfeNumber, status: 'succeeded' }).sort({ startedAt: -1 }).limit(1).next()) ?? undefined;
}

/** The outcomes of a school's runs that concern a person (by MIS id or username), with each run's id and start. */
export async function outcomesAbout(
  db: Db,
  dfeNumber: string,
  person: { personId?: string; username?: string },
): Promise<{ runId: string; startedAt: Date; outcome: RecordOutcome }[]> {
  const runs = await coll(db)
    .find({ dfeNumber })
    .project<{ _id: string; startedAt: Date }>({ _id: 1, startedAt: 1 })
    .toArray();
  const out: { runId: string; startedAt: Date; outcome: RecordOutcome }[] = [];
  for (const run of runs) {
    for (const o of runDetailOf(await details(db).findOne({ _id: run._id })).outcomes) {
      if ((person.personId && o.personId === person.personId) || (person.username && o.username === person.username)) {
        out.push({ runId: run._id, startedAt: run.startedAt, outcome: o });
      }
    }
  }
  return out.sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime());
}

/** Every run started since a time, with only what a chart of nights needs (one read for the whole LA). */
export async function runsSince(db: Db, since: Date): Promise<Pick<RunDoc, 'dfeNumber' | 'status' | 'startedAt'>[]> {
  return coll(db)
    .find({ startedAt: { $gte: since } }, { projection: { _id: 0, dfeNumber: 1, status: 1, startedAt: 1 } })
    .toArray();
}
