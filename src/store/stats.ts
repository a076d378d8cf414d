// Figures read for the operators' metrics: schools by their latest run, changes held for approval.
import type { Db } from 'mongodb';

/** Schools by the status of their latest run since `since` ('none': no run since then). */
export async function schoolsByLastRun(db: Db, since: Date): Promise<Record<string, number>> {
  const schools = await db
    .collection<{ _id: string }>('schools')
    .find({})
    .project<{ _id: string }>({ _id: 1 })
    .toArray();
  const runs = await db
    .collection<{ dfeNumber: string; status: string; startedAt: Date }>('runs')
    .find({ startedAt: { $gte: since } })
    .project<{ dfeNumber: string; status: string; startedAt: Date }>({ dfeNumber: 1, status: 1, startedAt: 1 })
    .toArray();
  const last = new Map<string, { status: string; at: number }>();
  for (const r of runs) {
    if ((last.get(r.dfeNumber)?.at ?? -1) < r.startedAt.getTime())
      last.set(r.dfeNumber, { status: r.status, at: r.startedAt.getTime() });
  }
  const out: Record<string, number> = {};
  for (const s of schools) {
    const status = last.get(s._id)?.status ?? 'none';
    out[status] = (out[status] ?? 0) + 1;
  }
  return out;
}

/** Unallocations and updates held by runs whose held changes nobody has decided yet. */
export async function heldChangesPending(db: Db): Promise<{ unallocation: number; update: number }> {
  const pending = await db
    .collection<{ counts?: Record<string, number> }>('runs')
    .find({ heldState: 'pending' })
    .project<{ counts?: Record<string, number> }>({ counts: 1 })
    .toArray();
  return {
    unallocation: pending.reduce((n, r) => n + (r.counts?.held_unallocation ?? 0), 0),
    update: pending.reduce((n, r) => n + (r.counts?.held_update ?? 0), 0),
  };
}
