// Applies a plan to the store: new accounts under free usernames, existing ones changed field by field (only what
// the plan changed, so concurrent runs of other schools are not overwritten). The audit goes in step with the
// writes, batch by batch, and every write stamps its run on the account itself, so a crash between the two is
// reconciled by `recoverInterruptedRuns`. Applying the same plan twice, or re-planning the same export, writes
// nothing the second time: the plan only lists accounts that differ. A person whose account cannot be written is
// that person's `invalid` outcome; it never stops the rest of the school's run.
import type { Db } from 'mongodb';
import { audit, type AuditEntry } from '../store/audit.js';
import { aroundWrites, changedFields, insertNewAccounts, updateAccounts, type ChangeStamp } from '../store/accounts.js';
import type { Plan } from './plan.js';
import type { RecordOutcome } from '../domain/outcomes.js';

export interface ApplyResult {
  accountWrites: number;
  /** MIS person id -> username of each account created. */
  created: Map<string, string>;
  /** The roster epochs the writes moved, per school. */
  moved: Map<string, number>;
}

/** The audit action for a record's outcome, when the outcome changes an account. */
export function auditActionOf(outcome: RecordOutcome['outcome']): string | undefined {
  if (outcome === 'created' || outcome === 'updated' || outcome === 'auto_matched' || outcome === 'unallocated')
    return `account.${outcome}`;
  return undefined;
}

export async function applyPlan(
  db: Db,
  plan: Plan,
  ctx: { dfeNumber: string; runId: string; actor?: string; signal?: AbortSignal },
): Promise<ApplyResult> {
  const actor = ctx.actor ?? 'sync';
  const stamp: ChangeStamp = { actor, runId: ctx.runId, at: new Date() };
  const moved = new Map<string, number>();
  const outcomeOf = new Map<string, RecordOutcome>();
  for (const o of plan.outcomes) if (o.username && auditActionOf(o.outcome)) outcomeOf.set(o.username, o);
  const entry = (o: RecordOutcome, username: string): AuditEntry => ({
    at: new Date(),
    actor,
    action: auditActionOf(o.outcome)!,
    dfeNumber: ctx.dfeNumber,
    username,
    runId: ctx.runId,
    ...(o.reason && o.outcome !== 'created' ? { detail: o.reason } : {}),
  });

  const createdOutcome = new Map(plan.outcomes.filter((o) => o.outcome === 'created').map((o) => [o.personId, o]));
  const touched = [...plan.creates.map((c) => c.account), ...plan.updates.flatMap((u) => [u.before, u.after])];
  // the epochs are moved around all the writes, here, not around each batch
  const writing = { stamp, signal: ctx.signal, epochsMoved: true };
  return aroundWrites(db, touched, moved, async () => {
    const { assigned, failed } = await insertNewAccounts(
      db,
      plan.creates.map((c) => ({ key: c.personId, base: c.usernameBase, account: c.account })),
      {
        ...writing,
        afterBatch: async (written) => {
          await audit(
            db,
            written.map((w) => entry(createdOutcome.get(w.key)!, w.username)),
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
}
