// Decisions on the changes a run held, one document per held account: `_id` is run and username, so deciding is
// claiming, and a second decision on the same change (a double click, two admins at once) finds it taken.
import type { Db } from 'mongodb';

export interface HeldDecision {
  _id: string;
  runId: string;
  dfeNumber: string;
  username: string;
  decision: 'approved' | 'rejected';
  /** False for an approval whose account changed since the run: nothing was applied. */
  applied?: boolean;
  by: string;
  at: Date;
}

const coll = (db: Db) => db.collection<HeldDecision>('heldDecisions');
const idOf = (runId: string, username: string) => `${runId}|${username}`;
/** Claims per statement: the embedded store wedges on very large batches. */
const BATCH = 50;

/**
 * Claims the decision on each named held change; returns the usernames this call claimed (those someone else
 * decided first are left out).
 */
export async function claimHeldDecisions(
  db: Db,
  run: { runId: string; dfeNumber: string },
  usernames: readonly string[],
  decision: HeldDecision['decision'],
  by: string,
): Promise<string[]> {
  const claimed: string[] = [];
  for (let i = 0; i < usernames.length; i += BATCH) {
    const docs = usernames.slice(i, i + BATCH).map((username): HeldDecision => ({
      _id: idOf(run.runId, username),
      runId: run.runId,
      dfeNumber: run.dfeNumber,
      username,
      decision,
      by,
      at: new Date(),
    }));
    const taken = new Set<number>();
    try {
      await coll(db).insertMany(docs, { ordered: false });
    } catch (err) {
      const writeErrors = (err as { writeErrors?: { index: number; code?: number }[] | { index: number } }).writeErrors;
      const list = Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : undefined;
      // a failure that is not "already decided" (or one without write errors: a command failure) is the caller's
      if (!list?.length || list.some((e) => (e as { code?: number }).code !== 11000)) throw err;
      for (const e of list) taken.add(e.index);
    }
    docs.forEach((d, index) => {
      if (!taken.has(index)) claimed.push(d.username);
    });
  }
  return claimed;
}

/** Marks claimed approvals whose account changed since the run: decided, but nothing applied. */
export async function markNotApplied(db: Db, runId: string, usernames: readonly string[]): Promise<void> {
  for (const username of usernames)
    await coll(db).updateOne({ _id: idOf(runId, username) }, { $set: { applied: false } });
}

/** The decisions taken on a run's held changes so far. */
export async function heldDecisionsOf(db: Db, runId: string): Promise<HeldDecision[]> {
  return coll(db).find({ runId }).toArray();
}

/** How many of a run's held changes are decided. */
export async function heldDecisionCount(db: Db, runId: string): Promise<number> {
  return coll(db).countDocuments({ runId });
}

/** Forgets a decision (an undone approval): the change is held again. */
export async function deleteHeldDecision(db: Db, runId: string, username: string): Promise<void> {
  await coll(db).deleteOne({ _id: idOf(runId, username) });
}
