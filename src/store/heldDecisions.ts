// Decisions on the changes a run held, one document per held account: `_id` is run and username, so deciding is
// claiming, and a second decision on the same change (a double click, two admins at once) finds it taken.
import type { Db } from 'mongodb';
import { insertUnlessPresent } from './write-errors.js';

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
    for (const index of await insertUnlessPresent(coll(db), docs)) claimed.push(docs[index]!.username);
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
