// The durable outbox: every chat message is stored before it is sent, and a job delivers what is due with
// retries. A message's key makes enqueueing idempotent (nothing is posted twice); a failed send waits with
// backoff (or the platform's Retry-After), with jitter so a recovering platform is not hit by every retry at once,
// and is never dropped, so hours of chat outage lose nothing. Only a refusal that no retry can fix (the bot was
// removed from the conversation) marks a message failed.
import type { Db } from 'mongodb';
import type { Logger } from '../log.js';
import { dueMessages, markFailed, markRetry, markSent, type ChatMessage, type OutboxItem } from '../store/outbox.js';

/** Stores a message to send; a second enqueue with the same key does nothing. */
export { outboxItem, storeMessage as enqueue } from '../store/outbox.js';

export type { ChatMessage, OutboxItem };

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
  const due = await dueMessages(db, now(), 200);
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
      await markSent(db, item._id, { at: now(), attempts: item.attempts + 1, ...(messageId ? { messageId } : {}) });
      sent++;
    } catch (err) {
      const attempts = item.attempts + 1;
      if (err instanceof UndeliverableError) {
        await markFailed(db, item._id, { attempts, error: err.message });
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
      await markRetry(db, item._id, {
        attempts,
        at: new Date(now().getTime() + backoff),
        error: (err as Error).message,
      });
      logger.warn(
        { outboxId: item._id, platform: item.platform, attempts, retryInMs: backoff },
        'chat delivery failed; will retry',
      );
      retrying++;
    }
  }
  return { sent, retrying };
}
