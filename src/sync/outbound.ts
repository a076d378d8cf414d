// Outbound events: every applied change is already audited in step with its write, so the audit is the event log.
// Fan-out reads new audit entries, turns the ones subscribers care about into events (account.created, .updated,
// .unallocated, .restored, .matched; school.grant_revoked, school.report_changed; run.finished), keeps each to the
// schools and reports the subscriber is scoped to (data minimisation: never more than the school shared), and
// queues them. Delivery posts them in order, signed as our Integris check expects (t=...,v1=... HMAC-SHA256, both
// secrets while one rotates), retries with jittered backoff, and pauses a subscriber that keeps failing.
import type { AuditAction } from '../domain/audit-actions.js';
import type { Db } from 'mongodb';
import type { Logger } from '../log.js';
import { auditAfter, type AuditEntry } from '../store/audit.js';
import { getAccount } from '../store/accounts.js';
import { getAuditCursor, getSchool, setAuditCursor } from '../store/schools.js';
import { fanOutLag } from '../metrics.js';
import {
  isWithdrawn,
  nextSegment,
  queueSegments,
  recordDelivered,
  recordFailure,
  type OutboundEvent,
} from '../store/deliveries.js';
import { approvalKey, approvals } from '../store/sharing.js';
import { fieldsOf, listSubscribers, pauseSubscriber, type SubscriberDoc } from '../store/subscribers.js';
import type { Account, School } from '../domain/model.js';
import { integrisSignatureHeader } from './integris/signature.js';
import { standardWebhookHeaders } from './standard-webhooks.js';
import { postToDestination } from './destinations.js';
import { UsoError } from '../errors.js';

/** The event each audited action is, for subscribers. */
export const EVENT_OF: Partial<Record<AuditAction, string>> = {
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

/**
 * Entries younger than this are left for the next pass: an entry's id is made as its insert is sent, and an insert
 * still under way (at most the store's watchdog, 60 s by default) may land behind one already read.
 */
export const SETTLE_MS = 90_000;
/** Accounts read at once while a page is queued. */
const ACCOUNT_READS_AT_ONCE = 8;
/** Audit entries read per page. */
const PAGE = 1000;
const CURSOR = 'outbound:cursor';
/** A cursor this far behind the newest entry is said in the LA digest and logged. */
export const LAG_ALERT_SECONDS = 3600;

const wants = (s: SubscriberDoc, type: string) =>
  s.events.some((p) => p === type || p === '*' || (p.endsWith('.*') && type.startsWith(p.slice(0, -1))));
export const inScope = (s: SubscriberDoc, dfeNumber: string | undefined) =>
  !!dfeNumber &&
  ((s.scope.schools?.includes(dfeNumber) ?? false) || (!!s.scope.laCode && dfeNumber.startsWith(s.scope.laCode)));

/**
 * The account as a subscriber may see it: the fields of the reports both it and the school accept, at that school.
 * Someone who has left the school is seen as they were when they left (the record their association kept then), never
 * as another school records them now; one who left before such records were kept is seen without personal details.
 */
export function accountFor(
  account: Account,
  school: School,
  subscriber: Pick<SubscriberDoc, 'reports' | 'fields'>,
  now = new Date(),
): Record<string, unknown> | undefined {
  const { reports } = subscriber;
  const asked = new Set<string>(fieldsOf(subscriber));
  const here = account.associations.filter((x) => x.dfeNumber === school.dfeNumber);
  const role = here.at(-1)?.role ?? account.kind;
  const report = role === 'pupil' ? 'students' : 'staff';
  if (!reports.includes(report) || !school.acceptedReports.includes(report)) return undefined;
  const groups = reports.includes('groups') && school.acceptedReports.includes('groups');
  const stillHere = here.length === 0 || here.some((x) => x.status === 'active');
  const left = stillHere
    ? undefined
    : here
        .filter((x) => x.leftAs)
        .sort((a, b) => a.leftAs!.at.localeCompare(b.leftAs!.at))
        .at(-1)?.leftAs;
  // and once the school's time for seeing leavers has passed, not at all
  const leftOn = left?.at ?? (here.at(-1)?.until ? `${here.at(-1)!.until}T00:00:00.000Z` : undefined);
  const visibleDays = school.settings.leaverVisibleDays ?? 365;
  if (!stillHere && leftOn && Date.parse(leftOn) + visibleDays * 86_400_000 < now.getTime()) return undefined;
  const details: Partial<Account> = stillHere ? account : (left?.fields ?? {});
  return {
    username: account.username,
    kind: account.kind,
    ...(details.legalForename ? { legalForename: details.legalForename } : {}),
    ...(details.legalSurname ? { legalSurname: details.legalSurname } : {}),
    ...(details.preferredForename ? { preferredForename: details.preferredForename } : {}),
    ...(details.preferredSurname ? { preferredSurname: details.preferredSurname } : {}),
    ...(details.dateOfBirth && asked.has('dateOfBirth') ? { dateOfBirth: details.dateOfBirth } : {}),
    ...(details.upn && asked.has('upn') ? { upn: details.upn } : {}),
    ...(details.email && asked.has('email') ? { email: details.email } : {}),
    // at this school: someone who left is unallocated here, whatever they are elsewhere
    status: stillHere ? account.status : 'unallocated',
    updatedAt: stillHere
      ? account.updatedAt
      : (left?.at ?? `${here.at(-1)?.until ?? account.updatedAt.slice(0, 10)}T00:00:00.000Z`),
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

/** Where the fan-out's cursor stands, and how far behind it was left at its last pass. */
export const fanOutCursor = (db: Db) => getAuditCursor(db, CURSOR);

export interface FanOutOptions {
  now?: Date;
  /** Entries younger than this wait for the next pass (SETTLE_MS; tests that wrote everything already pass 0). */
  settleMs?: number;
  /** A pass stops after this long, its cursor where it got to: the next pass goes on from there. */
  budgetMs?: number;
  logger?: Logger;
}

/**
 * Turns new audit entries into events and queues each for the subscribers it concerns; returns the events queued.
 * It pages through the audit by entry id after its cursor, which moves past every page it reads: however many
 * entries a night writes, nothing is read twice and nothing is skipped.
 */
export async function fanOut(db: Db, options: FanOutOptions = {}): Promise<number> {
  const now = options.now ?? new Date();
  const until = new Date(now.getTime() - (options.settleMs ?? SETTLE_MS));
  const started = performance.now();
  const subscribers = (await listSubscribers(db)).filter((s) => !s.revokedAt);
  // the schools' approvals, read once a pass like the subscribers
  const approved = await approvals(db);
  const cursor = await getAuditCursor(db, CURSOR);
  // a cursor kept by an earlier version holds a time only: from a little before it (what was queued is not again)
  let after: string | Date = cursor?.entryId ?? new Date((cursor?.at ?? now).getTime() - 2 * 60_000);
  let lastAt = cursor?.at ?? now;
  let page = cursor?.page ?? 0;
  const schools = new Map<string, School | undefined>();
  const schoolOf = async (d: string) => {
    if (!schools.has(d)) schools.set(d, await getSchool(db, d));
    return schools.get(d);
  };
  let total = 0;
  let behind = false;
  // a page a pass began to queue but did not finish is queued again, exactly the entries it had
  let unfinished = cursor?.queuing;
  for (;;) {
    let entries = await auditAfter(db, after, until, PAGE);
    if (unfinished) entries = entries.filter((e) => e.id <= unfinished!.through);
    if (entries.length === 0 && !unfinished) break;
    const last = entries.at(-1);
    const number = unfinished?.page ?? page + 1;
    if (last) {
      if (!unfinished)
        await setAuditCursor(db, CURSOR, {
          ...(typeof after === 'string' ? { entryId: after } : {}),
          at: lastAt,
          page,
          queuing: { page: number, through: last.id },
        });
      total += await queuePage(db, number, entries, subscribers, approved, schoolOf, now);
      after = last.id;
      lastAt = last.at;
    }
    page = number;
    // after a page queued again, go on to what came after it
    behind = entries.length === PAGE || !!unfinished;
    unfinished = undefined;
    await setAuditCursor(db, CURSOR, { ...(typeof after === 'string' ? { entryId: after } : {}), at: lastAt, page });
    if (!behind || performance.now() - started > (options.budgetMs ?? 45_000)) break;
  }
  // how far behind the newest settled entry the cursor was left: 0 when it read everything there was
  const lagSeconds = behind ? Math.max(0, Math.round((until.getTime() - lastAt.getTime()) / 1000)) : 0;
  fanOutLag.set(lagSeconds);
  if (typeof after === 'string') await setAuditCursor(db, CURSOR, { entryId: after, at: lastAt, page, lagSeconds });
  if (lagSeconds > LAG_ALERT_SECONDS)
    options.logger?.warn({ lagSeconds }, 'outbound events are behind the audit by over an hour');
  return total;
}

/** Queues the events of one page of audit entries for the subscribers they concern. */
async function queuePage(
  db: Db,
  page: number,
  entries: readonly (AuditEntry & { id: string })[],
  subscribers: readonly SubscriberDoc[],
  approved: ReadonlySet<string>,
  schoolOf: (dfeNumber: string) => Promise<School | undefined>,
  now: Date,
): Promise<number> {
  const queued = new Map<string, OutboundEvent[]>();
  // each entry's event and audience: only subscribers the school has approved (nothing of a school is queued before
  // it says yes)
  const planned = entries.flatMap((entry) => {
    const type = EVENT_OF[entry.action];
    const dfeNumber = entry.dfeNumber;
    if (!type || !dfeNumber) return [];
    const audience = subscribers.filter(
      (s) =>
        entry.at >= s.createdAt &&
        wants(s, type) &&
        inScope(s, dfeNumber) &&
        approved.has(approvalKey(dfeNumber, s._id)),
    );
    return audience.length ? [{ entry, type, dfeNumber, audience }] : [];
  });
  // the page's accounts, read a few at a time by `_id` (each its own indexed read)
  const usernames = [
    ...new Set(planned.filter((p) => p.entry.username && p.type.startsWith('account.')).map((p) => p.entry.username!)),
  ];
  const accounts = new Map<string, Account | undefined>();
  for (let i = 0; i < usernames.length; i += ACCOUNT_READS_AT_ONCE)
    await Promise.all(
      usernames.slice(i, i + ACCOUNT_READS_AT_ONCE).map(async (u) => accounts.set(u, await getAccount(db, u))),
    );
  for (const { entry, type, dfeNumber, audience } of planned) {
    const school = await schoolOf(dfeNumber);
    if (!school) continue;
    const account = type.startsWith('account.') && entry.username ? accounts.get(entry.username) : undefined;
    if (type.startsWith('account.') && !account) continue; // erased since: nothing is sent about them
    for (const s of audience) {
      let data: Record<string, unknown>;
      if (account) {
        const visible = accountFor(account, school, s);
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
      if (!queued.has(s._id)) queued.set(s._id, []);
      queued.get(s._id)!.push(event);
    }
  }
  return queueSegments(db, page, queued, now);
}

export interface DeliveryOptions {
  now?: () => Date;
  random?: () => number;
  logger: Logger;
  /** A subscriber failing this long is paused. */
  pauseAfterMs?: number;
  timeoutMs?: number;
}

/**
 * Posts each subscriber's due events in order; returns how many were delivered and how many attempts failed. Each
 * subscriber goes on its own (a slow or failing one delays only itself); a pass stops after `budgetMs`.
 */
export async function deliverEvents(
  db: Db,
  options: DeliveryOptions & { budgetMs?: number },
): Promise<{ sent: number; failed: number }> {
  const started = performance.now();
  const within = () => performance.now() - started < (options.budgetMs ?? 45_000);
  const lastPage = (await fanOutCursor(db))?.page ?? 0;
  const active = (await listSubscribers(db)).filter((s) => !s.revokedAt && !s.pausedAt);
  const results = await Promise.all(active.map((s) => deliverTo(db, s, lastPage, options, within)));
  return results.reduce((a, b) => ({ sent: a.sent + b.sent, failed: a.failed + b.failed }), { sent: 0, failed: 0 });
}

/** Delivers a subscriber's queue segment by segment, each event in turn, recording each segment's progress once. */
async function deliverTo(
  db: Db,
  s: SubscriberDoc,
  lastPage: number,
  options: DeliveryOptions,
  within: () => boolean,
): Promise<{ sent: number; failed: number }> {
  const now = options.now ?? (() => new Date());
  const random = options.random ?? Math.random;
  const pauseAfter = options.pauseAfterMs ?? 24 * 3600_000;
  let sent = 0;
  while (within()) {
    const seg = await nextSegment(db, s._id, lastPage);
    if (!seg || seg.nextAttemptAt > now()) break;
    let next = seg.sent;
    for (; next < seg.events.length && within(); next++) {
      const event = seg.events[next]!;
      if (isWithdrawn(event)) continue;
      const error = await post(s, event, now(), options.timeoutMs);
      if (!error) {
        sent++;
        continue;
      }
      // exponential backoff with jitter, at most an hour; later events wait behind this one (order is kept)
      const attempts = next === seg.sent ? seg.attempts : 0;
      const base = Math.min(3600_000, 30_000 * 2 ** attempts);
      const retryAt = new Date(now().getTime() + base * (0.8 + 0.4 * random()));
      const { firstFailedAt } = await recordFailure(db, seg, next, error, retryAt, now());
      if (now().getTime() - firstFailedAt.getTime() > pauseAfter) {
        await pauseSubscriber(db, s._id, `deliveries failing since ${firstFailedAt.toISOString()} (${error})`);
        options.logger.warn({ subscriber: s._id, error }, 'subscriber paused: deliveries keep failing');
      }
      return { sent, failed: 1 };
    }
    await recordDelivered(db, seg, next, now());
    if (next < seg.events.length) break; // out of time: the next pass goes on from here
  }
  return { sent, failed: 0 };
}

/**
 * Posts one event to the subscriber's address, checked again now (https unless allowed, no internal address unless
 * allowed, resolved and connected to as checked); undefined when the subscriber took it, else why not. A redirect is
 * never followed: it is a failed delivery.
 */
async function post(s: SubscriberDoc, event: OutboundEvent, at: Date, timeoutMs = 10_000): Promise<string | undefined> {
  const body = JSON.stringify(event);
  const timestamp = Math.floor(at.getTime() / 1000);
  try {
    const status = await postToDestination(
      s.url,
      { allowHttp: s.allowHttp, allowPrivate: s.allowPrivate },
      {
        headers: {
          'content-type': 'application/json',
          ...standardWebhookHeaders(event.id, body, s.secrets, timestamp),
          // the scheme subscribers verified before Standard Webhooks, sent beside it while they move over
          'uso-signature': integrisSignatureHeader(body, s.secrets, timestamp),
          'uso-event-id': event.id,
          'uso-event-type': event.type,
        },
        body,
        timeoutMs,
      },
    );
    if (status >= 300 && status < 400) return `HTTP ${status}: redirects are not followed`;
    return status >= 200 && status < 300 ? undefined : `HTTP ${status}`;
  } catch (err) {
    if (err instanceof UsoError) return `refused: ${err.message}`;
    return (err as Error).name === 'TimeoutError' ? 'timed out' : 'unreachable';
  }
}
