// Multi-workspace installs: the OAuth v2 flow stores the workspace's bot token, and its requests then work.
import { createHmac } from 'node:crypto';
import nock from 'nock';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { createSlack } from '../../src/bot/slack/app.js';
import { installationFor, slackInstallRoutes, stateIsValid } from '../../src/bot/slack/install.js';
import { captureLogger } from '../helpers/log.js';
import { useTestStore } from '../helpers/store.js';

const ctx = useTestStore();
const SECRET = 'slack-signing-secret';
let app: ReturnType<typeof createApp>;

beforeAll(() => {
  const log = captureLogger();
  const slack = createSlack({ db: ctx.store.db, logger: log.logger, signingSecret: SECRET });
  app = createApp({
    store: ctx.store,
    logger: log.logger,
    routes: [
      slack.routes,
      slackInstallRoutes({
        db: ctx.store.db,
        logger: log.logger,
        clientId: '111.222',
        clientSecret: 'client-secret',
        stateSecret: 'state-secret-value',
      }),
    ],
  });
});

describe('Slack installation', () => {
  it('installs a workspace through OAuth v2 and then answers its commands with its own token', async () => {
    const start = await app.request('/slack/install');
    expect(start.status).toBe(302);
    const location = new URL(start.headers.get('location')!);
    expect(location.origin + location.pathname).toBe('https://slack.com/oauth/v2/authorize');
    expect(location.searchParams.get('scope')).toBe('commands,chat:write,files:write');
    const state = location.searchParams.get('state')!;
    expect(stateIsValid(state, 'state-secret-value', Date.now())).toBe(true);

    const exchange = nock('https://slack.com')
      .post(
        '/api/oauth.v2.access',
        (b) => b.code === 'the-code' && b.client_id === '111.222' && b.client_secret === 'client-secret',
      )
      .reply(200, {
        ok: true,
        access_token: 'xoxb-team-2',
        token_type: 'bot',
        scope: 'commands,chat:write,files:write',
        bot_user_id: 'UB2',
        app_id: 'A2',
        team: { id: 'T2', name: 'Oakfield' },
        authed_user: { id: 'UADMIN' },
      });
    const done = await app.request(`/slack/oauth_redirect?code=the-code&state=${encodeURIComponent(state)}`);
    expect(done.status).toBe(200);
    expect(exchange.isDone()).toBe(true);
    expect(await installationFor(ctx.store.db, 'T2')).toMatchObject({
      teamId: 'T2',
      botToken: 'xoxb-team-2',
      botUserId: 'UB2',
      scopes: ['commands', 'chat:write', 'files:write'],
    });

    const body = new URLSearchParams({
      team_id: 'T2',
      channel_id: 'C2',
      user_id: 'UADMIN',
      user_name: 'admin',
      command: '/uso',
      text: 'help',
      response_url: 'https://hooks.slack.com/x',
      trigger_id: '1',
    }).toString();
    const ts = String(Math.floor(Date.now() / 1000));
    const res = await app.request('/slack/events', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': ts,
        'x-slack-signature': `v0=${createHmac('sha256', SECRET).update(`v0:${ts}:${body}`).digest('hex')}`,
      },
      body,
    });
    expect(await res.json()).toMatchObject({
      response_type: 'ephemeral',
      text: expect.stringContaining('/uso link CODE'),
    });
  });

  it('refuses a forged or expired state', async () => {
    expect((await app.request('/slack/oauth_redirect?code=x&state=abc.123.def')).status).toBe(400);
    const old = `${'a'.repeat(24)}.${Date.now() - 1000}`;
    const mac = createHmac('sha256', 'state-secret-value').update(old).digest('hex');
    expect((await app.request(`/slack/oauth_redirect?code=x&state=${old}.${mac}`)).status).toBe(400);
  });
});
