// Teams' side of the outbox seam: a proactive message into a stored conversation reference. The Bot Framework
// client already retries a few times in-process (429 after Retry-After, 5xx with backoff); what still fails is
// sorted here for the outbox: a 429 waits out its Retry-After, 412/502/504 and other transient answers back off
// and retry, and a refusal no retry can change (bot removed, conversation gone) is not retried.
import { CardFactory, MessageFactory, type Activity, type ConversationReference, type TurnContext } from 'botbuilder';
import type { TeamsAdapter } from '@microsoft/teams-ai';
import type { Db } from 'mongodb';
import { RateLimitedError, UndeliverableError, type ChatMessage, type ChatSender, type OutboxItem } from '../outbox.js';
import { conversationReference } from './conversations.js';

/** A message carrying one Adaptive Card. */
export const cardActivity = (card: object): Partial<Activity> =>
  MessageFactory.attachment(CardFactory.adaptiveCard(card));

/** The activity for a stored message: a card with its text as the notification summary, or markdown text. */
function activityOf(message: ChatMessage): Partial<Activity> {
  if (!message.card) return { type: 'message', text: message.text, textFormat: 'markdown' };
  return { ...cardActivity(message.card), summary: message.text.slice(0, 200) };
}

interface RestErrorLike {
  statusCode?: number;
  code?: string;
  response?: { headers?: { get?(name: string): string | undefined } };
}

/** Maps what the Bot Connector answered to what the outbox does next. */
function deliveryError(err: unknown): Error {
  const e = err as RestErrorLike;
  const status = e.statusCode;
  if (status === 429) {
    const retryAfter = Number(e.response?.headers?.get?.('retry-after'));
    return new RateLimitedError(Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : 30);
  }
  // 403: the bot is not in the conversation (removed, or the team deleted); 404: the conversation is gone;
  // 400: the message itself is refused. 412, 502, 504 and the rest are worth another go.
  if (status === 400 || status === 403 || status === 404)
    return new UndeliverableError(`Teams answered ${status}${e.code ? ` (${e.code})` : ''}`);
  return err instanceof Error ? err : new Error(String(err));
}

export function teamsSender(db: Db, adapter: TeamsAdapter, appId: string): ChatSender {
  async function inConversation(
    workspace: string,
    conversation: string,
    act: (context: TurnContext) => Promise<void>,
  ): Promise<void> {
    const reference = await conversationReference(db, workspace, conversation);
    if (!reference)
      throw new UndeliverableError('no conversation reference: the bot has not been added to this conversation');
    try {
      await adapter.continueConversationAsync(appId, reference as ConversationReference, act);
    } catch (err) {
      throw deliveryError(err);
    }
  }
  return {
    async post(item: OutboxItem) {
      let messageId: string | undefined;
      await inConversation(item.workspace, item.conversation, async (context) => {
        messageId = (await context.sendActivity(activityOf(item.message)))?.id;
      });
      return messageId ? { messageId } : {};
    },
    async update(to, messageId, message) {
      await inConversation(to.workspace, to.conversation, async (context) => {
        await context.updateActivity({ ...activityOf(message), id: messageId });
      });
    },
  };
}
