// The durable outbox: every chat message is stored before it is sent, and a job delivers what is due with
// retries. A message's key makes enqueueing idempotent (nothing is posted twice); a failed send waits with
// backoff (or the platform's Retry-After), with jitter so a recovering platform is not hit by every retry at once,
// and is never dropped, so hours of chat outage lose nothing. Only a refusal that no retry can fix (the bot was
// removed from the conversation) marks a message failed.
import type { Db } from 'mongodb';
import type { Logger } from '../log.js';

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

/** Where a message goes: a platform's workspace (Slack team, Teams tenant) and conversation. */
export type ChatAddress = Pick<OutboxItem, 'workspace' | 'conversation'>;

/** The narrow transport seam each chat platform implements: post a message, and replace one posted earlier. */
export interface ChatSender {
  post(item: OutboxItem): Promise<{ messageId?: string }>;
  update(to: ChatAddress, messageId: string, message: ChatMessage): Promise<void>;
}

export type ChatSenders = Partial<Record<OutboxItem['platform'], ChatSender>>;

export class RateLimitedError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super(`rate limited for ${retryAfterSeconds}s`);
  }
}

/** The platform refused the message for good (bot removed, conversation gone): retrying cannot help. */
export class UndeliverableError extends Error {}

/** `ms` stretched by up to a quarter, never shortened: a Retry-After is a minimum. */
const withJitter = (ms: number, random = Math.random) => Math.round(ms * (1 + random() / 4));

const coll = (db: Db) => db.collection<OutboxItem>('outbox');

/** Stores a message to send; a second enqueue with the same key does nothing. */
export async function enqueue(
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

export interface DeliveryOptions {
  /** Minimum gap between two messages to one conversation (Slack allows about one a second). */
  perConversationGapMs?: number;
  maxBackoffMs?: number;
  now?: () => Date;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Sends what is due, oldest first; returns how many were sent and how many wait for a retry. */
export async function deliverDue(
  db: Db,
  senders: ChatSenders,
  logger: Logger,
  options: DeliveryOptions = {},
): Promise<{ sent: number; retrying: number }> {
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? ((ms) => new Promise((ok) => setTimeout(ok, ms)));
  const gap = options.perConversationGapMs ?? 1100;
  const due = await coll(db)
    .find({ status: 'pending', nextAttemptAt: { $lte: now() } })
    .sort({ createdAt: 1 })
    .limit(200)
    .toArray();
  const lastSent = new Map<string, number>();
  const blocked = new Set<string>();
  let sent = 0;
  let retrying = 0;
  for (const item of due) {
    const sender = senders[item.platform];
    const where = `${item.platform}:${item.workspace}:${item.conversation}`;
    if (!sender || blocked.has(where)) continue;
    const wait = (lastSent.get(where) ?? 0) + gap - Date.now();
    if (wait > 0) await sleep(wait);
    try {
      const { messageId } = await sender.post(item);
      lastSent.set(where, Date.now());
      await coll(db).updateOne(
        { _id: item._id },
        { $set: { status: 'sent', sentAt: now(), attempts: item.attempts + 1, ...(messageId ? { messageId } : {}) } },
      );
      sent++;
    } catch (err) {
      const attempts = item.attempts + 1;
      if (err instanceof UndeliverableError) {
        await coll(db).updateOne(
          { _id: item._id },
          { $set: { status: 'failed', attempts, lastError: err.message.slice(0, 300) } },
        );
        logger.error(
          { outboxId: item._id, platform: item.platform, attempts, reason: err.message },
          'chat message undeliverable; not retried',
        );
        continue;
      }
      const backoff = withJitter(
        err instanceof RateLimitedError
          ? err.retryAfterSeconds * 1000
          : Math.min(options.maxBackoffMs ?? 15 * 60_000, 5000 * 2 ** Math.min(attempts, 10)),
        options.random,
      );
      // keep this conversation's order: later messages to it wait for this one
      blocked.add(where);
      await coll(db).updateOne(
        { _id: item._id },
        {
          $set: {
            attempts,
            nextAttemptAt: new Date(now().getTime() + backoff),
            lastError: (err as Error).message.slice(0, 300),
          },
        },
      );
      logger.warn(
        { outboxId: item._id, platform: item.platform, attempts, retryInMs: backoff },
        'chat delivery failed; will retry',
      );
      retrying++;
    }
  }
  return { sent, retrying };
}

export async function outboxItem(db: Db, key: string): Promise<OutboxItem | undefined> {
  return (await coll(db).findOne({ _id: key })) ?? undefined;
}
