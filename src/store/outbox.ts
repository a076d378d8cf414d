// The outbox's storage: every chat message as it waits, is sent, or is given up on. The delivery itself (ordering,
// backoff, who sends) is the chat layer's (bot/outbox.ts).
import type { Db } from 'mongodb';

export interface ChatMessage {
  /** Plain text: the message itself, or the notification and fallback text of a rich one. */
  text: string;
  /** Slack Block Kit blocks. */
  blocks?: unknown[];
  /** A Teams Adaptive Card. */
  card?: Record<string, unknown>;
}

export interface OutboxItem {
  _id: string;
  platform: 'slack' | 'teams';
  workspace: string;
  conversation: string;
  message: ChatMessage;
  status: 'pending' | 'sent' | 'failed';
  attempts: number;
  nextAttemptAt: Date;
  createdAt: Date;
  sentAt?: Date;
  /** Platform id of the posted message (Slack `ts`, Teams activity id), for later updates in place. */
  messageId?: string;
  lastError?: string;
}

const coll = (db: Db) => db.collection<OutboxItem>('outbox');

/** Stores a message to send; false when one with the same key is already there (nothing is posted twice). */
export async function storeMessage(
  db: Db,
  key: string,
  to: Pick<OutboxItem, 'platform' | 'workspace' | 'conversation'>,
  message: ChatMessage,
  now = new Date(),
): Promise<boolean> {
  try {
    await coll(db).insertOne({
      _id: key,
      ...to,
      message,
      status: 'pending',
      attempts: 0,
      nextAttemptAt: now,
      createdAt: now,
    });
    return true;
  } catch (err) {
    if ((err as { code?: number }).code === 11000) return false;
    throw err;
  }
}

/** Messages due to be sent, oldest first. */
export async function dueMessages(db: Db, now: Date, limit: number): Promise<OutboxItem[]> {
  return coll(db)
    .find({ status: 'pending', nextAttemptAt: { $lte: now } })
    .sort({ createdAt: 1 })
    .limit(limit)
    .toArray();
}

export async function markSent(
  db: Db,
  id: string,
  sent: { at: Date; attempts: number; messageId?: string },
): Promise<void> {
  await coll(db).updateOne(
    { _id: id },
    {
      $set: {
        status: 'sent',
        sentAt: sent.at,
        attempts: sent.attempts,
        ...(sent.messageId ? { messageId: sent.messageId } : {}),
      },
    },
  );
}

export async function markFailed(db: Db, id: string, failed: { attempts: number; error: string }): Promise<void> {
  await coll(db).updateOne(
    { _id: id },
    { $set: { status: 'failed', attempts: failed.attempts, lastError: failed.error.slice(0, 300) } },
  );
}

export async function markRetry(
  db: Db,
  id: string,
  retry: { attempts: number; at: Date; error: string },
): Promise<void> {
  await coll(db).updateOne(
    { _id: id },
    { $set: { attempts: retry.attempts, nextAttemptAt: retry.at, lastError: retry.error.slice(0, 300) } },
  );
}

export async function outboxItem(db: Db, key: string): Promise<OutboxItem | undefined> {
  return (await coll(db).findOne({ _id: key })) ?? undefined;
}

/** How many messages are waiting and how many were given up on (for the metrics). */
export async function outboxCounts(db: Db): Promise<{ pending: number; failed: number }> {
  return {
    pending: await coll(db).countDocuments({ status: 'pending' }),
    failed: await coll(db).countDocuments({ status: 'failed' }),
  };
}
