// The Teams surface: text commands to the bot (in a channel, group chat or personal chat) and the Adaptive Card
// buttons, wired to the shared actions through a teams-ai Application on the Bot Framework adapter. Decisions
// replace the card for everyone in the conversation; paging and confirmations change it only for whoever clicked;
// a refusal or a stale card answers the clicker alone and leaves the card as it was.
import { Application, type TurnState } from '@microsoft/teams-ai';
import { ActivityTypes, MessageFactory, type Activity, type TurnContext } from 'botbuilder';
import type { Hono } from 'hono';
import type { Db } from 'mongodb';
import { z } from 'zod';
import { isUsoError } from '../../errors.js';
import type { Logger } from '../../log.js';
import {
  authorise,
  grantRole,
  onlySchoolOf,
  redeemLinkCode,
  schoolOfConversation,
  unlinkConversation,
  type Actor,
} from '../access.js';
import * as actions from '../actions.js';
import type { View } from '../view-model.js';
import { dfeNumberSchema } from '../../domain/records.js';
import { refreshSummaries } from '../notify.js';
import { confirmationFor, renderCard, stacked, type AdaptiveCard } from '../views/cards.js';
import { processActivity, teamsAdapter, TokenGate, type TeamsAuth } from './adapter.js';
import { conversationOf, forgetConversations, rememberConversation, tenantOf } from './conversations.js';
import { cardActivity, teamsSender } from './sender.js';
import type { ChatSender, ChatSenders } from '../outbox.js';

export interface TeamsOptions extends TeamsAuth {
  db: Db;
  logger: Logger;
  scheduler?: actions.ActionContext['scheduler'];
  /** The service's senders (read at each decision), so a decision here refreshes summaries on other platforms too. */
  senders?: ChatSenders;
}

/** The text commands, in the order help lists them (the Teams manifest's command list offers the same). */
export const TEXT_COMMANDS = {
  status: ['status [school]', 'last run, people to match, held changes'],
  match: ['match [school]', 'people who look like existing accounts, with buttons'],
  unallocated: ['unallocated [school]', 'accounts that lost their school, with Restore'],
  'non-mis': ['non-mis [school]', 'accounts at the school that the MIS does not list'],
  run: ['run [school]', 'run the school now'],
  link: ['link CODE', 'link this conversation to a school (the code comes from `uso link-code DFE`)'],
  grant: ['grant @person contact|head', "give someone a role at this conversation's school"],
  help: ['help', 'this list'],
} as const;

const HELP = Object.values(TEXT_COMMANDS)
  .map(([usage, what]) => `**${usage}**: ${what}`)
  .join('\n\n');

/** What a card button carries (see views/cards.ts); anything else is an old or forged card. */
const actionData = z.object({
  d: dfeNumberSchema,
  p: z.string().min(1).optional(),
  u: z.string().min(1).optional(),
  r: z.string().min(1).optional(),
  page: z.coerce.number().int().min(0).optional(),
  c: z.literal(1).optional(),
});
type ActionData = z.infer<typeof actionData>;

const command = z.tuple([z.string()], z.string()).transform(([sub, ...args]) => ({ sub: sub.toLowerCase(), args }));

export function actorOf(activity: Partial<Activity>): Actor {
  const userId = activity.from?.id ?? 'unknown';
  return { platform: 'teams', workspace: tenantOf(activity), userId, displayName: activity.from?.name ?? userId };
}

/** An @mention in a message's entities (the bot's own is one of them). */
const mention = z.object({
  type: z.literal('mention'),
  mentioned: z.object({ id: z.string().min(1), name: z.string().optional() }),
});

export function createTeams(options: TeamsOptions) {
  const { db, logger } = options;
  const adapter = teamsAdapter(options);
  const gate = new TokenGate(logger);
  const app = new Application<TurnState>({
    adapter,
    botAppId: options.appId,
    removeRecipientMention: true,
    startTypingTimer: false,
    longRunningMessages: false,
  });
  const sender: ChatSender = teamsSender(db, adapter, options.appId);
  // read at each decision, so platforms the service adds later are refreshed too
  const senders = (): ChatSenders => ({ ...options.senders, teams: sender });
  const ctx: actions.ActionContext = { db, ...(options.scheduler ? { scheduler: options.scheduler } : {}) };

  /** A single-tenant bot answers only its own organisation, whatever a channel token says. */
  const fromAllowedTenant = (activity: Partial<Activity>) =>
    options.appType !== 'SingleTenant' || tenantOf(activity) === options.tenantId;

  app.error(async (context, err) => {
    logger.error(
      { activityType: context.activity.type, err: { message: (err as Error).message } },
      'teams turn failed',
    );
    if (context.activity.type === ActivityTypes.Message)
      await context
        .sendActivity('Something went wrong there; the service operator can see what in the logs.')
        .catch(() => {});
  });

  app.conversationUpdate('membersAdded', async (context) => {
    if (!fromAllowedTenant(context.activity)) return;
    await rememberConversation(db, context.activity);
    if (context.activity.membersAdded?.some((m) => m.id === context.activity.recipient.id)) {
      await context.sendActivity(
        `Hello. I keep USO accounts in step with the school's MIS. Link this conversation to a school with **link CODE** (the code comes from the service operator).\n\n${HELP}`,
      );
    }
  });

  // removed from a team or chat: that conversation no longer speaks for its school, and nothing more is posted there
  app.conversationUpdate('membersRemoved', async (context) => {
    if (
      !fromAllowedTenant(context.activity) ||
      !context.activity.membersRemoved?.some((m) => m.id === context.activity.recipient.id)
    )
      return;
    const tenant = tenantOf(context.activity);
    for (const conversation of await forgetConversations(db, context.activity)) {
      const dfeNumber = await unlinkConversation(db, 'teams', tenant, conversation);
      if (dfeNumber)
        logger.info({ dfeNumber }, 'teams bot removed from a conversation; it no longer speaks for the school');
    }
  });

  app.activity(ActivityTypes.Message, async (context) => {
    if (!fromAllowedTenant(context.activity)) return;
    await rememberConversation(db, context.activity);
    const actor = actorOf(context.activity);
    const text = (context.activity.text ?? '').replace(/<at>[^<]*<\/at>/g, ' ').trim();
    const parsed = command.safeParse(text.split(/\s+/).filter(Boolean));
    const { sub, args } = parsed.success ? parsed.data : { sub: 'help', args: [] };
    const reply = (answer: string | AdaptiveCard) =>
      context.sendActivity(typeof answer === 'string' ? MessageFactory.text(answer) : cardActivity(answer));
    try {
      if (sub === 'help') return void (await reply(HELP));
      if (sub === 'link') {
        if (!args[0]) return void (await reply('Give the code: **link CODE**.'));
        const dfe = await redeemLinkCode(db, args[0], actor, {
          platform: 'teams',
          workspace: actor.workspace!,
          conversation: conversationOf(context.activity),
        });
        return void (await reply(
          `This conversation now speaks for school ${dfe}. ${actor.displayName} is its head here.`,
        ));
      }
      const given = sub === 'grant' ? undefined : args.find((a) => dfeNumberSchema.safeParse(a).success);
      const dfe =
        given ??
        (await schoolOfConversation(db, 'teams', actor.workspace!, conversationOf(context.activity))) ??
        (await onlySchoolOf(db, actor));
      if (!dfe && sub === 'status') {
        const mine = await actions.myStatus(ctx, actor);
        if (mine.schools.length) return void (await reply(renderCard(mine)));
      }
      if (!dfe)
        return void (await reply(
          'This conversation is not linked to a school: give the DfE number (**status 2093456**) or link it with **link CODE**.',
        ));
      const view = Object.hasOwn(actions.schoolCommands, sub) ? actions.schoolCommands[sub] : undefined;
      if (view) return void (await reply(renderCard(await view(ctx, actor, dfe))));
      switch (sub) {
        case 'grant': {
          const people = (context.activity.entities ?? []).flatMap((e) => {
            const m = mention.safeParse(e);
            return m.success && m.data.mentioned.id !== context.activity.recipient.id ? [m.data.mentioned] : [];
          });
          const target = people[0];
          const role = z.enum(['head', 'contact']).safeParse(args.at(-1)?.toLowerCase());
          if (people.length !== 1 || !target || !role.success)
            return void (await reply(
              'Use **grant @person contact** or **grant @person head**, mentioning one person.',
            ));
          await grantRole(
            db,
            actor,
            dfe,
            {
              platform: 'teams',
              workspace: actor.workspace!,
              userId: target.id,
              displayName: target.name ?? target.id,
            },
            role.data,
          );
          return void (await reply(`${target.name ?? 'They'} is now ${role.data} for school ${dfe}.`));
        }
        default:
          return void (await reply(`I do not know **${sub.slice(0, 40)}**.\n\n${HELP}`));
      }
    } catch (err) {
      if (!isUsoError(err)) throw err;
      await reply(err.message);
    }
  });

  /**
   * Keeps the school's run summaries current after a decision, on every platform: if the clicked card is itself the
   * summary, the answer is the refreshed summary under a line saying what was done; the others are replaced where
   * they are.
   */
  async function refreshSummariesAfter(
    context: TurnContext,
    dfeNumber: string,
    done: AdaptiveCard,
  ): Promise<AdaptiveCard | undefined> {
    const clicked = {
      platform: 'teams' as const,
      conversation: conversationOf(context.activity),
      ...(context.activity.replyToId ? { messageId: context.activity.replyToId } : {}),
    };
    const summary = await refreshSummaries(db, dfeNumber, senders(), logger, clicked);
    // only the line saying what was done (each decision card opens with it), then the summary
    return summary ? stacked({ ...done, body: done.body.slice(0, 1) }, renderCard(summary)) : undefined;
  }

  type Outcome = { card: AdaptiveCard; forEveryone: boolean; changed?: boolean };

  /** A card button: check the data, act as the clicker, and answer with the card to show (or why not). */
  function onAction(verb: string, act: (actor: Actor, data: ActionData) => Promise<Outcome>) {
    app.adaptiveCards.actionExecute(verb, async (context, _state, raw) => {
      if (!fromAllowedTenant(context.activity)) return 'This bot serves another organisation.';
      await rememberConversation(db, context.activity);
      const data = actionData.safeParse(raw);
      if (!data.success) return 'That card is out of date; send the command again.';
      try {
        const outcome = await act(actorOf(context.activity), data.data);
        let card = outcome.card;
        if (outcome.changed) card = (await refreshSummariesAfter(context, data.data.d, card)) ?? card;
        if (outcome.forEveryone && context.activity.replyToId)
          await context.updateActivity({ ...cardActivity(card), id: context.activity.replyToId });
        return card as never;
      } catch (err) {
        if (isUsoError(err)) return err.message;
        throw err;
      }
    });
  }

  const view = (v: View, page?: number) => renderCard(v, page);
  /** A decision about a held person replaces the list it was made on with who decided what, above those still waiting. */
  const decision =
    (decide: (actor: Actor, d: ActionData) => Promise<View>) =>
    async (actor: Actor, d: ActionData): Promise<Outcome> => {
      const decided = await decide(actor, d);
      return {
        card: stacked(view(decided), view(await actions.listMatches(ctx, actor, d.d), d.page)),
        forEveryone: true,
        changed: true,
      };
    };
  /**
   * A guarded decision: the first click asks (only the clicker sees the question, and only someone who may decide is
   * asked), the confirmed click acts.
   */
  const confirmed =
    (
      verb: 'uso.exclude' | 'uso.restore' | 'uso.approve' | 'uso.reject',
      subject: (d: ActionData) => string,
      act: (actor: Actor, d: ActionData) => Promise<Outcome>,
    ) =>
    async (actor: Actor, d: ActionData): Promise<Outcome> => {
      if (d.c === 1) return act(actor, d);
      await authorise(db, actor, d.d, verb === 'uso.approve' || verb === 'uso.reject' ? 'head' : 'contact');
      return { card: confirmationFor(verb, d, subject(d)), forEveryone: false };
    };

  onAction(
    'uso.match',
    decision((actor, d) => actions.match(ctx, actor, { dfeNumber: d.d, personId: d.p ?? '', username: d.u ?? '' })),
  );
  onAction(
    'uso.create',
    decision((actor, d) => actions.createNew(ctx, actor, { dfeNumber: d.d, personId: d.p ?? '' })),
  );
  onAction(
    'uso.exclude',
    confirmed(
      'uso.exclude',
      (d) => `MIS person ${d.p}`,
      decision((actor, d) => actions.exclude(ctx, actor, { dfeNumber: d.d, personId: d.p ?? '' })),
    ),
  );
  onAction(
    'uso.restore',
    confirmed(
      'uso.restore',
      (d) => d.u ?? 'The account',
      async (actor, d) => {
        const restored = await actions.restore(ctx, actor, { dfeNumber: d.d, username: d.u ?? '' });
        return {
          card: stacked(view(restored), view(await actions.listUnallocated(ctx, actor, d.d))),
          forEveryone: true,
          changed: true,
        };
      },
    ),
  );
  const held =
    (decide: typeof actions.approveHeldChanges) =>
    async (actor: Actor, d: ActionData): Promise<Outcome> => ({
      card: view(await decide(ctx, actor, d.r ?? '')),
      forEveryone: true,
      changed: true,
    });
  onAction(
    'uso.approve',
    confirmed('uso.approve', (d) => `The held changes of run ${d.r}`, held(actions.approveHeldChanges)),
  );
  onAction(
    'uso.reject',
    confirmed('uso.reject', (d) => `The held changes of run ${d.r}`, held(actions.rejectHeldChanges)),
  );
  onAction('uso.matches', async (actor, d) => ({
    card: view(await actions.listMatches(ctx, actor, d.d), d.page),
    forEveryone: false,
  }));
  onAction('uso.unallocated', async (actor, d) => ({
    card: view(await actions.listUnallocated(ctx, actor, d.d)),
    forEveryone: false,
  }));
  onAction('uso.summary', async (actor, d) => ({
    card: view(await actions.runSummary(ctx, actor, d.d)),
    forEveryone: false,
  }));
  // registered last, so it only answers verbs nothing above knows: cards from an older version of the bot
  app.adaptiveCards.actionExecute(/.*/, async () => 'That card is out of date; send the command again.');

  return {
    app,
    adapter,
    sender,
    routes: (hono: Hono) => {
      hono.post('/api/messages', (c) =>
        processActivity(
          c,
          adapter,
          (context) => app.run(context).then(() => undefined),
          (reason) => logger.warn({ reason }, 'teams request refused: token not valid'),
          gate,
        ),
      );
    },
  };
}
