// The retention job: children's data is kept only as long as it is needed. Run daily by the scheduler and at once by
// `uso retention`; idempotent (a second run removes nothing), and audited as counts. It removes processed export
// files beyond the newest few per school, exports never processed once they are as old as the newest kept would be
// (a paused school's, a failed run's: UNPROCESSED_KEEP_DAYS), the per-record outcomes of old
// runs (their counts stay on the run), and the service's finished bookkeeping. The audit itself is kept: it holds
// usernames and actions, no personal details beyond that.
import type { Db } from 'mongodb';
import { audit } from '../store/audit.js';
import { deleteDeliveredBefore, deletePendingOf } from '../store/deliveries.js';
import { listSubscribers } from '../store/subscribers.js';
import { createLogger, type Logger } from '../log.js';
import { eraseWithdrawnData } from './revocation.js';
import {
  deleteExports,
  deleteRunOutcomes,
  exportsBeyond,
  finishedBookkeeping,
  unprocessedExportsBefore,
  runOutcomesBefore,
} from '../store/retention.js';

export interface RetentionSettings {
  /** Processed exports kept per school (the newest). */
  exportKeepNights: number;
  /** Days a run keeps its per-record outcomes. */
  runOutcomeKeepDays: number;
  /** Days after a revoke or an un-shared report before its data is erased. */
  revokeGraceDays: number;
}

/** An export never processed is kept this long at most (a run that failed is retried well within it). */
export const UNPROCESSED_KEEP_DAYS = 14;

/** Delivered chat messages are kept this long, so run summaries posted in that time can still be updated in place. */
const SENT_MESSAGE_KEEP_DAYS = 35;

export interface RetentionReport {
  dryRun: boolean;
  exports: number;
  /** Exports never processed, older than UNPROCESSED_KEEP_DAYS. */
  unprocessedExports: number;
  exportChunks?: number;
  runOutcomes: number;
  sentMessages: number;
  linkCodes: number;
  webhookEventIds: number;
  /** Expired console sessions and sign-ins in progress. */
  webSessions?: number;
  /** Teams users' directory ids not seen for a long time. */
  teamsUsers?: number;
  /** Schools whose data was erased after a revoke, and reports erased after they stopped being shared. */
  revokedSchools: number;
  erasedReports: number;
  /** Undelivered events of revoked subscribers, removed. */
  revokedSubscriberEvents?: number;
}

export async function runRetention(
  db: Db,
  settings: RetentionSettings,
  options: { dryRun?: boolean; now?: Date; actor?: string; logger?: Logger } = {},
): Promise<RetentionReport> {
  const now = options.now ?? new Date();
  const dryRun = options.dryRun ?? false;
  const exports = await exportsBeyond(db, settings.exportKeepNights);
  const unprocessed = await unprocessedExportsBefore(db, new Date(now.getTime() - UNPROCESSED_KEEP_DAYS * 86_400_000));
  const outcomes = await runOutcomesBefore(db, new Date(now.getTime() - settings.runOutcomeKeepDays * 86_400_000));
  const bookkeeping = await finishedBookkeeping(
    db,
    new Date(now.getTime() - SENT_MESSAGE_KEEP_DAYS * 86_400_000),
    now,
    !dryRun,
  );
  const report: RetentionReport = {
    dryRun,
    exports: exports.length,
    unprocessedExports: unprocessed.length,
    runOutcomes: outcomes.length,
    sentMessages: bookkeeping.outbox,
    linkCodes: bookkeeping.linkCodes,
    webhookEventIds: bookkeeping.eventIds,
    webSessions: bookkeeping.webSessions,
    teamsUsers: bookkeeping.teamsUsers,
    revokedSchools: 0,
    erasedReports: 0,
  };
  if (dryRun) return report;
  // delivered subscriber events go with the delivered chat messages; a revoked subscriber's undelivered ones at once
  report.sentMessages += await deleteDeliveredBefore(db, new Date(now.getTime() - SENT_MESSAGE_KEEP_DAYS * 86_400_000));
  report.revokedSubscriberEvents = await deletePendingOf(
    db,
    (await listSubscribers(db)).filter((s) => s.revokedAt).map((s) => s._id),
    now,
  );
  const withdrawn = await eraseWithdrawnData(db, settings.revokeGraceDays, {
    now,
    logger: options.logger ?? createLogger({ level: 'silent' }),
    ...(options.actor ? { actor: options.actor } : {}),
  });
  report.revokedSchools = withdrawn.revoked.length;
  report.erasedReports = withdrawn.reports.reduce((n, r) => n + r.reports.length, 0);
  report.exportChunks = await deleteExports(
    db,
    [...exports, ...unprocessed].map((e) => e._id),
  );
  await deleteRunOutcomes(db, outcomes);
  const removed = Object.entries(report).filter(([k, v]) => k !== 'dryRun' && v);
  if (removed.length) {
    await audit(db, {
      at: now,
      actor: options.actor ?? 'retention',
      action: 'retention.removed',
      detail: removed.map(([k, v]) => `${k} ${v}`).join(', '),
    });
  }
  return report;
}
