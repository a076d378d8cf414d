// Slack's side of the outbox seam: chat.postMessage with a bot token. Rate limits fail fast (the outbox waits
// out Retry-After) instead of blocking the delivery job.
import { WebClient, ErrorCode } from '@slack/web-api';
import { RateLimitedError, type ChatSender, type OutboxItem } from '../outbox.js';

export function slackSender(token: string, options: { fetch?: typeof fetch } = {}): ChatSender {
  const client = new WebClient(token, { rejectRateLimitedCalls: true, retryConfig: { retries: 0 }, ...(options.fetch ? { fetch: options.fetch } : {}) } as ConstructorParameters<typeof WebClient>[1]);
  return {
    async post(item: OutboxItem) {
      try {
        const res = await client.chat.postMessage({ channel: item.conversation, text: item.message.text, ...(item.message.blocks ? { blocks: item.message.blocks as never } : {}) });
        return { messageId: res.ts };
      } catch (err) {
        const e = err as { code?: string; retryAfter?: number };
        if (e.code === ErrorCode.RateLimitedError) throw new RateLimitedError(e.retryAfter ?? 30);
        throw err;
      }
    },
  };
}
