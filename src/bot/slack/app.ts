// The Slack surface: the /uso command and the buttons, wired to the shared actions. Listeners are plain functions
// of (ack, body, client, respond); all Slack specifics stay in this folder.
import {
  App,
  LogLevel,
  type Logger as BoltLogger,
  type AllMiddlewareArgs,
  type BlockAction,
  type ButtonAction,
  type SlackActionMiddlewareArgs,
  type SlackCommandMiddlewareArgs,
} from '@slack/bolt';
import type { Db } from 'mongodb';
import type { Hono } from 'hono';
import { z } from 'zod';
import { isUsoError } from '../../errors.js';
import { firstSighting } from '../../store/events.js';
import type { Logger } from '../../log.js';
import {
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
import { homeView, LIMITS, render, type SlackMessage } from '../views/blocks.js';
import { HonoReceiver } from './receiver.js';
import { refreshSummaries } from '../notify.js';
import type { ChatSenders } from '../outbox.js';
import { slackSender } from './sender.js';
import { installationFor } from './install.js';
import { singleWorkspaceAuthorize } from './identity.js';

export interface SlackOptions {
  db: Db;
  logger: Logger;
  signingSecret: string;
  /** One workspace: its bot token. Without it, each workspace's installation (stored by the OAuth flow) is used. */
  token?: string;
  scheduler?: actions.ActionContext['scheduler'];
  /** Offline and in tests: skip Bolt's auth.test at start-up. */
  botUserId?: string;
  botId?: string;
  /** The service's senders (read at each decision), so a decision here refreshes summaries on other platforms too. */
  senders?: ChatSenders;
}

const HELP = [
  '*/uso status [school]*: last run, people to match, held changes',
  '*/uso match [school]*: people who look like existing accounts, with buttons',
  '*/uso unallocated [school]*: accounts that lost their school, with Restore',
  '*/uso run [school]*: run the school now',
  '*/uso link CODE*: link this channel to a school (the code comes from `uso link-code DFE`)',
  "*/uso grant @user contact|head*: give someone a role at this channel's school",
].join('\n');

const buttonValue = z.object({
  d: dfeNumberSchema,
  p: z.string().optional(),
  u: z.string().optional(),
  r: z.string().optional(),
  page: z.number().int().min(0).optional(),
});

/** Bolt's logger interface over the service's logger: its messages become JSON lines with `source: bolt`. */
function boltLogger(logger: Logger): BoltLogger {
  const child = logger.child({ source: 'bolt' });
  const line =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (...msgs: unknown[]) =>
      child[level](
        msgs
          .map((m) => (m instanceof Error ? m.message : typeof m === 'string' ? m : JSON.stringify(m)))
          .join(' ')
          .slice(0, 1000),
      );
  return {
    debug: line('debug'),
    info: line('info'),
    warn: line('warn'),
    error: line('error'),
    setLevel: () => {},
    getLevel: () => LogLevel.INFO,
    setName: () => {},
  };
}

/** A button's value; one that is not ours (not JSON, wrong shape) reads as an out-of-date button. */
function parseButtonValue(raw: string | undefined): z.infer<typeof buttonValue> {
  let json: unknown;
  try {
    json = JSON.parse(raw ?? '{}');
  } catch {
    json = undefined;
  }
  return buttonValue.parse(json);
}

function actorOf(body: {
  user_id?: string;
  user_name?: string;
  team_id?: string;
  user?: { id: string; name?: string; username?: string; team_id?: string };
  team?: { id: string } | null;
}): Actor {
  const userId = body.user_id ?? body.user?.id ?? 'unknown';
  const team = body.team_id ?? body.team?.id ?? body.user?.team_id ?? 'unknown';
  return {
    platform: 'slack',
    workspace: team,
    userId,
    displayName: body.user_name ?? body.user?.username ?? body.user?.name ?? userId,
  };
}

const reply = (text: string): SlackMessage => ({ text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] });

export function createSlack(options: SlackOptions) {
  const receiver = new HonoReceiver({
    signingSecret: options.signingSecret,
    firstDelivery: (eventId) => firstSighting(options.db, `slack:${eventId}`, 86_400_000),
    onError: (err) => options.logger.error({ err: { message: (err as Error).message } }, 'slack listener failed'),
    onRateLimited: () =>
      options.logger.warn(
        { code: 'slack_events_rate_limited' },
        'slack: Slack is dropping events for this app for a while (app_rate_limited)',
      ),
    onSlowAck: () =>
      options.logger.warn(
        { code: 'slack_ack_late' },
        'slack: no listener answered within 2.5 s; Slack was sent an empty answer',
      ),
  });
  const app = new App({
    receiver,
    ...(options.token
      ? options.botUserId !== undefined
        ? { token: options.token, botUserId: options.botUserId, botId: options.botId, tokenVerificationEnabled: false }
        : { authorize: singleWorkspaceAuthorize(options.token, options.logger) }
      : {
          authorize: async ({ teamId }: { teamId?: string }) => {
            const installation = teamId ? await installationFor(options.db, teamId) : undefined;
            if (!installation) throw new Error(`no installation for workspace ${teamId}`);
            return {
              botToken: installation.botToken,
              botId: installation.botId,
              botUserId: installation.botUserId,
              teamId,
            };
          },
        }),
    // Bolt's own messages go into the service's JSON log, not as plain lines beside it
    logger: boltLogger(options.logger),
    // interactive paths fail fast (a rate limit, an unreachable API) instead of waiting it out for half an hour;
    // what must arrive goes through the outbox, which retries
    clientOptions: { rejectRateLimitedCalls: true, timeout: 10_000, retryConfig: { retries: 1 } },
  });
  const ctx: actions.ActionContext = { db: options.db, ...(options.scheduler ? { scheduler: options.scheduler } : {}) };
  // the outbox's Slack sender: the one workspace's token, or each workspace's installation
  const sender = slackSender(options.token ?? (async (team) => (await installationFor(options.db, team))?.botToken));
  // read at each decision, so platforms the service adds later are refreshed too
  const senders = (): ChatSenders => ({ ...options.senders, slack: sender });

  /** The school a command is about: given explicitly, the one the channel is linked to, or the actor's only one. */
  async function schoolFor(
    body: { team_id?: string; channel_id?: string },
    actor: Actor,
    given?: string,
  ): Promise<string | undefined> {
    if (dfeNumberSchema.safeParse(given).success) return given;
    const linked =
      body.team_id && body.channel_id
        ? await schoolOfConversation(options.db, 'slack', body.team_id, body.channel_id)
        : undefined;
    return linked ?? onlySchoolOf(options.db, actor);
  }

  async function command({ ack, body, command: cmd }: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> {
    const [sub = 'help', arg, role] = cmd.text.trim().split(/\s+/).filter(Boolean);
    const actor = actorOf(body);
    const answer = async (message: SlackMessage, visibleToChannel = false) =>
      ack({ response_type: visibleToChannel ? 'in_channel' : 'ephemeral', ...message });
    try {
      if (sub === 'help') return void (await answer(reply(HELP)));
      if (sub === 'link') {
        if (!arg) return void (await answer(reply('Give the code: `/uso link CODE`.')));
        const dfe = await redeemLinkCode(options.db, arg, actor, {
          platform: 'slack',
          workspace: body.team_id,
          conversation: body.channel_id,
        });
        return void (await answer(
          reply(`This channel now speaks for school ${dfe}. ${actor.displayName} is its head here.`),
          true,
        ));
      }
      const dfe = await schoolFor(body, actor, sub === 'grant' ? undefined : arg);
      if (!dfe && sub === 'status') {
        const mine = await actions.myStatus(ctx, actor);
        if (mine.schools.length) return void (await answer(render(mine)));
      }
      if (!dfe)
        return void (await answer(
          reply(
            'This channel is not linked to a school: give the DfE number (`/uso status 2093456`) or link it with `/uso link CODE`.',
          ),
        ));
      const view = Object.hasOwn(actions.schoolCommands, sub) ? actions.schoolCommands[sub] : undefined;
      if (view) return void (await answer(render(await view(ctx, actor, dfe)), sub === 'run'));
      switch (sub) {
        case 'grant': {
          const user = /^<@([A-Z0-9]+)(\|[^>]*)?>$/.exec(arg ?? '')?.[1];
          const parsedRole = z.enum(['head', 'contact']).safeParse(role);
          if (!user || !parsedRole.success)
            return void (await answer(reply('Use `/uso grant @user contact` or `/uso grant @user head`.')));
          await grantRole(
            options.db,
            actor,
            dfe,
            { platform: 'slack', workspace: body.team_id, userId: user, displayName: user },
            parsedRole.data,
          );
          return void (await answer(reply(`<@${user}> is now ${parsedRole.data} for school ${dfe}.`)));
        }
        default:
          return void (await answer(reply(`I do not know \`${sub}\`.\n${HELP}`)));
      }
    } catch (err) {
      if (!isUsoError(err)) throw err;
      await answer(reply(err.message));
    }
  }

  /** A button: ack at once, act, then show the outcome in place of the message (or privately, if refused). */
  async function button<R = View>(
    args: SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs,
    act: (actor: Actor, v: z.infer<typeof buttonValue>) => Promise<R>,
    page?: (v: z.infer<typeof buttonValue>) => number,
    toMessage: (r: R, page?: number) => SlackMessage = (r, p) => render(r as View, p),
    /** A decision changes the school's summary; paging and opening lists do not. */
    refreshes = true,
  ): Promise<void> {
    const { ack, body, action, client } = args;
    await ack();
    const actor = actorOf(body);
    const channel = body.channel?.id;
    const ts = body.message?.ts;
    try {
      const value = parseButtonValue(action.value);
      let message = toMessage(await act(actor, value), page?.(value));
      // after a decision, keep the run's summaries current: the others are refreshed where they are, and the clicked
      // message, if it is the summary, becomes the refreshed summary under a line saying what was just done
      const clickedSummary = refreshes
        ? await refreshSummaries(options.db, value.d, senders(), options.logger, {
            platform: 'slack',
            ...(channel ? { conversation: channel } : {}),
            ...(ts ? { messageId: ts } : {}),
          })
        : undefined;
      if (clickedSummary) {
        const summary = render(clickedSummary);
        const first = message.blocks[0];
        const done = first?.type === 'section' ? first.text.text : message.text;
        message = {
          text: summary.text,
          blocks: [
            { type: 'context' as const, elements: [{ type: 'mrkdwn' as const, text: done.slice(0, 2000) }] },
            ...summary.blocks,
          ].slice(0, LIMITS.blocks),
        };
      }
      if (channel && ts) await client.chat.update({ channel, ts, text: message.text, blocks: message.blocks });
    } catch (err) {
      if (!isUsoError(err) && !(err instanceof z.ZodError)) throw err;
      const text = err instanceof z.ZodError ? 'That button is out of date; run the command again.' : err.message;
      if (channel) await client.chat.postEphemeral({ channel, user: actor.userId, text });
    }
  }

  app.command('/uso', command);
  app.event('app_home_opened', async ({ event, body, client }) => {
    const actor: Actor = { platform: 'slack', workspace: body.team_id, userId: event.user, displayName: event.user };
    await client.views.publish({
      user_id: event.user,
      view: homeView((await actions.myStatus(ctx, actor)).schools) as never,
    });
  });
  // removed from a channel: it no longer speaks for its school, and nothing more is posted there
  const left = async ({ body, event }: { body: { team_id: string }; event: { channel: string } }) => {
    const dfeNumber = await unlinkConversation(options.db, 'slack', body.team_id, event.channel);
    if (dfeNumber)
      options.logger.info({ dfeNumber }, 'slack bot removed from a channel; it no longer speaks for the school');
  };
  app.event('channel_left', left);
  app.event('group_left', left);
  // A decision replaces the list it was made on with who decided what, above the people still waiting.
  const decideThenList =
    (decide: (actor: Actor, v: z.infer<typeof buttonValue>) => Promise<View>) =>
    async (actor: Actor, v: z.infer<typeof buttonValue>) => {
      const decided = await decide(actor, v);
      const remaining = await actions.listMatches(ctx, actor, v.d);
      return { decided, remaining };
    };
  const decision =
    (decide: (actor: Actor, v: z.infer<typeof buttonValue>) => Promise<View>) =>
    (a: SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs) =>
      button(a, decideThenList(decide), undefined, ({ decided, remaining }) => {
        const top = render(decided);
        const rest = render(remaining);
        return {
          text: top.text,
          blocks: [...top.blocks, { type: 'divider' as const }, ...rest.blocks].slice(0, LIMITS.blocks),
        };
      });
  app.action<BlockAction<ButtonAction>>(
    'uso_match',
    decision((actor, v) => actions.match(ctx, actor, { dfeNumber: v.d, personId: v.p ?? '', username: v.u ?? '' })),
  );
  app.action<BlockAction<ButtonAction>>(
    'uso_create',
    decision((actor, v) => actions.createNew(ctx, actor, { dfeNumber: v.d, personId: v.p ?? '' })),
  );
  app.action<BlockAction<ButtonAction>>(
    'uso_exclude',
    decision((actor, v) => actions.exclude(ctx, actor, { dfeNumber: v.d, personId: v.p ?? '' })),
  );
  app.action<BlockAction<ButtonAction>>('uso_restore', (a) =>
    button(a, (actor, v) => actions.restore(ctx, actor, { dfeNumber: v.d, username: v.u ?? '' })),
  );
  app.action<BlockAction<ButtonAction>>('uso_approve', (a) =>
    button(a, (actor, v) => actions.approveHeldChanges(ctx, actor, v.r ?? '')),
  );
  app.action<BlockAction<ButtonAction>>('uso_reject', (a) =>
    button(a, (actor, v) => actions.rejectHeldChanges(ctx, actor, v.r ?? '')),
  );
  app.action<BlockAction<ButtonAction>>('uso_open_unallocated', (a) =>
    button(a, (actor, v) => actions.listUnallocated(ctx, actor, v.d), undefined, undefined, false),
  );
  app.action<BlockAction<ButtonAction>>('uso_matches_page', (a) =>
    button(
      a,
      (actor, v) => actions.listMatches(ctx, actor, v.d),
      (v) => v.page ?? 0,
      undefined,
      false,
    ),
  );

  return {
    app,
    sender,
    routes: (hono: Hono) => {
      hono.post('/slack/events', (c) => receiver.handle(c));
    },
  };
}
