// Outbound events waiting for, or given to, each subscriber: one document per subscriber and event, so an event is
// queued once however often it is seen, and delivered in the order it happened.
import type { Db } from 'mongodb';
import { bulkWriteInBatches } from './bulk.js';
import { insertUnlessPresent } from './write-errors.js';

export interface OutboundEvent {
  id: string;
  type: string;
  occurredAt: string;
  dfeNumber?: string;
  data: Record<string, unknown>;
}

export interface DeliveryDoc {
  _id: string;
  subscriberId: string;
  /** Order of delivery: when it happened, then the event id. */
  order: string;
  event: OutboundEvent;
  status: 'pending' | 'sent';
  attempts: number;
  nextAttemptAt: Date;
  firstFailedAt?: Date;
  sentAt?: Date;
  lastError?: string;
}

const coll = (db: Db) => db.collection<DeliveryDoc>('deliveries');
const BATCH = 50;

/** Queues events for a subscriber; an event already queued for it is left as it is. */
export async function queueDeliveries(db: Db, subscriberId: string, events: readonly OutboundEvent[]): Promise<number> {
  let queued = 0;
  for (let i = 0; i < events.length; i += BATCH) {
    const docs = events.slice(i, i + BATCH).map((event): DeliveryDoc => ({
      _id: `${subscriberId}|${event.id}`,
      subscriberId,
      order: `${event.occurredAt}|${event.id}`,
      event,
      status: 'pending',
      attempts: 0,
      nextAttemptAt: new Date(0),
    }));
    queued += (await insertUnlessPresent(coll(db), docs)).length;
  }
  return queued;
}

/**
 * The subscriber's oldest undelivered events, in order, at most `limit`: one read for a page of deliveries (on the
 * embedded store every read but by `_id` reads the collection, so a read per event would cost a scan each).
 */
export async function pendingDeliveries(db: Db, subscriberId: string, limit: number): Promise<DeliveryDoc[]> {
  return coll(db).find({ subscriberId, status: 'pending' }).sort({ order: 1 }).limit(limit).toArray();
}

/** Marks deliveries sent, by `_id`, in commands the store takes. */
export async function markDelivered(db: Db, ids: readonly string[], at: Date): Promise<void> {
  await bulkWriteInBatches(
    coll(db),
    ids.map((_id) => ({
      updateOne: { filter: { _id }, update: { $set: { status: 'sent' as const, sentAt: at }, $inc: { attempts: 1 } } },
    })),
    { ordered: false },
  );
}

export async function markAttemptFailed(
  db: Db,
  d: DeliveryDoc,
  error: string,
  nextAttemptAt: Date,
  now: Date,
): Promise<void> {
  await coll(db).updateOne(
    { _id: d._id },
    {
      $set: { nextAttemptAt, lastError: error.slice(0, 200), ...(d.firstFailedAt ? {} : { firstFailedAt: now }) },
      $inc: { attempts: 1 },
    },
  );
}

export async function deliveriesOf(db: Db, subscriberId: string): Promise<DeliveryDoc[]> {
  return coll(db).find({ subscriberId }).sort({ order: 1 }).toArray();
}

/** Delivered events older than the cutoff (retention). */
export async function deleteDeliveredBefore(db: Db, cutoff: Date): Promise<number> {
  return (await coll(db).deleteMany({ status: 'sent', sentAt: { $lt: cutoff } })).deletedCount;
}

/** The events about an account sent to subscribers: which, what and when (never the payloads). */
export async function deliveriesAbout(
  db: Db,
  username: string,
): Promise<
  { subscriberId: string; eventId: string; type: string; occurredAt: string; status: string; sentAt?: Date }[]
> {
  const docs = await coll(db)
    .find({ 'event.data.account.username': username })
    .project<Pick<DeliveryDoc, 'subscriberId' | 'event' | 'status' | 'sentAt'>>({
      subscriberId: 1,
      event: 1,
      status: 1,
      sentAt: 1,
    })
    .toArray();
  return docs.map((d) => ({
    subscriberId: d.subscriberId,
    eventId: d.event.id,
    type: d.event.type,
    occurredAt: d.event.occurredAt,
    status: d.status,
    ...(d.sentAt ? { sentAt: d.sentAt } : {}),
  }));
}

/**
 * Erasure of a person from the deliveries: those not sent yet are removed (never sent now), those sent keep only
 * which event went to whom and when, their payload replaced. Returns how many were removed and redacted.
 */
export async function eraseDeliveriesAbout(db: Db, username: string): Promise<{ removed: number; redacted: number }> {
  const about = { 'event.data.account.username': username };
  const removed = (await coll(db).deleteMany({ ...about, status: 'pending' })).deletedCount;
  const redacted = (
    await coll(db).updateMany({ ...about, status: 'sent' }, { $set: { 'event.data': { erased: true } } })
  ).modifiedCount;
  return { removed, redacted };
}

/** Retention: the undelivered events of subscribers revoked (nothing will ever be sent to them). */
export async function deletePendingOf(db: Db, subscriberIds: readonly string[]): Promise<number> {
  let removed = 0;
  for (const subscriberId of subscriberIds)
    removed += (await coll(db).deleteMany({ subscriberId, status: 'pending' })).deletedCount;
  return removed;
}

/** A school's undelivered events (its grant revoked past the grace period: nothing of it may go now). */
export async function deletePendingAboutSchool(db: Db, dfeNumber: string): Promise<number> {
  return (await coll(db).deleteMany({ 'event.dfeNumber': dfeNumber, status: 'pending' })).deletedCount;
}
