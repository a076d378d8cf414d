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
import { authorise, onlySchoolOf, schoolOfConversation, unlinkConversation, type Actor } from '../access.js';
import * as actions from '../actions.js';
import {
  parseButtonData,
  type ButtonData,
  type ChatAction,
  type ConfirmedAction,
  type FormId,
} from '../chat-actions.js';
import * as school from '../school-actions.js';
import { decideSharingFor, setPreApprovalFor, sharing } from '../sharing-actions.js';
import type { SharingState } from '../../store/sharing.js';
import { FormErrors, formFor, submitForm } from '../forms.js';
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

type Act = (deps: TeamsDeps, actor: Actor, d: ButtonData) => Promise<CardOutcome>;

const view = (v: View, page?: number) => renderCard(v, page);

/** A decision about a held person replaces the list it was made on with who decided what, above those still waiting. */
const decision =
  (decide: (ctx: actions.ActionContext, actor: Actor, d: ButtonData) => Promise<View>): Act =>
  async (deps, actor, d) => ({
    card: stacked(
      view(await decide(deps.ctx, actor, d)),
      view(await actions.listMatches(deps.ctx, actor, d.d), d.page),
    ),
    forEveryone: true,
    changed: true,
  });

const heldDecision =
  (decide: typeof actions.approveHeldChanges): Act =>
  async (deps, actor, d) => ({
    card: view(await decide(deps.ctx, actor, d.r ?? '', { dfeNumber: d.d })),
    forEveryone: true,
    changed: true,
  });

/** One person's held change decided: who decided what, above the list as it stands now. */
const oneHeld =
  (decision: 'approved' | 'rejected'): Act =>
  async (deps, actor, d) => ({
    card: stacked(
      view(
        await actions.decideOneHeld(deps.ctx, actor, {
          dfeNumber: d.d,
          runId: d.r ?? '',
          username: d.u ?? '',
          decision,
        }),
      ),
      view(await actions.listHeld(deps.ctx, actor, { dfeNumber: d.d, runId: d.r ?? '', filter: d.f }), d.page),
    ),
    forEveryone: true,
    changed: true,
  });

/** A list, shown to whoever asked for it. */
const listOf =
  (list: (ctx: actions.ActionContext, actor: Actor, d: ButtonData) => Promise<View>): Act =>
  async (deps, actor, d) => ({ card: view(await list(deps.ctx, actor, d), d.page), forEveryone: false });

/** A school's decision about a service: the list as it stands, the receipt above it, for everyone. */
const sharingDecision =
  (decision: SharingState): Act =>
  async (deps, actor, d) => ({
    card: view(await decideSharingFor(deps.ctx, actor, { dfeNumber: d.d, subscriberId: d.s ?? '', decision })),
    forEveryone: true,
  });

/** What each button does. The guarded ones (confirmedActions) first ask, on a card only the clicker sees. */
export const cardActs: Record<ChatAction, Act> = {
  match: decision((ctx, actor, d) =>
    actions.match(ctx, actor, { dfeNumber: d.d, personId: d.p ?? '', username: d.u ?? '' }),
  ),
  create: decision((ctx, actor, d) => actions.createNew(ctx, actor, { dfeNumber: d.d, personId: d.p ?? '' })),
  exclude: decision((ctx, actor, d) => actions.exclude(ctx, actor, { dfeNumber: d.d, personId: d.p ?? '' })),
  restore: async (deps, actor, d) => {
    const restored = await actions.restore(deps.ctx, actor, { dfeNumber: d.d, username: d.u ?? '' });
    return {
      card: stacked(view(restored), view(await actions.listUnallocated(deps.ctx, actor, d.d))),
      forEveryone: true,
      changed: true,
    };
  },
  approve: heldDecision(actions.approveHeldChanges),
  reject: heldDecision(actions.rejectHeldChanges),
  approveOne: oneHeld('approved'),
  rejectOne: oneHeld('rejected'),
  held: listOf((ctx, actor, d) =>
    actions.listHeld(ctx, actor, { dfeNumber: d.d, ...(d.r ? { runId: d.r } : {}), filter: d.f }),
  ),
  restoreSelected: async (deps, actor, d) => ({
    card: stacked(
      view(
        await actions.restoreMany(deps.ctx, actor, {
          dfeNumber: d.d,
          usernames: (d.sel ?? '').split(',').filter(Boolean),
        }),
      ),
      view(await actions.listUnallocated(deps.ctx, actor, d.d, d.f), d.page),
    ),
    forEveryone: true,
    changed: true,
  }),
  matches: listOf((ctx, actor, d) => actions.listMatches(ctx, actor, d.d)),
  unallocated: listOf((ctx, actor, d) => actions.listUnallocated(ctx, actor, d.d, d.f)),
  nonMis: listOf((ctx, actor, d) => actions.listNonMis(ctx, actor, d.d, d.f)),
  newAccounts: listOf((ctx, actor, d) =>
    actions.listNewAccounts(ctx, actor, { dfeNumber: d.d, ...(d.r ? { runId: d.r } : {}), filter: d.f }),
  ),
  newAccountsFile: async (deps, actor, d) => ({
    card: newAccountsTable(
      await actions.listNewAccounts(deps.ctx, actor, { dfeNumber: d.d, ...(d.r ? { runId: d.r } : {}), filter: d.f }),
      d.page,
    ),
    forEveryone: false,
  }),
  undo: async (deps, actor, d) => {
    const { done, list } = await school.undoFromChat(deps.ctx, actor, d);
    return { card: stacked(view(done), view(list)), forEveryone: true, changed: true };
  },
  exclusions: listOf((ctx, actor, d) => school.exclusions(ctx, actor, d.d)),
  removeExclusion: async (deps, actor, d) => ({
    card: stacked(
      view(await school.removeExclusionFor(deps.ctx, actor, { dfeNumber: d.d, key: d.x ?? '' })),
      view(await school.exclusions(deps.ctx, actor, d.d)),
    ),
    forEveryone: true,
  }),
  otherAccount: async (deps, actor, d) => {
    await authorise(deps.db, actor, d.d, 'contact');
    return { card: otherAccountCard(d.d, d.p ?? ''), forEveryone: false };
  },
  chooseAccount: async (deps, actor, d) => ({
    card: view(
      await school.confirmMatch(deps.ctx, actor, { dfeNumber: d.d, personId: d.p ?? '', username: d.u ?? '' }),
    ),
    forEveryone: false,
  }),
  retire: async (deps, actor, d) => ({
    card: stacked(
      view(await school.retire(deps.ctx, actor, { dfeNumber: d.d, username: d.u ?? '' })),
      view(await actions.listNonMis(deps.ctx, actor, d.d)),
    ),
    forEveryone: true,
    changed: true,
  }),
  openForm: async (deps, actor, d) => ({ card: formCard(await formFor(deps.ctx, actor, d)), forEveryone: false }),
  invalid: listOf((ctx, actor, d) =>
    actions.listInvalid(ctx, actor, { dfeNumber: d.d, ...(d.r ? { runId: d.r } : {}) }),
  ),
  summary: async (deps, actor, d) => ({
    card: view(await actions.runSummary(deps.ctx, actor, d.d)),
    forEveryone: false,
  }),
  sharing: listOf((ctx, actor, d) => sharing(ctx, actor, d.d)),
  approveSharing: sharingDecision('approved'),
  declineSharing: sharingDecision('declined'),
  revokeSharing: sharingDecision('revoked'),
  preApproval: async (deps, actor, d) => ({
    card: view(await setPreApprovalFor(deps.ctx, actor, d.d, d.o)),
    forEveryone: true,
  }),
};

const confirmation: Record<ConfirmedAction, { need: 'contact' | 'head'; subject: (d: ButtonData) => string }> = {
  exclude: { need: 'contact', subject: (d) => `MIS person ${d.p}` },
  restore: { need: 'contact', subject: (d) => d.u ?? 'The account' },
  approve: { need: 'head', subject: (d) => `The held changes of run ${d.r}` },
  reject: { need: 'head', subject: (d) => `The held changes of run ${d.r}` },
  retire: { need: 'contact', subject: (d) => d.u ?? 'The account' },
  restoreSelected: {
    need: 'contact',
    subject: (d) => `${(d.sel ?? '').split(',').filter(Boolean).length} ticked account(s)`,
  },
};

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
      let outcome: CardOutcome;
      if (action in confirmation && data.c !== 1) {
        const guard = confirmation[action as ConfirmedAction];
        await authorise(deps.db, actor, data.d, guard.need); // only someone who may decide is asked
        outcome = { card: confirmationFor(action as ConfirmedAction, data, guard.subject(data)), forEveryone: false };
      } else outcome = await cardActs[action](deps, actor, data);
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
