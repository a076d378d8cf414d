// Applies a plan to the store: new accounts under free usernames, existing ones changed field by field (only what
// the plan changed, so concurrent runs of other schools are not overwritten), and an audit entry per change. Applying the same plan twice, or
// re-planning the same export, writes nothing the second time: the plan only lists accounts that differ.
import type { Db } from 'mongodb';
import { audit, type AuditEntry } from '../store/audit.js';
import { insertNewAccounts, updateAccounts } from '../store/accounts.js';
import type { Plan } from './plan.js';

export interface ApplyResult {
  accountWrites: number;
  /** MIS person id -> username of each account created. */
  created: Map<string, string>;
}

export async function applyPlan(db: Db, plan: Plan, ctx: { dfeNumber: string; runId: string; actor?: string }): Promise<ApplyResult> {
  const actor = ctx.actor ?? 'sync';
  const created = await insertNewAccounts(
    db,
    plan.creates.map((c) => ({ key: c.personId, base: c.usernameBase, account: c.account })),
  );
  const written = await updateAccounts(db, plan.updates);
  const at = new Date();
  const entries: AuditEntry[] = [];
  for (const o of plan.outcomes) {
    if (o.outcome === 'created') {
      o.username = created.get(o.personId);
      entries.push({ at, actor, action: 'account.created', dfeNumber: ctx.dfeNumber, username: o.username, runId: ctx.runId });
    } else if (o.outcome === 'updated' || o.outcome === 'auto_matched' || o.outcome === 'unallocated') {
      entries.push({ at, actor, action: `account.${o.outcome}`, dfeNumber: ctx.dfeNumber, username: o.username, runId: ctx.runId, detail: o.reason });
    }
  }
  if (entries.length) await audit(db, entries);
  return { accountWrites: created.size + written, created };
}
