// Outbound events: every applied change is already audited in step with its write, so the audit is the event log.
// Fan-out reads new audit entries, turns the ones subscribers care about into events (account.created, .updated,
// .unallocated, .restored, .matched; school.grant_revoked, school.report_changed; run.finished), keeps each to the
// schools and reports the subscriber is scoped to (data minimisation: never more than the school shared), and
// queues them. Delivery posts them in order, signed as our Integris check expects (t=...,v1=... HMAC-SHA256, both
// secrets while one rotates), retries with jittered backoff, and pauses a subscriber that keeps failing.
import type { Db } from 'mongodb';
import type { Logger } from '../log.js';
import { auditSince } from '../store/audit.js';
import { getAccount } from '../store/accounts.js';
import { getCursor, getSchool, setCursor } from '../store/schools.js';
import {
  markAttemptFailed,
  markDelivered,
  nextDelivery,
  queueDeliveries,
  type OutboundEvent,
} from '../store/deliveries.js';
import { listSubscribers, pauseSubscriber, type SubscriberDoc } from '../store/subscribers.js';
import type { Account, School } from '../domain/model.js';
import { integrisSignatureHeader } from './integris/signature.js';

/** The event each audited action is, for subscribers. */
export const EVENT_OF: Record<string, string> = {
  'account.created': 'account.created',
  'match.created': 'account.created',
  'account.requested': 'account.created',
  'account.updated': 'account.updated',
  'account.unallocated': 'account.unallocated',
  'account.restored': 'account.restored',
  'account.auto_matched': 'account.matched',
  'match.linked': 'account.matched',
  'school.grant_revoked': 'school.grant_revoked',
  'school.report_changed': 'school.report_changed',
  'run.finished': 'run.finished',
};

/** Audit entries are re-read this far back each time, so one written late by another process is not missed. */
const OVERLAP_MS = 2 * 60_000;
const CURSOR = 'outbound:cursor';

const wants = (s: SubscriberDoc, type: string) =>
  s.events.some((p) => p === type || p === '*' || (p.endsWith('.*') && type.startsWith(p.slice(0, -1))));
export const inScope = (s: SubscriberDoc, dfeNumber: string | undefined) =>
  !!dfeNumber &&
  ((s.scope.schools?.includes(dfeNumber) ?? false) || (!!s.scope.laCode && dfeNumber.startsWith(s.scope.laCode)));

/** The account as a subscriber may see it: the fields of the reports both it and the school accept, at that school. */
export function accountFor(
  account: Account,
  school: School,
  reports: readonly string[],
): Record<string, unknown> | undefined {
  const here = account.associations.filter((x) => x.dfeNumber === school.dfeNumber);
  const role = here.at(-1)?.role ?? account.kind;
  const report = role === 'pupil' ? 'students' : 'staff';
  if (!reports.includes(report) || !school.acceptedReports.includes(report)) return undefined;
  const groups = reports.includes('groups') && school.acceptedReports.includes('groups');
  return {
    username: account.username,
    kind: account.kind,
    legalForename: account.legalForename,
    legalSurname: account.legalSurname,
    ...(account.preferredForename ? { preferredForename: account.preferredForename } : {}),
    ...(account.preferredSurname ? { preferredSurname: account.preferredSurname } : {}),
    ...(account.dateOfBirth ? { dateOfBirth: account.dateOfBirth } : {}),
    ...(account.upn ? { upn: account.upn } : {}),
    ...(account.email ? { email: account.email } : {}),
    status: account.status,
    updatedAt: account.updatedAt,
    school: here.map((x) => ({
      dfeNumber: x.dfeNumber,
      role: x.role,
      status: x.status,
      source: x.source,
      since: x.since,
      ...(x.until ? { until: x.until } : {}),
      ...(x.yearGroup ? { yearGroup: x.yearGroup } : {}),
      ...(x.registrationGroup ? { registrationGroup: x.registrationGroup } : {}),
      ...(x.roles ? { roles: x.roles } : {}),
      ...(groups && x.groups ? { groups: x.groups } : {}),
    })),
  };
}

/** Turns new audit entries into events and queues each for the subscribers it concerns; returns the events queued. */
export async function fanOut(db: Db, now = new Date()): Promise<number> {
  const subscribers = (await listSubscribers(db)).filter((s) => !s.revokedAt);
  const cursor = (await getCursor(db, CURSOR)) ?? now;
  const entries = await auditSince(db, new Date(cursor.getTime() - OVERLAP_MS), 5000);
  if (entries.length === 0) return 0;
  const schools = new Map<string, School | undefined>();
  const schoolOf = async (d: string) => {
    if (!schools.has(d)) schools.set(d, await getSchool(db, d));
    return schools.get(d);
  };
  const queued = new Map<string, OutboundEvent[]>();
  for (const entry of entries) {
    const type = EVENT_OF[entry.action];
    if (!type || !entry.dfeNumber) continue;
    const audience = subscribers.filter(
      (s) => entry.at >= s.createdAt && wants(s, type) && inScope(s, entry.dfeNumber),
    );
    if (audience.length === 0) continue;
    const school = await schoolOf(entry.dfeNumber);
    if (!school) continue;
    const account = type.startsWith('account.') && entry.username ? await getAccount(db, entry.username) : undefined;
    if (type.startsWith('account.') && !account) continue; // erased since: nothing is sent about them
    for (const s of audience) {
      let data: Record<string, unknown>;
      if (account) {
        const visible = accountFor(account, school, s.reports);
        if (!visible) continue;
        data = { account: visible, ...(type === 'account.updated' && entry.detail ? { changed: entry.detail } : {}) };
      } else if (type === 'run.finished') data = { runId: entry.runId, summary: entry.detail ?? '' };
      else data = { detail: entry.detail ?? '' };
      const event: OutboundEvent = {
        id: `evt_${entry.id}`,
        type,
        occurredAt: entry.at.toISOString(),
        dfeNumber: entry.dfeNumber,
        data,
      };
      queued.set(s._id, [...(queued.get(s._id) ?? []), event]);
    }
  }
  let total = 0;
  for (const [id, events] of queued) total += await queueDeliveries(db, id, events);
  await setCursor(db, CURSOR, entries.at(-1)!.at);
  return total;
}

export interface DeliveryOptions {
  fetch?: typeof fetch;
  now?: () => Date;
  random?: () => number;
  logger: Logger;
  /** A subscriber failing this long is paused. */
  pauseAfterMs?: number;
  timeoutMs?: number;
}

/** Posts each subscriber's due events in order; returns how many were delivered. */
export async function deliverEvents(db: Db, options: DeliveryOptions): Promise<{ sent: number; failed: number }> {
  const send = options.fetch ?? fetch;
  const now = options.now ?? (() => new Date());
  const random = options.random ?? Math.random;
  const pauseAfter = options.pauseAfterMs ?? 24 * 3600_000;
  let sent = 0;
  let failed = 0;
  for (const s of await listSubscribers(db)) {
    if (s.revokedAt || s.pausedAt) continue;
    for (;;) {
      const d = await nextDelivery(db, s._id);
      if (!d || d.nextAttemptAt > now()) break;
      const body = JSON.stringify(d.event);
      let error: string | undefined;
      try {
        const res = await send(s.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'uso-signature': integrisSignatureHeader(body, s.secrets, Math.floor(now().getTime() / 1000)),
            'uso-event-id': d.event.id,
            'uso-event-type': d.event.type,
          },
          body,
          signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
        });
        if (!res.ok) error = `HTTP ${res.status}`;
        await res.body?.cancel().catch(() => {});
      } catch (err) {
        error = (err as Error).name === 'TimeoutError' ? 'timed out' : 'unreachable';
      }
      if (!error) {
        await markDelivered(db, d._id, now());
        sent++;
        continue;
      }
      failed++;
      // exponential backoff with jitter, at most an hour; later events wait behind this one (order is kept)
      const base = Math.min(3600_000, 30_000 * 2 ** d.attempts);
      await markAttemptFailed(db, d, error, new Date(now().getTime() + base * (0.8 + 0.4 * random())), now());
      if (d.firstFailedAt && now().getTime() - d.firstFailedAt.getTime() > pauseAfter) {
        await pauseSubscriber(db, s._id, `deliveries failing since ${d.firstFailedAt.toISOString()} (${error})`);
        options.logger.warn({ subscriber: s._id, error }, 'subscriber paused: deliveries keep failing');
      }
      break;
    }
  }
  return { sent, failed };
}
