// The changes a run held for approval: the list, person by person, and the head's decision on all or on one.
import { UsoError } from '../errors.js';
import { getRun, lastSucceededRun, runsWithPendingHeld } from '../store/runs.js';
import { decideHeldChanges } from '../sync/admin.js';
import { actorKey, authorise, type Actor } from './access.js';
import { changedFieldsOf, guardText, maskDob, nameOf, type KindFilter, type View } from './view-model.js';
import { heldChangesOfRun } from '../sync/people.js';
import { type ActionContext, groupAt, byRole } from './action-base.js';

/** The run a held-changes action is about, checked to be of the school the actor acts for (a button names both). */
export async function runOfSchool(
  ctx: ActionContext,
  actor: Actor,
  runId: string,
  dfeNumber: string | undefined,
  need: 'read' | 'head',
) {
  const run = await getRun(ctx.db, runId);
  if (!run || (dfeNumber !== undefined && run.dfeNumber !== dfeNumber))
    throw new UsoError('not_found', `run ${runId} does not exist${dfeNumber ? ` at ${dfeNumber}` : ''}`);
  await authorise(ctx.db, actor, run.dfeNumber, need);
  return run;
}

export async function decideHeld(
  ctx: ActionContext,
  actor: Actor,
  input: { runId: string; dfeNumber?: string; only?: readonly string[] },
  decision: 'approved' | 'rejected',
): Promise<Extract<View, { kind: 'held_decided' }>> {
  await runOfSchool(ctx, actor, input.runId, input.dfeNumber, 'head');
  const r = await decideHeldChanges(ctx.db, input.runId, decision, actorKey(actor), input.only);
  return {
    kind: 'held_decided',
    runId: input.runId,
    dfeNumber: r.dfeNumber,
    decision,
    applied: r.applied,
    stale: r.stale,
    decided: r.decided,
    remaining: r.remaining,
    ...(input.only ? { only: true } : {}),
    by: actor.displayName,
  };
}

/** Applies the held changes of a run: all still undecided, or only those of the named accounts. */
export const approveHeldChanges = (
  ctx: ActionContext,
  actor: Actor,
  runId: string,
  opts: { dfeNumber?: string; only?: readonly string[] } = {},
) => decideHeld(ctx, actor, { runId, ...opts }, 'approved');

/** Discards the held changes of a run: all still undecided, or only those of the named accounts. */
export const rejectHeldChanges = (
  ctx: ActionContext,
  actor: Actor,
  runId: string,
  opts: { dfeNumber?: string; only?: readonly string[] } = {},
) => decideHeld(ctx, actor, { runId, ...opts }, 'rejected');

/** The run whose held changes a school is asked about: the one named, or its latest run still holding some. */
export async function heldRunId(ctx: ActionContext, dfeNumber: string, runId: string | undefined): Promise<string> {
  if (runId) return runId;
  const pending = await runsWithPendingHeld(ctx.db, dfeNumber);
  const latest = pending[0]?._id ?? (await lastSucceededRun(ctx.db, dfeNumber))?._id;
  if (!latest) throw new UsoError('not_found', `school ${dfeNumber} has no held changes`);
  return latest;
}

/** The changes a run held, person by person: what would happen to each, and what has been decided. */
export async function listHeld(
  ctx: ActionContext,
  actor: Actor,
  input: { dfeNumber: string; runId?: string; filter?: KindFilter },
): Promise<Extract<View, { kind: 'held' }>> {
  await authorise(ctx.db, actor, input.dfeNumber, 'read');
  const runId = await heldRunId(ctx, input.dfeNumber, input.runId);
  await runOfSchool(ctx, actor, runId, input.dfeNumber, 'read');
  const { run, changes } = await heldChangesOfRun(ctx.db, runId);
  const heldReason = new Map(
    (run.outcomes ?? []).filter((o) => o.username && o.outcome.startsWith('held_')).map((o) => [o.username!, o.reason]),
  );
  const rows = changes.map(({ change, state, by }) => {
    const role =
      change.before.associations.find((x) => x.dfeNumber === run.dfeNumber && x.source === 'mis')?.role ??
      change.before.kind;
    const group = groupAt(change.before, run.dfeNumber);
    const dob = maskDob(change.before.dateOfBirth);
    return {
      username: change.username,
      name: nameOf(change.before),
      ...(dob ? { maskedDob: dob } : {}),
      role,
      ...(group ? { group } : {}),
      change: change.kind,
      fields: change.kind === 'update' ? changedFieldsOf(change.before, change.after, run.dfeNumber) : [],
      ...(heldReason.get(change.username) ? { reason: heldReason.get(change.username)! } : {}),
      state,
      ...(by ? { by } : {}),
    };
  });
  return {
    kind: 'held',
    dfeNumber: run.dfeNumber,
    runId,
    guards: (run.guards ?? []).map((g) => guardText(g, run.incomplete)),
    ...(input.filter ? { filter: input.filter } : {}),
    // still to decide first, then by name
    changes: byRole(rows, input.filter).sort(
      (a, b) => Number(a.state !== 'held') - Number(b.state !== 'held') || a.name.localeCompare(b.name),
    ),
    open: changes.filter((c) => c.state === 'held').length,
  };
}

/** Approves or rejects one person's held change, from the list. */
export async function decideOneHeld(
  ctx: ActionContext,
  actor: Actor,
  input: { dfeNumber: string; runId: string; username: string; decision: 'approved' | 'rejected' },
): Promise<Extract<View, { kind: 'held_decided' }>> {
  return decideHeld(
    ctx,
    actor,
    { runId: input.runId, dfeNumber: input.dfeNumber, only: [input.username] },
    input.decision,
  );
}
