// The Teams listeners: plain exported functions of a turn (and, for card buttons, the button's data), registered in
// one place (register.ts). Text commands go through the shared dispatcher (commands.ts); card buttons are the shared
// actions (chat-actions.ts names them). Decisions replace the card for everyone in the conversation; paging and
// confirmations change it only for whoever clicked; a refusal or a stale card answers the clicker alone and leaves
// the card as it was.
import { ActivityTypes, MessageFactory, type Activity, type TurnContext } from 'botbuilder';
import type { Db } from 'mongodb';
import { z } from 'zod';
import { isUsoError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { onlySchoolOf, schoolOfConversation, unlinkConversation, type Actor } from '../access.js';
import * as actions from '../actions.js';
import { parseButtonData, type ChatAction, type ConfirmedAction, type FormId } from '../chat-actions.js';
import * as school from '../school-actions.js';
import { actionDefs, needsConfirming, type ActionEffect } from '../action-defs.js';
import { FormErrors, submitForm } from '../forms.js';
import { COMMANDS, runCommand } from '../commands.js';
import { refreshSummaries } from '../notify.js';
import type { ChatSenders } from '../outbox.js';
import type { View } from '../view-model.js';
import {
  confirmationFor,
  formCard,
  newAccountsTable,
  otherAccountCard,
  renderCard,
  stacked,
  type AdaptiveCard,
} from '../views/cards.js';
import { conversationOf, forgetConversations, rememberConversation, tenantOf } from './conversations.js';
import { cardActivity } from './sender.js';

export interface TeamsDeps {
  db: Db;
  logger: Logger;
  ctx: actions.ActionContext;
  /** Every platform's sender, read at each decision, so summaries are refreshed wherever they were posted. */
  senders: () => ChatSenders;
  /** A single-tenant bot answers only this organisation. */
  tenantId?: string;
}

export const HELP = COMMANDS.map(([usage, what]) => `**${usage}**: ${what}`).join('\n\n');
const OUT_OF_DATE = 'That card is out of date; send the command again.';

export function actorOf(activity: Partial<Activity>): Actor {
  const userId = activity.from?.id ?? 'unknown';
  return { platform: 'teams', workspace: tenantOf(activity), userId, displayName: activity.from?.name ?? userId };
}

const fromAllowedTenant = (deps: TeamsDeps, activity: Partial<Activity>) =>
  deps.tenantId === undefined || tenantOf(activity) === deps.tenantId;

/** An @mention in a message's entities (the bot's own is one of them). */
const mention = z.object({
  type: z.literal('mention'),
  mentioned: z.object({ id: z.string().min(1), name: z.string().optional() }),
});

/** The bot joined a team or chat: remember where it is, and greet when it is the one added. */
export const membersAdded = (deps: TeamsDeps) => async (context: TurnContext) => {
  if (!fromAllowedTenant(deps, context.activity)) return;
  await rememberConversation(deps.db, context.activity);
  if (context.activity.membersAdded?.some((m) => m.id === context.activity.recipient.id)) {
    await context.sendActivity(
      `Hello. I keep USO accounts in step with the school's MIS. Link this conversation to a school with **link CODE** (the code comes from the service operator).\n\n${HELP}`,
    );
  }
};

/** Removed from a team or chat: that conversation no longer speaks for its school, and nothing more is posted there. */
export const membersRemoved = (deps: TeamsDeps) => async (context: TurnContext) => {
  const { activity } = context;
  if (!fromAllowedTenant(deps, activity) || !activity.membersRemoved?.some((m) => m.id === activity.recipient.id))
    return;
  const tenant = tenantOf(activity);
  for (const conversation of await forgetConversations(deps.db, activity)) {
    const dfeNumber = await unlinkConversation(deps.db, 'teams', tenant, conversation);
    if (dfeNumber)
      deps.logger.info({ dfeNumber }, 'teams bot removed from a conversation; it no longer speaks for the school');
  }
};

/** A text command to the bot, in a channel (mentioned), a group chat or a personal chat. */
export const message = (deps: TeamsDeps) => async (context: TurnContext) => {
  const { activity } = context;
  if (!fromAllowedTenant(deps, activity)) return;
  await rememberConversation(deps.db, activity);
  const actor = actorOf(activity);
  const words = (activity.text ?? '')
    .replace(/<at>[^<]*<\/at>/g, ' ')
    .trim()
    .split(/\s+/)
    .filter(Boolean);
  const people = (activity.entities ?? []).flatMap((e) => {
    const m = mention.safeParse(e);
    return m.success && m.data.mentioned.id !== activity.recipient.id ? [m.data.mentioned] : [];
  });
  const grantee =
    people.length === 1
      ? {
          platform: 'teams' as const,
          workspace: actor.workspace!,
          userId: people[0]!.id,
          displayName: people[0]!.name ?? people[0]!.id,
        }
      : undefined;
  const reply = await runCommand(deps.ctx, actor, {
    words,
    conversation: { platform: 'teams', workspace: actor.workspace!, conversation: conversationOf(activity) },
    ...(grantee ? { grantee } : {}),
  });
  // the dispatcher marks commands and words with `code`; Teams shows them in bold, as its help does
  const bold = (text: string) => text.replace(/`([^`]+)`/g, '**$1**');
  if ('view' in reply) await context.sendActivity(cardActivity(renderCard(reply.view)));
  else if ('form' in reply) await context.sendActivity(cardActivity(formCard(reply.form)));
  else if ('help' in reply)
    await context.sendActivity(MessageFactory.text(reply.text ? `${bold(reply.text)}\n\n${HELP}` : HELP));
  else await context.sendActivity(MessageFactory.text(bold(reply.text)));
};

/** What a button press answers: the card to show, and whether it replaces the card for everyone. */
export interface CardOutcome {
  card: AdaptiveCard;
  forEveryone: boolean;
  /** A decision: the school's posted summaries are refreshed. */
  changed?: boolean;
}

/** One card of several views, top first: what was just done, then the list it was done on as it stands now. */
function stackedCard(views: readonly View[], page = 0): AdaptiveCard {
  const cards = views.map((v, i) => renderCard(v, i === views.length - 1 ? page : 0));
  return cards.slice(1).reduce((top, next) => stacked(top, next), cards[0]!);
}

/** What an action comes to on Teams: the card to answer with, and whether it replaces the clicked card for everyone. */
function outcomeOf(effect: ActionEffect): CardOutcome {
  switch (effect.kind) {
    case 'views':
      return {
        card: stackedCard(effect.views, effect.page),
        forEveryone: effect.forEveryone,
        changed: effect.decision,
      };
    case 'file':
      return { card: newAccountsTable(effect.view, effect.page), forEveryone: false };
    case 'form':
      return { card: formCard(effect.form), forEveryone: false };
    case 'search':
      return { card: otherAccountCard(effect.dfeNumber, effect.personId), forEveryone: false };
  }
}

/**
 * A card button (`Action.Execute`): check the data, act as the clicker, keep the school's summaries current after a
 * decision, and answer with the card to show, or a line saying why not.
 */
export const cardAction =
  (deps: TeamsDeps, action: ChatAction) =>
  async (context: TurnContext, _state: unknown, raw: unknown): Promise<AdaptiveCard | string> => {
    if (!fromAllowedTenant(deps, context.activity)) return 'This bot serves another organisation.';
    await rememberConversation(deps.db, context.activity);
    const data = parseButtonData(raw);
    if (!data) return OUT_OF_DATE;
    const actor = actorOf(context.activity);
    try {
      const subject = await needsConfirming(deps.ctx, actor, action, data);
      const outcome: CardOutcome = subject
        ? { card: confirmationFor(action as ConfirmedAction, data, subject), forEveryone: false }
        : outcomeOf(await actionDefs[action].run(deps.ctx, actor, data));
      let card = outcome.card;
      if (outcome.changed) {
        const clicked = {
          platform: 'teams' as const,
          conversation: conversationOf(context.activity),
          ...(context.activity.replyToId ? { messageId: context.activity.replyToId } : {}),
        };
        const summary = await refreshSummaries(deps.db, data.d, deps.senders(), deps.logger, clicked);
        // if the clicked card is the summary: the line saying what was done (each decision card opens with it), then the summary
        if (summary) card = stacked({ ...card, body: card.body.slice(0, 1) }, renderCard(summary));
      }
      if (outcome.forEveryone && context.activity.replyToId)
        await context.updateActivity({ ...cardActivity(card), id: context.activity.replyToId });
      return card;
    } catch (err) {
      if (isUsoError(err)) return err.message;
      throw err;
    }
  };

/**
 * A form's card was submitted: its inputs arrive with the button's data, are parsed at the edge, and what they ask is
 * done; a field that is not right is answered (to the submitter only) with what to correct.
 */
export const formSubmitted =
  (deps: TeamsDeps, id: FormId) =>
  async (context: TurnContext, _state: unknown, raw: unknown): Promise<AdaptiveCard | string> => {
    if (!fromAllowedTenant(deps, context.activity)) return 'This bot serves another organisation.';
    const meta = parseButtonData(raw);
    if (!meta || !raw || typeof raw !== 'object') return OUT_OF_DATE;
    const values = Object.fromEntries(
      Object.entries(raw as Record<string, unknown>).map(([k, v]) => [
        k,
        typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined,
      ]),
    );
    try {
      const done = await submitForm(deps.ctx, actorOf(context.activity), id, meta, values);
      const card = renderCard(done);
      if (context.activity.replyToId)
        await context.updateActivity({ ...cardActivity(card), id: context.activity.replyToId });
      return card;
    } catch (err) {
      if (err instanceof FormErrors)
        return `Please correct: ${Object.entries(err.fields)
          .map(([k, v]) => `${k} ${v}`)
          .join('; ')}.`;
      if (isUsoError(err)) return err.message;
      throw err;
    }
  };

/** The "Another account..." search: accounts of the conversation's school's LA that the typed text names. */
export const accountSearch =
  (deps: TeamsDeps) =>
  async (
    context: TurnContext,
    _state: unknown,
    query: { parameters: { queryText?: string } },
  ): Promise<{ title: string; value: string }[]> => {
    if (!fromAllowedTenant(deps, context.activity)) return [];
    const actor = actorOf(context.activity);
    const dfe =
      (await schoolOfConversation(deps.db, 'teams', tenantOf(context.activity), conversationOf(context.activity))) ??
      (await onlySchoolOf(deps.db, actor));
    if (!dfe) return [];
    try {
      return (
        await school.searchAccounts(deps.ctx, actor, { dfeNumber: dfe, text: query.parameters.queryText ?? '' })
      ).map((a) => ({ title: a.label, value: a.username }));
    } catch (err) {
      if (isUsoError(err)) return [];
      throw err;
    }
  };

/** A verb this version of the bot does not know: a card from an older version. */
export const outOfDateCard = async (): Promise<string> => OUT_OF_DATE;

/** A turn that failed: logged with the activity type only; a message gets a short apology. */
export const turnFailed = (deps: TeamsDeps) => async (context: TurnContext, err: Error) => {
  deps.logger.error({ activityType: context.activity.type, err: { message: err.message } }, 'teams turn failed');
  if (context.activity.type === ActivityTypes.Message) {
    await context
      .sendActivity('Something went wrong there; the service operator can see what in the logs.')
      .catch(() => {});
  }
};
