// Applies a plan to the store: new accounts under free usernames, existing ones changed field by field (only what
// the plan changed, so concurrent runs of other schools are not overwritten). The audit goes in step with the
// writes, batch by batch, and every write stamps its run on the account itself, so a crash between the two is
// reconciled by `recoverInterruptedRuns`. Applying the same plan twice, or re-planning the same export, writes
// nothing the second time: the plan only lists accounts that differ. A person whose account cannot be written is
// that person's `invalid` outcome; it never stops the rest of the school's run.
import type { AuditAction } from '../domain/audit-actions.js';
import type { Db } from 'mongodb';
import { audit, type AuditEntry } from '../store/audit.js';
import {
  aroundWrites,
  changedFields,
  deleteAccountIfUnchanged,
  getAccount,
  updateAccounts,
  type ChangeStamp,
} from '../store/accounts.js';
import { insertNewAccounts } from '../store/account-inserts.js';
import { markPending, pendingSchools } from '../store/lookalikes.js';
import { laSchoolCounts } from '../store/la-population.js';
import {
  claimIdentities,
  handOnIdentities,
  noteIdentities,
  releaseIdentities,
  type LostClaim,
} from '../store/identities.js';
import { type Plan } from './plan-types.js';
import { settleLostCreate } from './plan-accounts.js';
import type { HeldMatch, NewAccount, RecordOutcome } from '../domain/outcomes.js';
import { accountIdentityKeys, identityKeys } from '../domain/identity.js';
import type { School } from '../domain/model.js';

export interface ApplyResult {
  accountWrites: number;
  /** People held for matching after the writes: their new account lost its identity to one made meanwhile. */
  held?: HeldMatch[];
  /** MIS person id -> username of each account created. */
  created: Map<string, string>;
  /** The roster epochs the writes moved, per school. */
  moved: Map<string, number>;
}

/** New accounts a run files in the look-alike index itself; more are filed after it (`filePending`)... */
export const FILE_WITH_THE_RUN_UP_TO = 50;
/** ...while its LA's pending accounts stay within this (about what a search reads of rosters in 0.5 s here). */
export const PENDING_UP_TO = 20_000;

/** How many accounts the LA's pending schools hold (as their last runs left them). */
async function pendingAccounts(db: Db, laCode: string): Promise<number> {
  const [pending, counts] = await Promise.all([pendingSchools(db, laCode), laSchoolCounts(db, laCode)]);
  return [...pending.keys()].reduce((sum, school) => sum + (counts[school] ?? 0), 0);
}

/** The audit action for a record's outcome, when the outcome changes an account. */
export function auditActionOf(outcome: RecordOutcome['outcome']): AuditAction | undefined {
  if (outcome === 'created' || outcome === 'updated' || outcome === 'auto_matched' || outcome === 'unallocated')
    return `account.${outcome}`;
  return undefined;
}

export async function applyPlan(
  db: Db,
  plan: Plan,
  ctx: {
    school: School;
    runId: string;
    actor?: string;
    signal?: AbortSignal;
    now?: string;
  },
): Promise<ApplyResult> {
  const actor = ctx.actor ?? 'sync';
  const { school } = ctx;
  const dfeNumber = school.dfeNumber;
  const stamp: ChangeStamp = { actor, runId: ctx.runId, at: new Date() };
  const moved = new Map<string, number>();
  const outcomeOf = new Map<string, RecordOutcome>();
  for (const o of plan.outcomes) if (o.username && auditActionOf(o.outcome)) outcomeOf.set(o.username, o);
  const entry = (o: RecordOutcome, username: string): AuditEntry => ({
    at: new Date(),
    actor,
    action: auditActionOf(o.outcome)!,
    dfeNumber,
    username,
    runId: ctx.runId,
    ...(o.reason && o.outcome !== 'created' ? { detail: o.reason } : {}),
  });

  const createdOutcome = new Map(plan.outcomes.filter((o) => o.outcome === 'created').map((o) => [o.personId, o]));
  const createOf = new Map(plan.creates.map((c) => [c.personId, c]));
  const lostCreates: { create: NewAccount; username: string; lost: LostClaim }[] = [];
  const touched = [...plan.creates.map((c) => c.account), ...plan.updates.flatMap((u) => [u.before, u.after])];
  // the epochs are moved around all the writes, here, not around each batch
  const writing = { stamp, signal: ctx.signal, epochsMoved: true };
  // many new accounts at once (a first sync) are filed in the look-alike index after the run; the school is listed
  // as pending first, so a search reads its roster meanwhile. Searches read every pending roster, so once the LA's
  // pending accounts would pass PENDING_UP_TO (a large LA's first night) a run files its own with it.
  const fileLater =
    plan.creates.length > FILE_WITH_THE_RUN_UP_TO &&
    (await pendingAccounts(db, school.laCode)) + plan.creates.length <= PENDING_UP_TO;
  if (fileLater) await markPending(db, school.laCode, dfeNumber, ctx.runId);
  const result: ApplyResult = await aroundWrites(db, touched, moved, async () => {
    const { assigned, failed } = await insertNewAccounts(
      db,
      plan.creates.map((c) => ({ key: c.personId, base: c.usernameBase, account: c.account })),
      {
        ...writing,
        file: !fileLater,
        afterBatch: async (written) => {
          // each new account claims its identity keys across the LA; one that another run made at the same time
          // is settled after the writes (linked to that account, or held), and is not audited as created meanwhile
          const lost = await claimIdentities(
            db,
            written.map((w) => ({
              ref: w.key,
              username: w.username,
              keys: keysOfCreate(createOf.get(w.key)!, school),
            })),
            (username, key) => accountCarries(db, username, key),
          );
          for (const w of written) {
            const l = lost.get(w.key);
            if (l) lostCreates.push({ create: createOf.get(w.key)!, username: w.username, lost: l });
          }
          await audit(
            db,
            written.filter((w) => !lost.has(w.key)).map((w) => entry(createdOutcome.get(w.key)!, w.username)),
          );
        },
      },
    );
    for (const o of createdOutcome.values()) {
      const username = assigned.get(o.personId);
      if (username) o.username = username;
      else {
        o.outcome = 'invalid';
        o.reason = failed.get(o.personId) ?? 'the account was not created';
        plan.counts.created--;
        plan.counts.invalid++;
      }
    }
    const fieldsOf = new Map(plan.updates.map((u) => [u.after.username, changedFields(u.before, u.after)]));
    const written = await updateAccounts(db, plan.updates, {
      ...writing,
      afterBatch: async (usernames) => {
        // an account written with no outcome of its own (an absence within the grace period) is audited too
        // each entry names the fields that changed (names only: the values are personal data)
        await audit(
          db,
          usernames.map((u) => {
            const e = entry(
              outcomeOf.get(u) ?? { report: 'students', personId: '', outcome: 'updated', reason: 'absence noted' },
              u,
            );
            const fields = fieldsOf.get(u)?.join(', ');
            return fields ? { ...e, detail: e.detail ? `${e.detail}; fields: ${fields}` : `fields: ${fields}` } : e;
          }),
        );
      },
    });
    return { accountWrites: assigned.size + written, created: assigned, moved };
  });
  for (const lost of lostCreates)
    await settleLost(db, plan, result, lost, {
      school,
      runId: ctx.runId,
      stamp,
      now: ctx.now ?? stamp.at.toISOString(),
      audit: (o, username) => audit(db, entry(o, username)),
    });
  // the accounts the run linked claim what identifies them, where nobody holds it yet
  await noteLinkedIdentities(db, plan, school);
  return result;
}

/** The identity keys a planned create claims (a create an admin asked for despite a look-alike claims no names). */
const keysOfCreate = (c: NewAccount, school: School) =>
  identityKeys(c.account, school.laCode, { names: !c.deliberate });

/** Whether the account still carries the identity key (a claim is kept only as long as that holds). */
export async function accountCarries(db: Db, username: string, key: string): Promise<boolean> {
  const account = await getAccount(db, username);
  return account !== undefined && accountIdentityKeys(account).includes(key);
}

/**
 * A new account that lost an identity key to an account made at the same time (by another school's run, another
 * worker, the CLI): it is withdrawn, and its person linked to that account or held for matching beside it, as the
 * plan would have decided had it seen the account. An account withdrawn cannot be unless nothing has used it yet:
 * otherwise it is kept, and `uso doctor` lists the pair.
 */
async function settleLost(
  db: Db,
  plan: Plan,
  result: ApplyResult,
  { create, username, lost }: { create: NewAccount; username: string; lost: LostClaim },
  ctx: {
    school: School;
    runId: string;
    stamp: ChangeStamp;
    now: string;
    audit: (o: RecordOutcome, username: string) => Promise<void>;
  },
): Promise<void> {
  const outcome = plan.outcomes.find((o) => o.outcome === 'created' && o.personId === create.personId)!;
  const holder = await getAccount(db, lost.holder);
  const settled = holder ? settleLostCreate(ctx.school, create, holder, ctx.now) : ({ kind: 'keep' } as const);
  const keys = keysOfCreate(create, ctx.school);
  if (settled.kind === 'keep' || !(await deleteAccountIfUnchanged(db, username, 0))) {
    // kept (another person after all, or already in use): it holds what it can of the keys it did not reach
    await noteIdentities(
      db,
      username,
      keys.filter((k) => k !== lost.key && !lost.won.includes(k)),
    );
    await ctx.audit(outcome, username);
    return;
  }
  result.created.delete(create.personId);
  result.accountWrites--;
  const why = `made at the same time as ${lost.holder} elsewhere, which carries the same identity`;
  await audit(db, {
    at: new Date(),
    actor: ctx.stamp.actor,
    action: 'identity.withdrawn',
    dfeNumber: ctx.school.dfeNumber,
    username,
    runId: ctx.runId,
    detail: `${why}: ${settled.kind === 'link' ? 'linked to it' : 'held for matching'}`,
  });
  plan.counts.created--;
  if (settled.kind === 'link') {
    const written = await updateAccounts(db, [{ before: holder!, after: settled.after }], { stamp: ctx.stamp });
    await handOnIdentities(db, username, lost.holder, keys);
    Object.assign(outcome, {
      outcome: 'auto_matched',
      username: lost.holder,
      reason: [...settled.candidate.reasons, why].join('; '),
    });
    plan.counts.auto_matched++;
    result.accountWrites += written;
    await ctx.audit(outcome, lost.holder);
  } else {
    await releaseIdentities(db, username, keys);
    delete outcome.username;
    Object.assign(outcome, {
      outcome: 'held_for_matching',
      candidates: settled.match.candidates,
      reason: `looks like ${lost.holder}, ${why}`,
    });
    plan.counts.held_for_matching++;
    (result.held ??= []).push(settled.match);
  }
}

/** Accounts the plan linked to an MIS person note the identity keys they now carry. */
async function noteLinkedIdentities(db: Db, plan: Plan, school: School): Promise<void> {
  const linked = new Set(plan.outcomes.filter((o) => o.outcome === 'auto_matched').map((o) => o.username));
  for (const { after } of plan.updates)
    if (linked.has(after.username)) await noteIdentities(db, after.username, identityKeys(after, school.laCode));
}
