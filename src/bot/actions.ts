// Chat-agnostic admin actions. Each takes an actor and an input, checks the actor may act for that school,
// changes the store (the sync's admin operations write the audit), and returns a view model that the Slack,
// Teams and plain-text renderers turn into messages. A stale action answers with a `stale_action` error that
// the adapters show as a plain explanation.
import type { Db } from 'mongodb';
import { isUsoError, UsoError } from '../errors.js';
import { getAccount } from '../store/accounts.js';
import { movedInAt } from '../domain/model.js';
import { openMatches } from '../store/matches.js';
import { lastSucceededRun } from '../store/runs.js';
import {
  createAnyway,
  type AccountChoiceRule,
  excludePerson,
  matchPerson,
  nonMisAccounts,
  restoreAccount,
  unallocatedAccounts,
} from '../sync/admin.js';
import { schoolStatus, type SchoolStatus } from '../sync/status.js';
import { actorKey, authorise, schoolsOf, type Actor } from './access.js';
import { getSchool } from '../store/schools.js';
import type { RunSummary } from '../sync/process.js';
import type { RunDoc } from '../store/runs.js';
import {
  guardText,
  maskDob,
  nameOf,
  OUTCOME_WORDS,
  type CandidateView,
  type FoundView,
  type KindFilter,
  type MatchView,
  type NewAccountView,
  type View,
} from './view-model.js';
import { heldDecisionCount } from '../store/heldDecisions.js';
import {
  findPeople,
  invalidRecordsOfRun,
  newAccountsOfRun,
  newAccountsSince,
  type NewAccountRow,
} from '../sync/people.js';
import { todayIn, type IsoDate } from '../domain/dates.js';
import { type ActionContext, groupAt, accountRow, byRole } from './action-base.js';
import { listHeld } from './held-actions.js';

type RunFacts = Pick<RunSummary, 'runId' | 'dfeNumber' | 'status' | 'note'> & {
  counts: Partial<Record<string, number>>;
  heldState?: string;
  heldDecidedBy?: string;
  guards?: RunDoc['guards'];
  incomplete?: string;
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
    ...(run.guards ? { guards: run.guards } : {}),
    ...(run.incomplete ? { incomplete: run.incomplete } : {}),
  };
}

export async function summaryOf(db: Db, run: RunFacts): Promise<View> {
  const school = await getSchool(db, run.dfeNumber);
  const counts = Object.fromEntries(Object.entries(run.counts).filter(([, n]) => n)) as Record<string, number>;
  const decided = run.heldState === 'approved' || run.heldState === 'rejected' || run.heldState === 'decided';
  const heldTotal = (counts.held_unallocation ?? 0) + (counts.held_update ?? 0);
  const held = decided || !heldTotal ? 0 : heldTotal - (await heldDecisionCount(db, run.runId));
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
    guards: held ? (run.guards ?? []).map((g) => guardText(g, run.incomplete)) : [],
    held,
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
export function chatChoiceRule(ctx: ActionContext, actor: Actor): AccountChoiceRule {
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
  input: { dfeNumber: string; personId: string; username: string; force?: { reason: string } },
): Promise<View> {
  await authorise(ctx.db, actor, input.dfeNumber, 'contact');
  await matchPerson(
    ctx.db,
    input.dfeNumber,
    input.personId,
    input.username,
    actorKey(actor),
    actor.platform === 'cli' ? undefined : chatChoiceRule(ctx, actor),
    // only the operator's CLI may link an account that does not look like the person, with a reason
    actor.platform === 'cli' && input.force ? { force: input.force } : {},
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

export async function listUnallocated(
  ctx: ActionContext,
  actor: Actor,
  dfeNumber: string,
  filter?: KindFilter,
): Promise<View> {
  await authorise(ctx.db, actor, dfeNumber, 'read');
  const rows = (await unallocatedAccounts(ctx.db, dfeNumber)).map((a) => accountRow(a, dfeNumber));
  return {
    kind: 'accounts',
    list: 'unallocated',
    dfeNumber,
    ...(filter ? { filter } : {}),
    // the latest leavers first: the ones a school most often restores
    accounts: byRole(rows, filter).sort(
      (a, b) => (b.until ?? '').localeCompare(a.until ?? '') || a.name.localeCompare(b.name),
    ),
  };
}

export async function listNonMis(
  ctx: ActionContext,
  actor: Actor,
  dfeNumber: string,
  filter?: KindFilter,
): Promise<View> {
  await authorise(ctx.db, actor, dfeNumber, 'read');
  const rows = (await nonMisAccounts(ctx.db, dfeNumber)).map((a) => accountRow(a, dfeNumber));
  return {
    kind: 'accounts',
    list: 'non_mis',
    dfeNumber,
    ...(filter ? { filter } : {}),
    accounts: byRole(rows, filter).sort(
      (a, b) => (b.since ?? '').localeCompare(a.since ?? '') || a.name.localeCompare(b.name),
    ),
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

/** Restores several unallocated accounts at once; each is restored or refused on its own. */
export async function restoreMany(
  ctx: ActionContext,
  actor: Actor,
  input: { dfeNumber: string; usernames: readonly string[] },
): Promise<View> {
  await authorise(ctx.db, actor, input.dfeNumber, 'contact');
  if (input.usernames.length === 0) throw new UsoError('usage', 'tick the accounts to restore first');
  const restored: string[] = [];
  const refused: { username: string; reason: string }[] = [];
  for (const username of [...new Set(input.usernames)]) {
    try {
      await restoreAccount(ctx.db, username, input.dfeNumber, actorKey(actor));
      restored.push(username);
    } catch (err) {
      if (!isUsoError(err)) throw err;
      refused.push({ username, reason: err.message });
    }
  }
  return { kind: 'restored_many', dfeNumber: input.dfeNumber, restored, refused, by: actor.displayName };
}

function newAccountView(r: NewAccountRow): NewAccountView {
  const dob = maskDob(r.account.dateOfBirth);
  const group =
    r.role === 'staff'
      ? r.account.associations.find((x) => x.role === 'staff' && x.roles?.length)?.roles?.[0]
      : [r.yearGroup && `Year ${r.yearGroup}`, r.registrationGroup].filter(Boolean).join(', ') || undefined;
  return {
    username: r.account.username,
    name: nameOf(r.account),
    ...(dob ? { maskedDob: dob } : {}),
    role: r.role,
    how: r.how,
    ...(group ? { group } : {}),
    ...(r.firstDay ? { firstDay: r.firstDay } : {}),
    at: r.at,
  };
}

/** The logins a school has to hand out: new at the school in a run (default: its latest), or since a day. */
export async function listNewAccounts(
  ctx: ActionContext,
  actor: Actor,
  input: { dfeNumber: string; runId?: string; since?: IsoDate; filter?: KindFilter },
): Promise<Extract<View, { kind: 'new_accounts' }>> {
  await authorise(ctx.db, actor, input.dfeNumber, 'read');
  let rows: NewAccountRow[];
  let scope: string;
  let runId: string | undefined;
  if (input.since) {
    rows = await newAccountsSince(ctx.db, input.dfeNumber, input.since, todayIn('Europe/London'));
    scope = `since ${input.since}`;
  } else {
    runId = input.runId ?? (await lastSucceededRun(ctx.db, input.dfeNumber))?._id;
    if (!runId) throw new UsoError('not_found', `school ${input.dfeNumber} has no finished run yet`);
    const r = await newAccountsOfRun(ctx.db, runId);
    if (r.run.dfeNumber !== input.dfeNumber)
      throw new UsoError('not_found', `run ${runId} does not exist at ${input.dfeNumber}`);
    rows = r.rows;
    scope = `run of ${r.run.startedAt.toISOString().slice(0, 10)}`;
  }
  return {
    kind: 'new_accounts',
    dfeNumber: input.dfeNumber,
    scope,
    ...(runId ? { runId } : {}),
    ...(input.since ? { since: input.since } : {}),
    ...(input.filter ? { filter: input.filter } : {}),
    accounts: byRole(rows.map(newAccountView), input.filter),
  };
}

/** The records a run (default: the school's latest) could not use, with the field and what is wrong. */
export async function listInvalid(
  ctx: ActionContext,
  actor: Actor,
  input: { dfeNumber: string; runId?: string },
): Promise<Extract<View, { kind: 'invalid' }>> {
  await authorise(ctx.db, actor, input.dfeNumber, 'read');
  const runId = input.runId ?? (await lastSucceededRun(ctx.db, input.dfeNumber))?._id;
  if (!runId) throw new UsoError('not_found', `school ${input.dfeNumber} has no finished run yet`);
  const { run, records } = await invalidRecordsOfRun(ctx.db, runId);
  if (run.dfeNumber !== input.dfeNumber)
    throw new UsoError('not_found', `run ${runId} does not exist at ${input.dfeNumber}`);
  return {
    kind: 'invalid',
    dfeNumber: run.dfeNumber,
    runId,
    records: records.map((o) => {
      const [field = '', ...why] = (o.reason ?? '').split(': ');
      const name = o.record
        ? [o.record.preferredForename ?? o.record.legalForename, o.record.legalSurname].filter(Boolean).join(' ')
        : '';
      return {
        personId: o.personId,
        report: o.report,
        ...(name ? { name } : {}),
        field: why.length ? field : '',
        reason: why.length ? why.join(': ') : (o.reason ?? ''),
      };
    }),
  };
}

/**
 * Who TEXT is at the schools the actor acts for (or the one named): each person's account or MIS record, and what
 * every run did with them and why, newest first.
 */
export async function who(
  ctx: ActionContext,
  actor: Actor,
  input: { text: string; dfeNumber?: string },
): Promise<Extract<View, { kind: 'who' }>> {
  let schools: string[];
  if (input.dfeNumber) {
    await authorise(ctx.db, actor, input.dfeNumber, 'read');
    schools = [input.dfeNumber];
  } else {
    schools = (await schoolsOf(ctx.db, actor)).map((s) => s.dfeNumber);
    if (schools.length === 0) throw new UsoError('forbidden', 'you do not act for any school yet');
  }
  const found: FoundView[] = (await findPeople(ctx.db, schools, input.text)).map((hit) => {
    const history = hit.history.slice(0, 20).map((h) => ({
      at: h.at,
      what: h.outcome
        ? `${OUTCOME_WORDS[h.outcome]}${h.candidates?.length ? ` (looks like ${h.candidates.join(', ')})` : ''}`
        : (h.action ?? ''),
      ...(h.reason ? { reason: h.reason } : {}),
      ...(h.by ? { by: h.by } : {}),
    }));
    if (hit.account) {
      const a = hit.account;
      const dob = maskDob(a.dateOfBirth);
      return {
        dfeNumber: hit.dfeNumber,
        name: nameOf(a),
        ...(dob ? { maskedDob: dob } : {}),
        account: {
          username: a.username,
          status: a.status,
          // at the school the person was found at: a move elsewhere is not one here
          latestMoveOrCreateAt: movedInAt(a, hit.dfeNumber),
          associations: a.associations
            .filter((x) => schools.includes(x.dfeNumber) || x.status === 'active')
            .map((x) => {
              const group = x.dfeNumber === hit.dfeNumber ? groupAt(a, x.dfeNumber) : undefined;
              return {
                dfeNumber: x.dfeNumber,
                role: x.role,
                status: x.status,
                source: x.source,
                since: x.since,
                ...(x.until ? { until: x.until } : {}),
                ...(group ? { group } : {}),
              };
            }),
        },
        history,
      };
    }
    const r = hit.mis!;
    const dob = maskDob(r.dateOfBirth);
    return {
      dfeNumber: hit.dfeNumber,
      name:
        [r.preferredForename ?? r.legalForename, r.legalSurname].filter(Boolean).join(' ') ||
        `MIS person ${r.personId}`,
      ...(dob ? { maskedDob: dob } : {}),
      mis: { personId: r.personId, role: r.report === 'staff' ? 'staff' : 'pupil' },
      history,
    };
  });
  return { kind: 'who', query: input.text, schools, found };
}

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
  unallocated: (ctx, actor, d) => listUnallocated(ctx, actor, d),
  'non-mis': (ctx, actor, d) => listNonMis(ctx, actor, d),
  held: (ctx, actor, d) => listHeld(ctx, actor, { dfeNumber: d }),
  new: (ctx, actor, d) => listNewAccounts(ctx, actor, { dfeNumber: d }),
  invalid: (ctx, actor, d) => listInvalid(ctx, actor, { dfeNumber: d }),
  run: runNow,
};

// what callers reach through this module (`actions.listHeld`, `actions.ActionContext`)
export type { ActionContext } from './action-base.js';
export { approveHeldChanges, decideOneHeld, listHeld, rejectHeldChanges } from './held-actions.js';
