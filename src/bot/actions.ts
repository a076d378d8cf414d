// Chat-agnostic admin actions. Each takes an actor and an input, checks the actor may act for that school,
// changes the store (the sync's admin operations write the audit), and returns a view model that the Slack,
// Teams and plain-text renderers turn into messages. A stale action answers with a `stale_action` error that
// the adapters show as a plain explanation.
import type { Db } from 'mongodb';
import { UsoError } from '../errors.js';
import { getAccount } from '../store/accounts.js';
import { openMatches } from '../store/matches.js';
import { getRun, lastSucceededRun } from '../store/runs.js';
import {
  createAnyway,
  decideHeldChanges,
  type AccountChoiceRule,
  excludePerson,
  matchPerson,
  nonMisAccounts,
  restoreAccount,
  unallocatedAccounts,
} from '../sync/admin.js';
import type { Account } from '../domain/model.js';
import { schoolStatus, type SchoolStatus } from '../sync/status.js';
import { actorKey, authorise, schoolsOf, type Actor } from './access.js';
import { getSchool } from '../store/schools.js';
import type { RunSummary } from '../sync/process.js';
import type { RunDoc } from '../store/runs.js';
import { maskDob, nameOf, type CandidateView, type MatchView, type View } from './view-model.js';

export interface ActionContext {
  db: Db;
  scheduler?: { runNow(dfeNumber: string): Promise<void> };
}

const summary = (a: Account, dfeNumber: string) => ({
  username: a.username,
  name: nameOf(a),
  maskedDob: maskDob(a.dateOfBirth),
  until: a.associations.find((x) => x.dfeNumber === dfeNumber)?.until,
});

type RunFacts = Pick<RunSummary, 'runId' | 'dfeNumber' | 'status' | 'note'> & {
  counts: Partial<Record<string, number>>;
  heldState?: string;
  heldDecidedBy?: string;
};

/** The facts a summary needs from a stored run. */
export function runFactsOf(run: RunDoc): RunFacts {
  return {
    runId: run._id,
    dfeNumber: run.dfeNumber,
    status: run.status,
    counts: run.counts ?? {},
    ...(run.note ? { note: run.note } : {}),
    ...(run.heldState ? { heldState: run.heldState } : {}),
    ...(run.heldDecidedBy ? { heldDecidedBy: run.heldDecidedBy } : {}),
  };
}

export async function summaryOf(db: Db, run: RunFacts): Promise<View> {
  const school = await getSchool(db, run.dfeNumber);
  const counts = Object.fromEntries(Object.entries(run.counts).filter(([, n]) => n)) as Record<string, number>;
  const decided = run.heldState === 'approved' || run.heldState === 'rejected';
  return {
    kind: 'summary',
    dfeNumber: run.dfeNumber,
    schoolName: school?.name ?? run.dfeNumber,
    runId: run.runId,
    status: run.status,
    counts,
    ...(run.note || decided
      ? {
          note: [
            run.note,
            decided && `held changes ${run.heldState}${run.heldDecidedBy ? ` by ${run.heldDecidedBy}` : ''}`,
          ]
            .filter(Boolean)
            .join('; '),
        }
      : {}),
    held: decided ? 0 : (counts.held_unallocation ?? 0) + (counts.held_update ?? 0),
    openMatches: (await openMatches(db, run.dfeNumber)).length,
  };
}

export async function status(ctx: ActionContext, actor: Actor, dfeNumber: string): Promise<View> {
  await authorise(ctx.db, actor, dfeNumber, 'read');
  const s = await schoolStatus(ctx.db, dfeNumber);
  return { kind: 'status', schools: s.schools, paused: s.paused };
}

/** Every school the actor may act for, with what each needs (Slack's App Home; `status` where no school is implied). */
export async function myStatus(ctx: ActionContext, actor: Actor): Promise<Extract<View, { kind: 'status' }>> {
  const schools: SchoolStatus[] = [];
  let paused = false;
  for (const { dfeNumber } of await schoolsOf(ctx.db, actor)) {
    const s = await schoolStatus(ctx.db, dfeNumber);
    schools.push(...s.schools);
    paused = s.paused;
  }
  return { kind: 'status', schools, paused };
}

/** The summary of the school's latest run as it stands now (what chat shows after each run). */
export async function runSummary(ctx: ActionContext, actor: Actor, dfeNumber: string): Promise<View> {
  await authorise(ctx.db, actor, dfeNumber, 'read');
  const run = await lastSucceededRun(ctx.db, dfeNumber);
  if (!run) throw new UsoError('not_found', `school ${dfeNumber} has no finished run yet`);
  return summaryOf(ctx.db, runFactsOf(run));
}

export async function listMatches(ctx: ActionContext, actor: Actor, dfeNumber: string): Promise<View> {
  await authorise(ctx.db, actor, dfeNumber, 'read');
  const open = await openMatches(ctx.db, dfeNumber);
  const matches: MatchView[] = [];
  for (const m of open) {
    const candidates: CandidateView[] = [];
    for (const c of m.candidates) {
      const account = await getAccount(ctx.db, c.username);
      if (!account) continue;
      candidates.push({
        username: c.username,
        name: nameOf(account),
        maskedDob: maskDob(account.dateOfBirth),
        score: c.score,
        reasons: c.reasons,
        schools: [...new Set(account.associations.filter((x) => x.status === 'active').map((x) => x.dfeNumber))],
        lastSeen: account.associations
          .map((x) => x.until ?? x.seenAt)
          .filter((d): d is string => !!d)
          .sort()
          .at(-1),
      });
    }
    matches.push({
      personId: m.misPersonId,
      role: m.kind === 'students' ? 'pupil' : 'staff',
      name: nameOf(m.person),
      maskedDob: maskDob(m.person.dateOfBirth),
      candidates,
    });
  }
  return { kind: 'matches', dfeNumber, matches };
}

/**
 * From chat, an account that was not offered as a candidate may be chosen only if it is in the school's LA and
 * either unallocated or held only at schools the decider acts for: a forged button cannot bind another school's pupil.
 */
function chatChoiceRule(ctx: ActionContext, actor: Actor): AccountChoiceRule {
  return async (account, school) => {
    if (!account.associations.some((x) => x.laCode === school.laCode)) return false;
    const active = new Set(account.associations.filter((x) => x.status === 'active').map((x) => x.dfeNumber));
    if (active.size === 0) return true;
    const mine = new Set((await schoolsOf(ctx.db, actor)).map((s) => s.dfeNumber));
    return [...active].every((d) => mine.has(d));
  };
}

export async function match(
  ctx: ActionContext,
  actor: Actor,
  input: { dfeNumber: string; personId: string; username: string },
): Promise<View> {
  await authorise(ctx.db, actor, input.dfeNumber, 'contact');
  await matchPerson(
    ctx.db,
    input.dfeNumber,
    input.personId,
    input.username,
    actorKey(actor),
    actor.platform === 'cli' ? undefined : chatChoiceRule(ctx, actor),
  );
  return {
    kind: 'decided',
    dfeNumber: input.dfeNumber,
    personId: input.personId,
    decision: 'matched',
    username: input.username,
    by: actor.displayName,
  };
}

export async function createNew(
  ctx: ActionContext,
  actor: Actor,
  input: { dfeNumber: string; personId: string },
): Promise<View> {
  await authorise(ctx.db, actor, input.dfeNumber, 'contact');
  const username = await createAnyway(ctx.db, input.dfeNumber, input.personId, actorKey(actor));
  return {
    kind: 'decided',
    dfeNumber: input.dfeNumber,
    personId: input.personId,
    decision: 'created',
    username,
    by: actor.displayName,
  };
}

export async function exclude(
  ctx: ActionContext,
  actor: Actor,
  input: { dfeNumber: string; personId: string },
): Promise<View> {
  await authorise(ctx.db, actor, input.dfeNumber, 'contact');
  await excludePerson(ctx.db, input.dfeNumber, input.personId, actorKey(actor));
  return {
    kind: 'decided',
    dfeNumber: input.dfeNumber,
    personId: input.personId,
    decision: 'excluded',
    by: actor.displayName,
  };
}

export async function listUnallocated(ctx: ActionContext, actor: Actor, dfeNumber: string): Promise<View> {
  await authorise(ctx.db, actor, dfeNumber, 'read');
  return {
    kind: 'accounts',
    list: 'unallocated',
    dfeNumber,
    accounts: (await unallocatedAccounts(ctx.db, dfeNumber)).map((a) => summary(a, dfeNumber)),
  };
}

export async function listNonMis(ctx: ActionContext, actor: Actor, dfeNumber: string): Promise<View> {
  await authorise(ctx.db, actor, dfeNumber, 'read');
  return {
    kind: 'accounts',
    list: 'non_mis',
    dfeNumber,
    accounts: (await nonMisAccounts(ctx.db, dfeNumber)).map((a) => summary(a, dfeNumber)),
  };
}

export async function restore(
  ctx: ActionContext,
  actor: Actor,
  input: { dfeNumber: string; username: string },
): Promise<View> {
  await authorise(ctx.db, actor, input.dfeNumber, 'contact');
  await restoreAccount(ctx.db, input.username, input.dfeNumber, actorKey(actor));
  return { kind: 'restored', dfeNumber: input.dfeNumber, username: input.username, by: actor.displayName };
}

async function decideHeld(
  ctx: ActionContext,
  actor: Actor,
  runId: string,
  decision: 'approved' | 'rejected',
): Promise<View> {
  const run = await getRun(ctx.db, runId);
  if (run) await authorise(ctx.db, actor, run.dfeNumber, 'head');
  const r = await decideHeldChanges(ctx.db, runId, decision, actorKey(actor));
  return {
    kind: 'held_decided',
    runId,
    dfeNumber: r.dfeNumber,
    decision,
    applied: r.applied,
    stale: r.stale,
    by: actor.displayName,
  };
}

export const approveHeldChanges = (ctx: ActionContext, actor: Actor, runId: string) =>
  decideHeld(ctx, actor, runId, 'approved');
export const rejectHeldChanges = (ctx: ActionContext, actor: Actor, runId: string) =>
  decideHeld(ctx, actor, runId, 'rejected');

export async function runNow(ctx: ActionContext, actor: Actor, dfeNumber: string): Promise<View> {
  await authorise(ctx.db, actor, dfeNumber, 'contact');
  if (!ctx.scheduler) throw new Error('no scheduler in this process');
  await ctx.scheduler.runNow(dfeNumber);
  return { kind: 'run_queued', dfeNumber, by: actor.displayName };
}

/** The commands both chats answer with a view of one school, by the word typed. */
export const schoolCommands: Record<string, (ctx: ActionContext, actor: Actor, dfeNumber: string) => Promise<View>> = {
  status,
  match: listMatches,
  unallocated: listUnallocated,
  'non-mis': listNonMis,
  run: runNow,
};
