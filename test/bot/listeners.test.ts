// The chat listeners as plain functions, called directly with a fake ack, client, turn context and logger (no HTTP,
// no SDK app): what each answers, and that one definition per action leads from a button to its handler.
import type { TurnContext } from 'botbuilder';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLinkCode } from '../../src/bot/access.js';
import { chatActions } from '../../src/bot/chat-actions.js';
import { button, HELP as SLACK_HELP, slashCommand, type SlackDeps } from '../../src/bot/slack/listeners.js';
import { cardAction, message, HELP as TEAMS_HELP, type TeamsDeps } from '../../src/bot/teams/listeners.js';
import { render } from '../../src/bot/views/blocks.js';
import { renderCard } from '../../src/bot/views/cards.js';
import type { View } from '../../src/bot/view-model.js';
import { captureLogger } from '../helpers/log.js';
import { school, seedChatSchool } from '../helpers/chat-school.js';
import { useTestStore } from '../helpers/store.js';

const ctx = useTestStore();
const log = captureLogger();
let slackDeps: SlackDeps;
let teamsDeps: TeamsDeps;

beforeAll(async () => {
  await seedChatSchool(ctx.store.db, [['NEW-L', 'Whitfield']]);
  slackDeps = { db: ctx.store.db, logger: log.logger, ctx: { db: ctx.store.db }, senders: () => ({}) };
  teamsDeps = { db: ctx.store.db, logger: log.logger, ctx: { db: ctx.store.db }, senders: () => ({}) };
});

const slackBody = (text: string, user = 'ULIS') =>
  ({ command: '/uso', text, user_id: user, user_name: user, team_id: 'TL', channel_id: 'CL' }) as never;

function fakeAck() {
  const calls: unknown[] = [];
  return { ack: async (r?: unknown) => void calls.push(r), calls };
}

function fakeClient() {
  const calls: { method: string; args: Record<string, unknown> }[] = [];
  const record = (method: string) => async (args: Record<string, unknown>) => (
    calls.push({ method, args }),
    { ok: true }
  );
  return {
    client: { chat: { update: record('chat.update'), postEphemeral: record('chat.postEphemeral') } } as never,
    calls,
  };
}

function turn(activity: Record<string, unknown>) {
  const sent: { text?: string; attachments?: unknown[] }[] = [];
  const context = {
    activity: {
      type: 'message',
      channelId: 'msteams',
      serviceUrl: 'https://smba.trafficmanager.net/uk/',
      conversation: { id: 'a:personal', conversationType: 'personal', tenantId: 'tenant-l' },
      from: { id: '29:lis', name: 'Lis' },
      recipient: { id: '28:bot' },
      channelData: { tenant: { id: 'tenant-l' } },
      ...activity,
    },
    sendActivity: async (a: { text?: string; attachments?: unknown[] }) => (sent.push(a), { id: 'x' }),
    updateActivity: async () => undefined,
  };
  return { context: context as unknown as TurnContext, sent };
}

describe('Slack listeners', () => {
  it('answers /uso help, and /uso link in the channel, through the shared dispatcher', async () => {
    const help = fakeAck();
    await slashCommand(slackDeps)({ ack: help.ack, body: slackBody('help'), command: slackBody('help') });
    expect(help.calls).toEqual([expect.objectContaining({ response_type: 'ephemeral', text: SLACK_HELP })]);
    const code = await createLinkCode(ctx.store.db, school.dfeNumber, {
      platform: 'cli',
      userId: 'ops',
      displayName: 'ops',
    });
    const link = fakeAck();
    await slashCommand(slackDeps)({
      ack: link.ack,
      body: slackBody(`link ${code}`),
      command: slackBody(`link ${code}`),
    });
    expect(link.calls[0]).toMatchObject({
      response_type: 'in_channel',
      text: expect.stringContaining(`now speaks for school ${school.dfeNumber}`),
    });
  });

  it('answers a button whose data is not ours privately, as out of date, after acking', async () => {
    const acked = fakeAck();
    const { client, calls } = fakeClient();
    const body = {
      type: 'block_actions',
      user: { id: 'ULIS', team_id: 'TL' },
      team: { id: 'TL' },
      channel: { id: 'CL' },
      message: { ts: '1.1' },
    } as never;
    await button(slackDeps, 'match')({ ack: acked.ack, body, action: { value: 'not json' } as never, client });
    expect(acked.calls).toHaveLength(1);
    expect(calls).toEqual([
      {
        method: 'chat.postEphemeral',
        args: { channel: 'CL', user: 'ULIS', text: 'That button is out of date; run the command again.' },
      },
    ]);
  });

  it('renders each button with the action id its handler is registered under', async () => {
    const summary: View = {
      kind: 'summary',
      dfeNumber: school.dfeNumber,
      schoolName: 'S',
      runId: 'r1',
      status: 'succeeded',
      counts: { unallocated: 2 },
      guards: [],
      held: 3,
      openMatches: 1,
    };
    const slack = JSON.stringify(render(summary));
    const teams = JSON.stringify(renderCard(summary));
    for (const action of ['approve', 'reject', 'matches', 'unallocated'] as const) {
      expect(slack).toContain(`"action_id":"${chatActions[action].slack}"`);
      expect(teams).toContain(`"verb":"${chatActions[action].teams}"`);
    }
  });
});

describe('Teams listeners', () => {
  it('answers help and an unknown word with the command list', async () => {
    const { context, sent } = turn({ text: 'frobnicate' });
    await message(teamsDeps)(context);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.text).toBe(`I do not know **frobnicate**.\n\n${TEAMS_HELP}`);
  });

  it('answers a card press whose data is not ours as out of date, and a stranger with the reason', async () => {
    const { context } = turn({ type: 'invoke', name: 'adaptiveCard/action', replyToId: 'm1' });
    expect(await cardAction(teamsDeps, 'match')(context, {}, { nonsense: true })).toBe(
      'That card is out of date; send the command again.',
    );
    const refused = await cardAction(teamsDeps, 'match')(
      context,
      {},
      { d: school.dfeNumber, p: 'NEW-L', u: 'tom.requested' },
    );
    expect(refused).toMatch(/is not an admin of school/);
  });
});
