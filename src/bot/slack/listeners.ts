// The Slack listeners: plain exported functions of Bolt's arguments (ack, body, client, ...), registered in one place
// (register.ts), as in Slack's Bolt starter. The /uso command goes through the shared dispatcher (commands.ts);
// buttons are the shared actions (chat-actions.ts names them). A button acks at once, acts, then shows the outcome
// in place of its message; a refusal or an out-of-date button is said privately to whoever clicked.
import type {
  AllMiddlewareArgs,
  BlockAction,
  ButtonAction,
  SlackActionMiddlewareArgs,
  SlackCommandMiddlewareArgs,
  SlackEventMiddlewareArgs,
} from '@slack/bolt';
import type { Db } from 'mongodb';
import { isUsoError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { conversationsOfSchool, unlinkConversation, type Actor } from '../access.js';
import * as actions from '../actions.js';
import { parseButtonData, selection, type ButtonData, type ChatAction, type FormId } from '../chat-actions.js';
import { newAccountsCsv } from '../csv.js';
import { z } from 'zod';
import { COMMANDS, runCommand } from '../commands.js';
import { refreshSummaries } from '../notify.js';
import type { ChatSenders } from '../outbox.js';
import type { View } from '../view-model.js';
import {
  homeView,
  LIMITS,
  modalView,
  modalValues,
  OTHER_ACCOUNT_BLOCK,
  render,
  SELECTION_BLOCK,
  type SlackMessage,
} from '../views/blocks.js';
import * as school from '../school-actions.js';
import { actionDefs } from '../action-defs.js';
import { FormErrors, submitForm } from '../forms.js';

export interface SlackDeps {
  db: Db;
  logger: Logger;
  ctx: actions.ActionContext;
  /** Every platform's sender, read at each decision, so summaries are refreshed wherever they were posted. */
  senders: () => ChatSenders;
}

export const HELP = COMMANDS.map(([usage, what]) => `*/uso ${usage}*: ${what}`).join('\n');

export function actorOf(body: {
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

/** `/uso ...`: answered in the ack itself (privately, or to the channel for link and run). */
export const slashCommand =
  (deps: SlackDeps) =>
  async ({
    ack,
    body,
    command,
    client,
  }: Pick<SlackCommandMiddlewareArgs & AllMiddlewareArgs, 'ack' | 'body' | 'command'> &
    Partial<Pick<AllMiddlewareArgs, 'client'>>): Promise<void> => {
    const actor = actorOf(body);
    const words = command.text.trim().split(/\s+/).filter(Boolean);
    // grant's person is a Slack mention: <@U123> or <@U123|name>
    const mentioned =
      words[0]?.toLowerCase() === 'grant' ? /^<@([A-Z0-9]+)(\|[^>]*)?>$/.exec(words[1] ?? '')?.[1] : undefined;
    const answer = await runCommand(deps.ctx, actor, {
      words,
      conversation: { platform: 'slack', workspace: body.team_id, conversation: body.channel_id },
      ...(mentioned
        ? { grantee: { platform: 'slack', workspace: body.team_id, userId: mentioned, displayName: `<@${mentioned}>` } }
        : {}),
    });
    if ('form' in answer) {
      // a form opens as a modal, from the command's trigger
      await ack();
      if (client && body.trigger_id)
        await client.views.open({
          trigger_id: body.trigger_id,
          view: modalView(answer.form, body.channel_id) as never,
        });
      return;
    }
    const message =
      'view' in answer
        ? render(answer.view)
        : reply('help' in answer ? [answer.text, HELP].filter(Boolean).join('\n') : answer.text);
    await ack({
      response_type: 'toConversation' in answer && answer.toConversation ? 'in_channel' : 'ephemeral',
      ...message,
    });
  };

type ButtonArgs = Pick<
  SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs,
  'ack' | 'body' | 'action' | 'client'
>;

/** One message of several views, top first: what was just done, then the list it was done on as it stands now. */
function stackedMessage(views: readonly View[], page = 0): SlackMessage {
  const messages = views.map((v, i) => render(v, i === views.length - 1 ? page : 0));
  return {
    text: messages[0]!.text,
    blocks: messages
      .flatMap((m, i) => (i === 0 ? m.blocks : [{ type: 'divider' as const }, ...m.blocks]))
      .slice(0, LIMITS.blocks),
  };
}

/** A button press: ack at once, act, then show the outcome in place of the message (or privately, if refused). */
export const button =
  (deps: SlackDeps, action: ChatAction) =>
  async ({ ack, body, action: pressed, client }: ButtonArgs): Promise<void> => {
    await ack();
    const actor = actorOf(body);
    const channel = body.channel?.id;
    const ts = body.message?.ts;
    // the account search is a menu, not a button: its choice and the block it sits in say what it is about
    const parsed = action === 'otherAccount' ? chosenAccount(pressed) : parseButtonData(pressed.value ?? '');
    try {
      if (!parsed) throw new OutOfDate();
      // a list's ticked accounts travel in the message's state, not in the button
      const ticked = tickedIn(body);
      const data = ticked ? { ...parsed, sel: ticked.join(',') } : parsed;
      const triggerId = (body as { trigger_id?: string }).trigger_id;
      const effect = await actionDefs[action].run(deps.ctx, actor, data);
      if (effect.kind === 'file') {
        if (channel)
          await client.files.uploadV2({
            channel_id: channel,
            filename: `new-accounts-${effect.view.dfeNumber}-${effect.view.scope.replace(/[^0-9-]/g, '') || 'list'}.csv`,
            title: `New accounts at ${effect.view.dfeNumber}, ${effect.view.scope}`,
            content: newAccountsCsv(effect.view),
            initial_comment: `${effect.view.accounts.length} new account(s) at ${effect.view.dfeNumber}, ${effect.view.scope}, for login slips.`,
          });
        return;
      }
      if (effect.kind === 'form') {
        if (triggerId)
          await client.views.open({ trigger_id: triggerId, view: modalView(effect.form, channel) as never });
        return;
      }
      // the search is a menu on the person in Slack: a press without the account picked is not one we made
      if (effect.kind === 'search') throw new OutOfDate();
      const shown = stackedMessage(effect.views, effect.page);
      const message = effect.decision ? await afterDecision(deps, data, channel, ts, shown) : shown;
      if (channel && ts) await client.chat.update({ channel, ts, text: message.text, blocks: message.blocks });
    } catch (err) {
      if (!isUsoError(err) && !(err instanceof OutOfDate)) throw err;
      const text = err instanceof OutOfDate ? 'That button is out of date; run the command again.' : err.message;
      if (channel) await client.chat.postEphemeral({ channel, user: actor.userId, text });
    }
  };

/** The account picked in a held person's search menu, with the school and person named by its block. */
function chosenAccount(pressed: unknown): ButtonData | undefined {
  const p = z
    .object({ block_id: z.string(), selected_option: z.object({ value: z.string().min(1) }) })
    .safeParse(pressed);
  if (!p.success) return undefined;
  const [prefix, d, personId] = p.data.block_id.split('|');
  return prefix === OTHER_ACCOUNT_BLOCK
    ? parseButtonData({ d, p: personId, u: p.data.selected_option.value })
    : undefined;
}

/** The "Another account..." menu asks for options as the user types: accounts of the school's LA. */
export const accountOptions =
  (deps: SlackDeps) =>
  async ({
    ack,
    body,
  }: {
    ack: (r: { options: { text: { type: 'plain_text'; text: string }; value: string }[] }) => Promise<void>;
    body: unknown;
  }) => {
    const p = z.object({ block_id: z.string(), value: z.string() }).safeParse(body);
    const [prefix, d] = p.success ? p.data.block_id.split('|') : [];
    const data = prefix === OTHER_ACCOUNT_BLOCK ? parseButtonData({ d }) : undefined;
    if (!p.success || !data) return ack({ options: [] });
    try {
      const found = await school.searchAccounts(deps.ctx, actorOf(body as never), {
        dfeNumber: data.d,
        text: p.data.value,
      });
      await ack({
        options: found.map((a) => ({ text: { type: 'plain_text', text: a.label.slice(0, 75) }, value: a.username })),
      });
    } catch (err) {
      if (!isUsoError(err)) throw err;
      await ack({ options: [] });
    }
  };

/** A form's modal was submitted: parsed at the edge, done, and said in the channel it was opened from. */
export const formSubmitted =
  (deps: SlackDeps, id: FormId) =>
  async ({
    ack,
    body,
    view,
    client,
  }: {
    ack: (r?: { response_action: 'errors'; errors: Record<string, string> }) => Promise<void>;
    body: unknown;
    view: { private_metadata?: string; state: { values: Record<string, Record<string, Record<string, unknown>>> } };
    client: ButtonArgs['client'];
  }): Promise<void> => {
    let meta: (ButtonData & { ch?: string }) | undefined;
    try {
      const raw = JSON.parse(view.private_metadata ?? '') as { ch?: unknown };
      const parsed = parseButtonData(raw);
      meta = parsed ? { ...parsed, ...(typeof raw.ch === 'string' ? { ch: raw.ch } : {}) } : undefined;
    } catch {
      meta = undefined;
    }
    const firstField = Object.keys(view.state.values)[0] ?? 'form';
    if (!meta)
      return ack({ response_action: 'errors', errors: { [firstField]: 'This form is out of date; open it again.' } });
    const actor = actorOf(body as never);
    try {
      const done = render(await submitForm(deps.ctx, actor, id, meta, modalValues(view.state.values)));
      await ack();
      // the answer goes where the form came from only when that is a channel linked to the school in this workspace
      // (the metadata comes back from the client and could name any channel); otherwise to the person, privately
      const team = actor.workspace;
      const linked =
        meta.ch !== undefined &&
        (await conversationsOfSchool(deps.ctx.db, meta.d)).some(
          (l) => l.platform === 'slack' && l.workspace === team && l.conversation === meta.ch,
        );
      const channel = linked ? meta.ch! : actor.userId;
      await client.chat.postMessage({ channel, text: done.text, blocks: done.blocks as never });
    } catch (err) {
      if (err instanceof FormErrors) return ack({ response_action: 'errors', errors: err.fields });
      if (!isUsoError(err)) throw err;
      await ack({ response_action: 'errors', errors: { [firstField]: err.message.slice(0, 150) } });
    }
  };

/** The usernames ticked in the message's list, if it has one. */
function tickedIn(body: unknown): string[] | undefined {
  const parsed = tickedState.safeParse(body);
  return parsed.success
    ? parsed.data.state.values[SELECTION_BLOCK]?.[selection.slack]?.selected_options.map((o) => o.value)
    : undefined;
}
const tickedState = z.object({
  state: z.object({
    values: z.record(
      z.string(),
      z.record(
        z.string(),
        z.object({ selected_options: z.array(z.object({ value: z.string() })).default([]) }).loose(),
      ),
    ),
  }),
});

/** Ticking a box in a list: nothing to do until a button is pressed, but Slack wants an answer. */
export const tick = async ({ ack }: { ack: () => Promise<void> }): Promise<void> => {
  await ack();
};

/** A button whose data is not ours: an old message, or a forged one. */
class OutOfDate extends Error {}

/**
 * After a decision, the school's run summaries are kept current: the others are refreshed where they are, and the
 * clicked message, if it is the summary, becomes the refreshed summary under a line saying what was just done.
 */
async function afterDecision(
  deps: SlackDeps,
  data: ButtonData,
  channel: string | undefined,
  ts: string | undefined,
  message: SlackMessage,
): Promise<SlackMessage> {
  const clicked = {
    platform: 'slack' as const,
    ...(channel ? { conversation: channel } : {}),
    ...(ts ? { messageId: ts } : {}),
  };
  const clickedSummary = await refreshSummaries(deps.db, data.d, deps.senders(), deps.logger, clicked);
  if (!clickedSummary) return message;
  const summary = render(clickedSummary);
  const first = message.blocks[0];
  const done = first?.type === 'section' ? first.text.text : message.text;
  const line = { type: 'context' as const, elements: [{ type: 'mrkdwn' as const, text: done.slice(0, 2000) }] };
  return { text: summary.text, blocks: [line, ...summary.blocks].slice(0, LIMITS.blocks) };
}

/** The App Home tab: the schools the user acts for and what each needs. */
export const appHomeOpened =
  (deps: SlackDeps) =>
  async ({
    event,
    body,
    client,
  }: Pick<
    SlackEventMiddlewareArgs<'app_home_opened'> & AllMiddlewareArgs,
    'event' | 'body' | 'client'
  >): Promise<void> => {
    const actor: Actor = { platform: 'slack', workspace: body.team_id, userId: event.user, displayName: event.user };
    await client.views.publish({
      user_id: event.user,
      view: homeView((await actions.myStatus(deps.ctx, actor)).schools) as never,
    });
  };

/** Removed from a channel: it no longer speaks for its school, and nothing more is posted there. */
export const botLeftChannel =
  (deps: SlackDeps) =>
  async ({ body, event }: { body: { team_id: string }; event: { channel: string } }): Promise<void> => {
    const dfeNumber = await unlinkConversation(deps.db, 'slack', body.team_id, event.channel);
    if (dfeNumber)
      deps.logger.info({ dfeNumber }, 'slack bot removed from a channel; it no longer speaks for the school');
  };
