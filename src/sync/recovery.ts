// Puts right what an interrupted run left: a run still marked `running` whose school lease is gone (its process
// died or was stopped) gets an audit entry for every account it wrote but did not get to audit (each write stamps
// its run on the account), and is then marked failed with `run_interrupted`. The next run re-plans the same export
// and applies whatever the interrupted one did not, so nothing is lost and nothing is applied twice.
import type { AuditAction } from '../domain/audit-actions.js';
import type { Db } from 'mongodb';
import type { Logger } from '../log.js';
import { deleteAccountIfUnchanged, getAccount } from '../store/accounts.js';
import { accountsChangedByRun } from '../store/account-inserts.js';
import { claimIdentities, releaseIdentities } from '../store/identities.js';
import { accountIdentityKeys } from '../domain/identity.js';
import type { Account } from '../domain/model.js';
import { scoreCandidate } from './match.js';
import { audit, auditedAccountsOfRun } from '../store/audit.js';
import { moveEpochs } from '../store/rosters.js';
import { getLease, leaseIsDead } from '../store/leases.js';
import { failRunningRun, getRun, runsToRecover, type RunDoc } from '../store/runs.js';
import { accountCarries, auditActionOf } from './apply.js';

export const runLeaseKey = (dfeNumber: string) => `run:${dfeNumber}`;

/** True when no live process holds the run's lease any more. */
async function interrupted(db: Db, run: RunDoc, now: Date): Promise<boolean> {
  const lease = await getLease(db, runLeaseKey(run.dfeNumber));
  return !lease || lease.owner !== run.leaseOwner || leaseIsDead(lease, now);
}

export interface RecoveredRun {
  runId: string;
  dfeNumber: string;
  /** Accounts the run wrote before it stopped. */
  written: number;
  /** Of those, how many had no audit entry until now. */
  auditedNow: number;
}

/** Writes an audit entry for each account the run wrote but did not audit; returns how many it wrote. */
async function auditUnaudited(db: Db, run: RunDoc): Promise<{ written: number; auditedNow: number }> {
  const written = await accountsChangedByRun(db, run._id);
  // the run may have died between a write and its second roster move: every school it wrote at is read afresh
  await moveEpochs(
    db,
    written.flatMap((w) => w.schools),
  );
  const audited = await auditedAccountsOfRun(db, run._id);
  const planned = new Map((run.outcomes ?? []).filter((o) => o.username).map((o) => [o.username!, o]));
  const unaudited = written.filter((w) => !audited.has(w.username));
  const withdrawn = await claimUnaudited(
    db,
    run,
    unaudited.filter((w) => w.created),
  );
  const missing = unaudited.filter((w) => !withdrawn.has(w.username));
  if (missing.length) {
    await audit(
      db,
      missing.map((w) => {
        const o = planned.get(w.username);
        const action: AuditAction =
          (o && auditActionOf(o.outcome)) ?? (w.created ? 'account.created' : 'account.updated');
        return {
          at: w.at,
          actor: 'sync',
          action,
          dfeNumber: run.dfeNumber,
          username: w.username,
          runId: run._id,
          detail: 'audited on recovery: the run was interrupted after this write',
        };
      }),
    );
  }
  return { written: written.length, auditedNow: missing.length };
}

/**
 * New accounts the run made but did not get to claim and audit (it died between the two) claim their identity now.
 * One that lost to an account made meanwhile elsewhere, and looks like it, is withdrawn while nothing has used it:
 * the next run re-plans its person, who is then linked to that account or held beside it. Returns those withdrawn.
 */
async function claimUnaudited(db: Db, run: RunDoc, created: readonly { username: string }[]): Promise<Set<string>> {
  const withdrawn = new Set<string>();
  const accounts = (await Promise.all(created.map((c) => getAccount(db, c.username)))).filter(
    (a): a is Account => a !== undefined,
  );
  const lost = await claimIdentities(
    db,
    accounts.map((a) => ({ ref: a.username, username: a.username, keys: accountIdentityKeys(a) })),
    (username, key) => accountCarries(db, username, key),
  );
  for (const account of accounts) {
    const l = lost.get(account.username);
    const holder = l && (await getAccount(db, l.holder));
    if (!l || !holder || !scoreCandidate(account, holder)) continue;
    if (!(await deleteAccountIfUnchanged(db, account.username, 0))) continue;
    await releaseIdentities(db, account.username, l.won);
    withdrawn.add(account.username);
    await audit(db, {
      at: new Date(),
      actor: 'sync',
      action: 'identity.withdrawn',
      dfeNumber: run.dfeNumber,
      username: account.username,
      runId: run._id,
      detail: `made at the same time as ${l.holder} elsewhere, which carries the same identity: the next run links or holds the person`,
    });
  }
  return withdrawn;
}

/**
 * Audits what a stopped run wrote without auditing, then marks it failed with the error given (`run_interrupted`
 * by default). Only for a run nobody is applying any more: its lease is gone, or the caller is its own process.
 */
export async function settleStoppedRun(
  db: Db,
  runId: string,
  error: { code: string; message: string },
): Promise<RecoveredRun | undefined> {
  const run = await getRun(db, runId);
  if (!run || run.status !== 'running') return undefined;
  const { written, auditedNow } = await auditUnaudited(db, run);
  const note = `stopped after ${written} account write(s); the next run of this export applies the rest`;
  if (!(await failRunningRun(db, runId, { error, accountWrites: written, note, settledAt: new Date() })))
    return undefined;
  return { runId, dfeNumber: run.dfeNumber, written, auditedNow };
}

/**
 * How long after settling a stopped run its writes are checked again: a command the dead process had sent can
 * still be executing on the server (FerretDB applies a batch statement by statement), so writes may land after it.
 */
export const RECHECK_MS = 15 * 60_000;

/** Finds runs left `running` by a dead or stopped process (of one school, or all) and recovers each. */
export async function recoverInterruptedRuns(
  db: Db,
  logger: Logger,
  options: { dfeNumber?: string; now?: Date } = {},
): Promise<RecoveredRun[]> {
  const now = options.now ?? new Date();
  const recovered: RecoveredRun[] = [];
  const { running, settled } = await runsToRecover(db, new Date(now.getTime() - RECHECK_MS), options.dfeNumber);
  for (const run of running) {
    if (!(await interrupted(db, run, now))) continue;
    const r = await settleStoppedRun(db, run._id, {
      code: 'run_interrupted',
      message: 'the process running it stopped before it finished',
    });
    if (!r) continue;
    recovered.push(r);
    logger.warn(
      { dfeNumber: r.dfeNumber, runId: r.runId, written: r.written, auditedNow: r.auditedNow, code: 'run_interrupted' },
      'interrupted run recovered and marked failed',
    );
  }
  // writes that landed after a run was settled (its last command was still executing) are audited on the next look
  for (const run of settled) {
    const detail = await getRun(db, run._id);
    if (!detail) continue;
    const { auditedNow } = await auditUnaudited(db, detail);
    if (auditedNow)
      logger.warn(
        { dfeNumber: run.dfeNumber, runId: run._id, auditedNow },
        'late writes of an interrupted run audited',
      );
  }
  return recovered;
}
