// Slack's side of the outbox seam: chat.postMessage with a bot token. Rate limits fail fast (the outbox waits
// out Retry-After) instead of blocking the delivery job.
import { WebClient, ErrorCode } from '@slack/web-api';
import type { Logger } from '../../log.js';
import { boltLogger } from './bolt-logger.js';
import { RateLimitedError, UndeliverableError, type ChatSender, type OutboxItem } from '../outbox.js';

/** Slack's answers that no retry can change. */
const UNDELIVERABLE = new Set([
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'account_inactive',
  'team_access_not_granted',
]);

/** Maps what Slack answered to what the outbox does next. */
function deliveryError(err: unknown): unknown {
  const e = err as { code?: string; retryAfter?: number; data?: { error?: string } };
  if (e.code === ErrorCode.RateLimitedError) return new RateLimitedError(e.retryAfter ?? 30);
  if (e.code === ErrorCode.PlatformError && UNDELIVERABLE.has(e.data?.error ?? ''))
    return new UndeliverableError(`Slack: ${e.data?.error}`);
  return err;
}

/** `token`: one workspace's bot token, or a lookup of each workspace's (multi-workspace installs). */
export function slackSender(
  token: string | ((workspace: string) => Promise<string | undefined>),
  options: { fetch?: typeof fetch; logger?: Logger } = {},
): ChatSender {
  const clients = new Map<string, WebClient>();
  const clientFor = async (workspace: string) => {
    const t = typeof token === 'string' ? token : await token(workspace);
    if (!t) throw new Error(`no Slack installation for workspace ${workspace}`);
    let client = clients.get(t);
    if (!client)
      clients.set(
        t,
        (client = new WebClient(t, {
          rejectRateLimitedCalls: true,
          retryConfig: { retries: 0 },
          ...(options.fetch ? { fetch: options.fetch } : {}),
          ...(options.logger ? { logger: boltLogger(options.logger) } : {}),
        } as ConstructorParameters<typeof WebClient>[1])),
      );
    return client;
  };
  return {
    async post(item: OutboxItem) {
      const client = await clientFor(item.workspace);
      try {
        const res = await client.chat.postMessage({
          channel: item.conversation,
          text: item.message.text,
          ...(item.message.blocks ? { blocks: item.message.blocks as never } : {}),
        });
        return { messageId: res.ts };
      } catch (err) {
        throw deliveryError(err);
      }
    },
    async update(to, messageId, message) {
      const client = await clientFor(to.workspace);
      try {
        await client.chat.update({
          channel: to.conversation,
          ts: messageId,
          text: message.text,
          ...(message.blocks ? { blocks: message.blocks as never } : {}),
        });
      } catch (err) {
        throw deliveryError(err);
      }
    },
  };
}
