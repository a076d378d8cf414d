// What a change of a school's Datashare grant tells its admins: the same alerts whether the service's hourly
// discovery or an operator's `uso discover` saw it. Each queues chat messages in the outbox and says how many; the
// caller decides whether to deliver them at once (the service) or leave them to the next delivery (the CLI).
import type { Db } from 'mongodb';
import { alerts } from './bot/index.js';
import { erasureDay } from './sync/revocation.js';
import type { SchedulerOptions } from './sync/jobs.js';

type GrantHooks = Pick<SchedulerOptions, 'onRevoked' | 'onGranted' | 'onNothingAccepted' | 'onReportsChanged'>;

export function grantAlerts(db: Db, revokeGraceDays: number, queued: (count: number) => Promise<void>): GrantHooks {
  const eraseOn = () => erasureDay(new Date().toISOString(), revokeGraceDays);
  return {
    onRevoked: async (dfeNumber) => queued(await alerts.grantRevoked(db, dfeNumber, eraseOn())),
    onGranted: async (dfeNumber) => queued(await alerts.grantRestored(db, dfeNumber)),
    onNothingAccepted: async (dfeNumber) => queued(await alerts.nothingAccepted(db, dfeNumber)),
    onReportsChanged: async (dfeNumber, change) =>
      queued(await alerts.reportsChanged(db, dfeNumber, change, eraseOn())),
  };
}
