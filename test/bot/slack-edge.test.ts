// Slack requests that are signed but not what Slack sends, 1,000 fuzzed ones, a button value that is not ours,
// a timestamp from the future, and Slack's Web API unreachable: a 400 or a plain answer, never a 5xx or silence.
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import nock from 'nock';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { createSlack } from '../../src/bot/slack/app.js';
import { captureLogger } from '../helpers/log.js';
import { seedChatSchool } from '../helpers/chat-school.js';
import { useTestStore } from '../helpers/store.js';

const ctx = useTestStore();
const SECRET = 'slack-signing-secret';
const log = captureLogger();

function sign(body: string, ts = Math.floor(Date.now() / 1000)) {
  return {
    'x-slack-request-timestamp': String(ts),
    'x-slack-signature': `v0=${createHmac('sha256', SECRET).update(`v0:${ts}:${body}`).digest('hex')}`,
  };
}

function post(
  app: ReturnType<typeof createApp>,
  body: string,
  contentType = 'application/x-www-form-urlencoded',
  ts?: number,
) {
  return app.request('/slack/events', {
    method: 'POST',
    headers: { 'content-type': contentType, ...sign(body, ts) },
    body,
  });
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const command = (fields: Record<string, string> = {}) =>
  form({
    command: '/uso',
    text: 'help',
    user_id: 'U1',
    user_name: 'u1',
    team_id: 'T1',
    channel_id: 'C1',
    trigger_id: '1.2',
    response_url: 'https://hooks.slack.com/commands/T1/1/x',
    ...fields,
  });

let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  await seedChatSchool(ctx.store.db, []);
  const slack = createSlack({
    db: ctx.store.db,
    logger: log.logger,
    signingSecret: SECRET,
    token: 'xoxb-test',
    botUserId: 'UBOT',
    botId: 'BBOT',
  });
  app = createApp({ store: ctx.store, logger: log.logger, routes: [slack.routes] });
});

beforeEach(() => {
  nock('https://slack.com')
    .persist()
    .post(/\/api\/.*/)
    .reply(200, { ok: true });
});

describe('Slack at the edge', () => {
  it('answers signed bodies Slack never sends with 400 and the reason', async () => {
    const cases = [
      form({ payload: 'null' }),
      form({ payload: '{"type":"block_actions"}' }), // no user, no actions
      form({ payload: JSON.stringify({ type: 'block_actions', user: { id: 'U1' }, team: { id: 'T1' }, actions: [] }) }),
      form({ payload: 'not json' }),
      form({ command: '/uso', text: 'help' }), // no user, team or channel
    ];
    for (const body of cases) {
      const res = await post(app, body);
      expect(res.status, body).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'payload_invalid', message: expect.any(String) });
    }
    const json = await post(app, JSON.stringify({ type: 'event_callback', team_id: 'T1' }), 'application/json');
    expect(json.status).toBe(400);
  });

  it('answers a command sent without text as help', async () => {
    const body = command();
    const res = await post(app, body.replace(/&?text=help/, ''));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ text: expect.stringContaining('/uso status') });
  });

  it('treats a button value that is not ours as an out-of-date button', async () => {
    nock.cleanAll();
    const said = nock('https://slack.com')
      .post('/api/chat.postEphemeral', (b) => /out of date/.test(String(b.text)))
      .reply(200, { ok: true });
    const payload = {
      type: 'block_actions',
      user: { id: 'U1', team_id: 'T1' },
      team: { id: 'T1' },
      channel: { id: 'C1' },
      container: { type: 'message', message_ts: '1.2' },
      message: { ts: '1.2' },
      actions: [{ type: 'button', action_id: 'uso_match', value: '{not json', action_ts: '1' }],
    };
    const before = log.lines.filter((l) => l.msg === 'slack listener failed').length;
    expect((await post(app, form({ payload: JSON.stringify(payload) }))).status).toBe(200);
    await expect.poll(() => said.isDone()).toBe(true);
    expect(log.lines.filter((l) => l.msg === 'slack listener failed').length).toBe(before);
  });

  it('refuses a timestamp more than a minute in the future', async () => {
    const res = await post(app, command(), undefined, Math.floor(Date.now() / 1000) + 240);
    expect(res.status).toBe(401);
  });

  it('answers commands while the Web API is unreachable, and says so in the log once', async () => {
    nock.cleanAll();
    const lines = captureLogger();
    nock('https://slack.com')
      .persist()
      .post('/api/auth.test')
      .replyWithError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' });
    const offline = createSlack({
      db: ctx.store.db,
      logger: lines.logger,
      signingSecret: SECRET,
      token: 'xoxb-offline',
    });
    const offlineApp = createApp({ store: ctx.store, logger: lines.logger, routes: [offline.routes] });
    for (let i = 0; i < 3; i++) {
      const res = await post(offlineApp, command());
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ text: expect.stringContaining('/uso status') });
    }
    expect(lines.lines.filter((l) => l.code === 'slack_api_unreachable')).toHaveLength(1);
    expect(lines.lines.filter((l) => l.code === 'slack_ack_late')).toHaveLength(0);
  });

  it('answers no signed payload of any shape with a 5xx (1,000 generated)', async () => {
    // mostly well-formed, so most requests reach Bolt's listeners; now and then any value at all
    const usually = <T>(valid: fc.Arbitrary<T>) =>
      fc.oneof({ weight: 8, arbitrary: valid }, { weight: 1, arbitrary: fc.anything() });
    const text = fc.oneof(
      fc.string(),
      fc.constantFrom(
        'status',
        'match',
        'unallocated',
        'non-mis',
        'run',
        'link ABC',
        'grant <@U2> head',
        'status 2090000',
        'help',
        '',
      ),
    );
    const slash = fc
      .record(
        {
          command: fc.oneof({ weight: 8, arbitrary: fc.constant('/uso') }, { weight: 1, arbitrary: fc.string() }),
          text,
          user_id: fc.constantFrom('U1', 'U2', ''),
          team_id: fc.constantFrom('T1', 'T1', 'T2', ''),
          channel_id: fc.constantFrom('C1', 'D1', ''),
          user_name: fc.string(),
        },
        { requiredKeys: ['command', 'user_id', 'team_id', 'channel_id'] },
      )
      .map((f) => ({ kind: 'form' as const, body: form(f as Record<string, string>) }));
    const value = fc.oneof(
      fc.string(),
      fc.json(),
      fc
        .record(
          {
            d: fc.oneof(fc.constant('2090000'), fc.string()),
            p: fc.string(),
            u: fc.string(),
            r: fc.string(),
            page: fc.integer(),
          },
          { requiredKeys: [] },
        )
        .map((v) => JSON.stringify(v)),
    );
    const action = fc.record({
      type: fc.constantFrom('button', 'static_select'),
      action_id: fc.constantFrom(
        'uso_match',
        'uso_create',
        'uso_exclude',
        'uso_restore',
        'uso_approve',
        'uso_reject',
        'uso_open_unallocated',
        'uso_matches_page',
        'other',
      ),
      value,
      action_ts: fc.string(),
    });
    const interaction = fc
      .record(
        {
          type: fc.oneof(
            { weight: 8, arbitrary: fc.constant('block_actions') },
            { weight: 1, arbitrary: fc.oneof(fc.constantFrom('view_submission', 'shortcut'), fc.string()) },
          ),
          user: usually(fc.record({ id: fc.constantFrom('U1', 'U2'), team_id: fc.constant('T1') })),
          team: usually(fc.oneof(fc.record({ id: fc.constant('T1') }), fc.constant(null))),
          channel: usually(fc.record({ id: fc.constantFrom('C1', 'D1') })),
          container: fc.anything(),
          message: usually(fc.record({ ts: fc.string() })),
          actions: usually(fc.array(action, { minLength: 1, maxLength: 2 })),
          response_url: fc.constant('https://hooks.slack.com/actions/T1/1/x'),
        },
        { requiredKeys: ['type', 'user', 'team', 'actions'] },
      )
      .map((p) => ({ kind: 'form' as const, body: form({ payload: JSON.stringify(p) }) }));
    const event = fc
      .record(
        {
          type: fc.oneof(
            { weight: 8, arbitrary: fc.constantFrom('event_callback', 'url_verification', 'app_rate_limited') },
            { weight: 1, arbitrary: fc.string() },
          ),
          team_id: fc.constantFrom('T1', ''),
          event_id: fc.string({ minLength: 1 }),
          challenge: fc.string(),
          event: usually(
            fc.record(
              {
                type: fc.constantFrom('app_home_opened', 'channel_left', 'group_left', 'message'),
                user: fc.string(),
                channel: fc.string(),
              },
              { requiredKeys: ['type'] },
            ),
          ),
        },
        { requiredKeys: ['type', 'team_id', 'event_id', 'event'] },
      )
      .map((e) => ({ kind: 'json' as const, body: JSON.stringify(e) }));
    const junk = fc.oneof(fc.string(), fc.json()).map((s) => ({ kind: 'form' as const, body: s }));
    const statuses: Record<number, number> = {};
    await fc.assert(
      fc.asyncProperty(fc.oneof(slash, interaction, event, junk), async ({ kind, body }) => {
        const res = await post(app, body, kind === 'json' ? 'application/json' : 'application/x-www-form-urlencoded');
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        expect(res.status, body.slice(0, 300)).toBeLessThan(500);
      }),
      { numRuns: 1000, seed: 19 },
    );
    expect(Object.values(statuses).reduce((a, b) => a + b, 0)).toBe(1000);
    expect(statuses[200] ?? 0).toBeGreaterThan(250); // a good share got past the shape check to Bolt's listeners
  });
});
