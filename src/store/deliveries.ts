// Each subscriber's queue of outbound events, kept as segments: the events one fan-out page queued for a subscriber,
// at most SEGMENT_EVENTS to a document, with how many at its front were delivered. A segment's `_id` is the
// subscriber, the fan-out page and the chunk, so delivery finds the next one by `_id` (the embedded store's only
// indexed read) and records a segment's progress in one write: delivery costs neither a scan of the collection nor a
// write per event, however many nights of delivered events are kept. An event taken off a queue before it was sent
// (erasure, a school's revoked grant, a revoked subscriber) stays as a gap in its place, so positions never move.
import type { Db } from 'mongodb';
import { insertUnlessPresent } from './write-errors.js';

export interface OutboundEvent {
  id: string;
  type: string;
  occurredAt: string;
  dfeNumber?: string;
  data: Record<string, unknown>;
}

/** An event withdrawn before it was sent: only which event it was, and why it never went. */
export interface WithdrawnEvent {
  id: string;
  type: string;
  occurredAt: string;
  dfeNumber?: string;
  withdrawn: 'erased' | 'grant_revoked' | 'subscriber_revoked' | 'sharing_stopped';
}

export type QueuedItem = OutboundEvent | WithdrawnEvent;
export const isWithdrawn = (e: QueuedItem): e is WithdrawnEvent => 'withdrawn' in e;

export interface SegmentDoc {
  _id: string;
  subscriberId: string;
  /** The fan-out page that queued it (pages are numbered in the order they were read from the audit). */
  page: number;
  chunk: number;
  events: QueuedItem[];
  /** Events at the front delivered (or passed over, when withdrawn). */
  sent: number;
  /** When each stretch was delivered: events before `through` went by `at`. */
  progress: { through: number; at: Date }[];
  /** Failed attempts at the event after the delivered ones, and when it is tried again. */
  attempts: number;
  nextAttemptAt: Date;
  firstFailedAt?: Date;
  lastError?: string;
  queuedAt: Date;
  /** Set once every event of the segment is delivered or withdrawn. */
  doneAt?: Date;
}

/** One event as its subscriber's queue holds it (what tests, the CLI and subject access read). */
export interface QueuedEvent {
  subscriberId: string;
  event: OutboundEvent;
  status: 'pending' | 'sent';
  sentAt?: Date;
  /** Only on the next event to deliver. */
  attempts: number;
  lastError?: string;
}

/** Events to a segment: a night's first sync is read and written in a few documents of well under a megabyte each. */
export const SEGMENT_EVENTS = 500;
const coll = (db: Db) => db.collection<SegmentDoc>('deliveries');
const cursors = (db: Db) => db.collection<{ _id: string; page: number; chunk: number }>('globals');
const cursorId = (subscriberId: string) => `deliveries:${subscriberId}`;
const segmentId = (subscriberId: string, page: number, chunk: number) =>
  `${subscriberId}|${String(page).padStart(12, '0')}|${String(chunk).padStart(6, '0')}`;

/**
 * Queues one fan-out page's events, per subscriber, in order. A page queued again after a crash keeps what the first
 * attempt wrote (the same `_id`s); returns the events newly queued.
 */
export async function queueSegments(
  db: Db,
  page: number,
  bySubscriber: ReadonlyMap<string, readonly OutboundEvent[]>,
  now: Date,
): Promise<number> {
  const docs: SegmentDoc[] = [];
  for (const [subscriberId, events] of bySubscriber)
    for (let chunk = 0; chunk * SEGMENT_EVENTS < events.length; chunk++)
      docs.push({
        _id: segmentId(subscriberId, page, chunk),
        subscriberId,
        page,
        chunk,
        events: events.slice(chunk * SEGMENT_EVENTS, (chunk + 1) * SEGMENT_EVENTS),
        sent: 0,
        progress: [],
        attempts: 0,
        nextAttemptAt: new Date(0),
        queuedAt: now,
      });
  let queued = 0;
  for (let i = 0; i < docs.length; i += 20) {
    const batch = docs.slice(i, i + 20);
    for (const index of await insertUnlessPresent(coll(db), batch)) queued += batch[index]!.events.length;
  }
  return queued;
}

/**
 * The subscriber's next segment with something left to deliver, among pages up to `lastPage` (the last the fan-out
 * finished); its cursor moves past everything delivered and past pages that queued nothing for it.
 */
export async function nextSegment(db: Db, subscriberId: string, lastPage: number): Promise<SegmentDoc | undefined> {
  const saved = await cursors(db).findOne({ _id: cursorId(subscriberId) });
  let at = saved ? { page: saved.page, chunk: saved.chunk } : await firstPosition(db, subscriberId, lastPage);
  let found: SegmentDoc | undefined;
  while (at.page <= lastPage) {
    const seg = await coll(db).findOne({ _id: segmentId(subscriberId, at.page, at.chunk) });
    if (seg && !seg.doneAt && seg.sent < seg.events.length) {
      found = seg;
      break;
    }
    at = seg ? { page: at.page, chunk: at.chunk + 1 } : { page: at.page + 1, chunk: 0 };
  }
  if (!saved || saved.page !== at.page || saved.chunk !== at.chunk)
    await cursors(db).replaceOne({ _id: cursorId(subscriberId) }, at, { upsert: true });
  return found;
}

/** Where a subscriber's queue starts: its first segment, or (nothing queued for it yet) the page after `lastPage`. */
async function firstPosition(db: Db, subscriberId: string, lastPage: number) {
  const [first] = await coll(db).find({ subscriberId }).project({ page: 1 }).sort({ _id: 1 }).limit(1).toArray();
  return first ? { page: first['page'] as number, chunk: 0 } : { page: lastPage + 1, chunk: 0 };
}

const progressed = (seg: SegmentDoc, sent: number, at: Date) =>
  sent > seg.sent ? { $push: { progress: { through: sent, at } } } : {};

/** Records that the events before `sent` went (or were passed over); the segment is done when none are left. */
export async function recordDelivered(db: Db, seg: SegmentDoc, sent: number, at: Date): Promise<void> {
  if (sent === seg.sent && !seg.lastError) return;
  await coll(db).updateOne(
    { _id: seg._id },
    {
      $set: {
        sent,
        attempts: 0,
        nextAttemptAt: new Date(0),
        ...(sent >= seg.events.length ? { doneAt: at } : {}),
      },
      $unset: { lastError: '', firstFailedAt: '' },
      ...progressed(seg, sent, at),
    },
  );
}

/** Records the events before `sent` delivered and a failed attempt at the next, tried again at `nextAttemptAt`. */
export async function recordFailure(
  db: Db,
  seg: SegmentDoc,
  sent: number,
  error: string,
  nextAttemptAt: Date,
  now: Date,
): Promise<{ firstFailedAt: Date }> {
  const sameHead = sent === seg.sent;
  const firstFailedAt = sameHead && seg.firstFailedAt ? seg.firstFailedAt : now;
  await coll(db).updateOne(
    { _id: seg._id },
    {
      $set: {
        sent,
        attempts: sameHead ? seg.attempts + 1 : 1,
        nextAttemptAt,
        lastError: error.slice(0, 200),
        firstFailedAt,
      },
      ...progressed(seg, sent, now),
    },
  );
  return { firstFailedAt };
}

/** Every event queued for a subscriber, in order, as it stands; withdrawn ones are left out. */
export async function deliveriesOf(db: Db, subscriberId: string): Promise<QueuedEvent[]> {
  const segs = await coll(db).find({ subscriberId }).sort({ _id: 1 }).toArray();
  return segs.flatMap((seg) => eventsOf(seg));
}

/** How many of the subscriber's events wait, and why the first of them has not gone (when an attempt failed). */
export async function queueState(db: Db, subscriberId: string): Promise<{ pending: number; lastError?: string }> {
  const segs = await coll(db)
    .find({ subscriberId, doneAt: { $exists: false } })
    .sort({ _id: 1 })
    .toArray();
  const pending = segs.reduce((n, seg) => n + seg.events.slice(seg.sent).filter((e) => !isWithdrawn(e)).length, 0);
  const lastError = segs.find((seg) => seg.lastError)?.lastError;
  return { pending, ...(lastError ? { lastError } : {}) };
}

function eventsOf(seg: SegmentDoc, keep: (e: OutboundEvent) => boolean = () => true): QueuedEvent[] {
  const out: QueuedEvent[] = [];
  seg.events.forEach((e, i) => {
    if (isWithdrawn(e) || !keep(e)) return;
    const sentAt = i < seg.sent ? seg.progress.find((p) => p.through > i)?.at : undefined;
    const head = i === seg.sent;
    out.push({
      subscriberId: seg.subscriberId,
      event: e,
      status: i < seg.sent ? 'sent' : 'pending',
      ...(sentAt ? { sentAt } : {}),
      attempts: head ? seg.attempts : 0,
      ...(head && seg.lastError ? { lastError: seg.lastError } : {}),
    });
  });
  return out;
}

/** Segments wholly delivered before the cutoff (retention). */
export async function deleteDeliveredBefore(db: Db, cutoff: Date): Promise<number> {
  return (await coll(db).deleteMany({ doneAt: { $lt: cutoff } })).deletedCount;
}

const aboutAccount = (username: string) => (e: QueuedItem) =>
  !isWithdrawn(e) && (e.data['account'] as { username?: string } | undefined)?.username === username;

/** The events about an account sent or queued for subscribers: which, what and when (never the payloads). */
export async function deliveriesAbout(
  db: Db,
  username: string,
): Promise<
  { subscriberId: string; eventId: string; type: string; occurredAt: string; status: string; sentAt?: Date }[]
> {
  const segs = await coll(db).find({ 'events.data.account.username': username }).toArray();
  return segs
    .flatMap((seg) => eventsOf(seg, aboutAccount(username)))
    .map((d) => ({
      subscriberId: d.subscriberId,
      eventId: d.event.id,
      type: d.event.type,
      occurredAt: d.event.occurredAt,
      status: d.status,
      ...(d.sentAt ? { sentAt: d.sentAt } : {}),
    }));
}

const withdraw = (e: QueuedItem, why: WithdrawnEvent['withdrawn']): WithdrawnEvent => ({
  id: e.id,
  type: e.type,
  occurredAt: e.occurredAt,
  ...(e.dfeNumber ? { dfeNumber: e.dfeNumber } : {}),
  withdrawn: why,
});

/**
 * Rewrites the events of the segments `filter` finds: `change` answers an event's replacement, or undefined to keep
 * it. Only `events` is written, so on MongoDB a delivery under way (which writes `sent`) is not undone. The embedded
 * store applies a `$set` by rewriting the document it read, so a delivery's write at the same moment can put the old
 * events back: each segment is read again after the write and rewritten until nothing is left to change (a lost
 * delivery write only means events sent again, which delivery at least once allows). Returns the count changed.
 */
async function rewriteEvents(
  db: Db,
  filter: Record<string, unknown>,
  change: (e: QueuedItem, sent: boolean) => QueuedItem | undefined,
  options: { finishedAt?: Date } = {},
): Promise<{ sent: number; pending: number }> {
  const counts = { sent: 0, pending: 0 };
  for (const found of await coll(db).find(filter).toArray()) {
    let seg: SegmentDoc | null = found;
    for (let attempt = 0; seg && attempt < 5; attempt++) {
      const current: SegmentDoc = seg;
      let changed = false;
      const events = current.events.map((e, i) => {
        const next = change(e, i < current.sent);
        if (!next) return e;
        changed = true;
        // counted as first found: a rewrite after a lost write is the same change
        if (attempt === 0) counts[i < current.sent ? 'sent' : 'pending']++;
        return next;
      });
      if (!changed) break;
      // a segment with nothing left to send is done (retention drops it in time) when the caller says so
      const finished = options.finishedAt && events.slice(current.sent).every(isWithdrawn);
      await coll(db).updateOne(
        { _id: current._id },
        { $set: { events, ...(finished ? { doneAt: options.finishedAt } : {}) } },
      );
      seg = await coll(db).findOne({ _id: current._id });
    }
  }
  return counts;
}

/**
 * Erasure of a person from the queues: events not sent yet are withdrawn (never sent now), those sent keep only
 * which event went to whom and when, their payload replaced. Returns how many were withdrawn and redacted.
 */
export async function eraseDeliveriesAbout(db: Db, username: string): Promise<{ removed: number; redacted: number }> {
  const about = aboutAccount(username);
  const { sent, pending } = await rewriteEvents(db, { 'events.data.account.username': username }, (e, sent) =>
    !about(e) ? undefined : sent ? { ...e, data: { erased: true } } : withdraw(e, 'erased'),
  );
  return { removed: pending, redacted: sent };
}

/** Retention: the undelivered events of subscribers revoked (nothing will ever be sent to them). */
export async function deletePendingOf(db: Db, subscriberIds: readonly string[], now: Date): Promise<number> {
  let removed = 0;
  for (const subscriberId of subscriberIds)
    removed += (
      await rewriteEvents(
        db,
        { subscriberId, doneAt: { $exists: false } },
        (e, sent) => (sent || isWithdrawn(e) ? undefined : withdraw(e, 'subscriber_revoked')),
        { finishedAt: now },
      )
    ).pending;
  return removed;
}

/**
 * A school's undelivered events: to every subscriber (its grant revoked past the grace period: nothing of it may go
 * now), or to one (the school declined or revoked that subscriber).
 */
export async function deletePendingAboutSchool(
  db: Db,
  dfeNumber: string,
  only?: { subscriberId: string; why: WithdrawnEvent['withdrawn'] },
): Promise<number> {
  return (
    await rewriteEvents(
      db,
      {
        'events.dfeNumber': dfeNumber,
        doneAt: { $exists: false },
        ...(only ? { subscriberId: only.subscriberId } : {}),
      },
      (e, sent) =>
        sent || isWithdrawn(e) || e.dfeNumber !== dfeNumber ? undefined : withdraw(e, only?.why ?? 'grant_revoked'),
    )
  ).pending;
}

/**
 * Queues of an earlier version (one document per subscriber and event, no `events`) become segments of page 0, ahead
 * of every page the fan-out numbers, in the order they were queued: delivery goes on where it was. Runs once per store.
 */
export async function upgradeQueues(db: Db, now: Date): Promise<number> {
  const marks = db.collection<{ _id: string; version: number }>('globals');
  if (await marks.findOne({ _id: 'deliveries:shape' })) return 0;
  const legacy = await db
    .collection<{
      _id: string;
      subscriberId: string;
      order: string;
      event: OutboundEvent;
      status: 'pending' | 'sent';
      sentAt?: Date;
    }>('deliveries')
    .find({ events: { $exists: false } })
    .toArray();
  const bySubscriber = new Map<string, typeof legacy>();
  for (const d of legacy) bySubscriber.set(d.subscriberId, [...(bySubscriber.get(d.subscriberId) ?? []), d]);
  for (const [subscriberId, docs] of bySubscriber) {
    // delivered ones first (they went before anything still waiting), each part in the order it was queued
    const ordered = [
      ...docs.filter((d) => d.status === 'sent').sort((a, b) => a.order.localeCompare(b.order)),
      ...docs.filter((d) => d.status !== 'sent').sort((a, b) => a.order.localeCompare(b.order)),
    ];
    for (let chunk = 0; chunk * SEGMENT_EVENTS < ordered.length; chunk++) {
      const part = ordered.slice(chunk * SEGMENT_EVENTS, (chunk + 1) * SEGMENT_EVENTS);
      const sent = part.filter((d) => d.status === 'sent');
      const lastSentAt = sent.reduce<Date | undefined>(
        (a, d) => (d.sentAt && (!a || d.sentAt > a) ? d.sentAt : a),
        undefined,
      );
      await coll(db).replaceOne(
        { _id: segmentId(subscriberId, 0, chunk) },
        {
          subscriberId,
          page: 0,
          chunk,
          events: part.map((d) => d.event),
          sent: sent.length,
          progress: sent.length ? [{ through: sent.length, at: lastSentAt ?? now }] : [],
          attempts: 0,
          nextAttemptAt: new Date(0),
          queuedAt: now,
          ...(sent.length === part.length ? { doneAt: lastSentAt ?? now } : {}),
        },
        { upsert: true },
      );
    }
    for (const d of docs) await db.collection<{ _id: string }>('deliveries').deleteOne({ _id: d._id });
  }
  await marks.replaceOne({ _id: 'deliveries:shape' }, { version: 2 }, { upsert: true });
  return legacy.length;
}
