// What the retention job removes, kind by kind; each function counts first and deletes only when asked, so a dry run
// and a real run report the same figures. Export files and their chunks, run outcomes, and the service's own
// bookkeeping (delivered chat messages, used or expired link codes, expired webhook event ids). The audit is kept.
import type { Db, ObjectId } from 'mongodb';

/** Processed exports of each school beyond the newest `keep`; exports not yet processed are never among them. */
export async function exportsBeyond(
  db: Db,
  keep: number,
): Promise<{ _id: ObjectId; dfeNumber: string; seq: number }[]> {
  const processed = await db
    .collection<{ _id: ObjectId; dfeNumber: string; seq: number; processedAt?: Date }>('exports')
    .find({ processedAt: { $exists: true } })
    .project<{ _id: ObjectId; dfeNumber: string; seq: number }>({ _id: 1, dfeNumber: 1, seq: 1 })
    .toArray();
  const bySchool = new Map<string, typeof processed>();
  for (const e of processed) bySchool.set(e.dfeNumber, [...(bySchool.get(e.dfeNumber) ?? []), e]);
  return [...bySchool.values()].flatMap((list) => list.sort((a, b) => b.seq - a.seq).slice(keep));
}

/** Exports never processed (a paused school's, a failed run's) saved before the cutoff: kept no longer than that. */
export async function unprocessedExportsBefore(
  db: Db,
  cutoff: Date,
): Promise<{ _id: ObjectId; dfeNumber: string; seq: number }[]> {
  return db
    .collection<{ _id: ObjectId; dfeNumber: string; seq: number; processedAt?: Date; savedAt: Date }>('exports')
    .find({ processedAt: { $exists: false }, savedAt: { $lt: cutoff } })
    .project<{ _id: ObjectId; dfeNumber: string; seq: number }>({ _id: 1, dfeNumber: 1, seq: 1 })
    .toArray();
}

/** Deletes exports and every chunk of them; returns the chunks deleted. */
export async function deleteExports(db: Db, ids: readonly ObjectId[]): Promise<number> {
  if (ids.length === 0) return 0;
  const chunks = await db.collection('exportChunks').deleteMany({ exportId: { $in: [...ids] } });
  await db.collection('exports').deleteMany({ _id: { $in: [...ids] } });
  return chunks.deletedCount;
}

/** Runs started before the cutoff that still keep their per-record outcomes. */
export async function runOutcomesBefore(db: Db, cutoff: Date): Promise<string[]> {
  const runs = await db
    .collection<{ _id: string; startedAt: Date }>('runs')
    .find({ startedAt: { $lt: cutoff } })
    .project<{ _id: string }>({ _id: 1 })
    .toArray();
  if (runs.length === 0) return [];
  const kept = await db
    .collection<{ _id: string }>('runOutcomes')
    .find({ _id: { $in: runs.map((r) => r._id) } })
    .project<{ _id: string }>({ _id: 1 })
    .toArray();
  return kept.map((k) => k._id);
}

export async function deleteRunOutcomes(db: Db, runIds: readonly string[]): Promise<void> {
  if (runIds.length) await db.collection<{ _id: string }>('runOutcomes').deleteMany({ _id: { $in: [...runIds] } });
}

/** The bookkeeping that is done with: sent chat messages older than `sentBefore`, expired link codes and event ids. */
export async function finishedBookkeeping(
  db: Db,
  sentBefore: Date,
  now: Date,
  remove: boolean,
): Promise<{ outbox: number; linkCodes: number; eventIds: number; webSessions: number; teamsUsers: number }> {
  const outbox = { status: 'sent', sentAt: { $lt: sentBefore } };
  const expired = { expiresAt: { $lt: now } };
  const counts = {
    outbox: await db.collection('outbox').countDocuments(outbox),
    linkCodes: await db.collection('linkCodes').countDocuments(expired),
    eventIds: await db.collection('webhookEvents').countDocuments(expired),
    // the console's sessions and sign-ins in progress past their expiry (each is refused once expired anyway)
    webSessions:
      (await db.collection('webSessions').countDocuments(expired)) +
      (await db.collection('webLogins').countDocuments(expired)),
    // Teams users not seen for TEAMS_USER_KEEP_DAYS (a record made before it had an expiry is renewed when next seen)
    teamsUsers: await db.collection('teamsUsers').countDocuments(expired),
  };
  if (remove) {
    if (counts.outbox) await db.collection('outbox').deleteMany(outbox);
    if (counts.linkCodes) await db.collection('linkCodes').deleteMany(expired);
    if (counts.eventIds) await db.collection('webhookEvents').deleteMany(expired);
    if (counts.webSessions) {
      await db.collection('webSessions').deleteMany(expired);
      await db.collection('webLogins').deleteMany(expired);
    }
    if (counts.teamsUsers) await db.collection('teamsUsers').deleteMany(expired);
  }
  return counts;
}
