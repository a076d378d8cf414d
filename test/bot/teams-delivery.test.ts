// Proactive Teams posts under the Bot Connector's failure answers: 429 waits out Retry-After (with jitter),
// 412/502/504 retry later, a bot removed from the conversation is not retried; nothing is lost or posted twice.
import nock from 'nock';
import { beforeEach, describe, expect, it } from 'vitest';
import { deliverDue, enqueue, outboxItem } from '../../src/bot/outbox.js';
import { teamsAdapter } from '../../src/bot/teams/adapter.js';
import { rememberConversation } from '../../src/bot/teams/conversations.js';
import { teamsSender } from '../../src/bot/teams/sender.js';
import { captureLogger } from '../helpers/log.js';
import { useTestStore } from '../helpers/store.js';
import { APP_ID, message, serveBotToken, SERVICE_URL, TENANT } from '../helpers/teams.js';

const ctx = useTestStore();
const CONVERSATION = '19:delivery@thread.tacv2';
const to = { platform: 'teams' as const, workspace: TENANT, conversation: CONVERSATION };
const host = SERVICE_URL.replace(/\/uk\/$/, '');
const path = new RegExp(`^/uk/v3/conversations/${encodeURIComponent(CONVERSATION)}/activities`);

beforeEach(async () => {
  serveBotToken();
  await rememberConversation(ctx.store.db, {
    ...message('hello', { conversation: CONVERSATION }),
    id: 'first',
  } as never);
});

describe('Teams delivery', () => {
  it('waits out a 429 with jitter, retries a 412 and a 502 later, and posts each message once, in order', async () => {
    const db = ctx.store.db;
    let clock = new Date('2026-11-27T18:30:00Z');
    const options = { now: () => clock, sleep: async () => {}, perConversationGapMs: 0, random: () => 0.5 };
    await enqueue(db, 'teams-1', to, { text: 'first' }, clock);
    await enqueue(
      db,
      'teams-2',
      to,
      { text: 'second', card: { type: 'AdaptiveCard', version: '1.5', body: [] } },
      new Date(clock.getTime() + 1),
    );
    const sender = teamsSender(db, teamsAdapter({ appId: APP_ID, appPassword: 'pw', appType: 'MultiTenant' }), APP_ID);
    const log = captureLogger();

    // throttled: the Bot Framework client itself retries three times after Retry-After, then the outbox waits it out
    const throttled = nock(host)
      .post(path)
      .times(4)
      .reply(429, { error: { code: 'Throttled', message: 'slow down' } }, { 'Retry-After': '1' });
    expect(await deliverDue(db, { teams: sender }, log.logger, options)).toEqual({ sent: 0, retrying: 1 });
    expect(throttled.isDone()).toBe(true);
    expect((await outboxItem(db, 'teams-1'))?.nextAttemptAt.getTime()).toBe(clock.getTime() + 1125); // Retry-After 1 s, stretched by random()/4
    expect((await outboxItem(db, 'teams-2'))?.attempts).toBe(0); // waits behind the first

    clock = new Date(clock.getTime() + 2000);
    nock(host)
      .post(path)
      .reply(412, { error: { code: 'PreconditionFailed', message: 'try again' } });
    expect(await deliverDue(db, { teams: sender }, log.logger, options)).toEqual({ sent: 0, retrying: 1 });
    expect(await outboxItem(db, 'teams-1')).toMatchObject({
      status: 'pending',
      attempts: 2,
      lastError: expect.stringContaining('try again'),
    });

    // a bad gateway: retried in-process with backoff, then left to the outbox
    clock = new Date(clock.getTime() + 60_000);
    const gateway = nock(host).post(path).times(4).reply(502, 'bad gateway');
    expect(await deliverDue(db, { teams: sender }, log.logger, options)).toEqual({ sent: 0, retrying: 1 });
    expect(gateway.isDone()).toBe(true);

    clock = new Date(clock.getTime() + 60 * 60_000);
    const bodies: Record<string, unknown>[] = [];
    nock(host)
      .post(path)
      .times(2)
      .reply((_uri, body) => {
        bodies.push(body as Record<string, unknown>);
        return [200, { id: `msg-${bodies.length}` }];
      });
    expect(await deliverDue(db, { teams: sender }, log.logger, options)).toEqual({ sent: 2, retrying: 0 });
    expect(bodies.map((b) => b.text ?? b.summary)).toEqual(['first', 'second']);
    expect(bodies[1]).toMatchObject({
      attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: { version: '1.5' } }],
    });
    expect(await outboxItem(db, 'teams-1')).toMatchObject({ status: 'sent', messageId: 'msg-1', attempts: 4 });
    expect(await deliverDue(db, { teams: sender }, log.logger, options)).toEqual({ sent: 0, retrying: 0 });
  }, 60_000);

  it('does not retry a conversation the bot was removed from, nor one it was never in', async () => {
    const db = ctx.store.db;
    const sender = teamsSender(db, teamsAdapter({ appId: APP_ID, appPassword: 'pw', appType: 'MultiTenant' }), APP_ID);
    await enqueue(db, 'removed', to, { text: 'hello?' });
    await enqueue(db, 'never', { ...to, conversation: '19:elsewhere@thread.tacv2' }, { text: 'hello?' });
    nock(host)
      .post(path)
      .reply(403, {
        error: { code: 'BotNotInConversationRoster', message: 'The bot is not part of the conversation roster.' },
      });
    const log = captureLogger();
    expect(await deliverDue(db, { teams: sender }, log.logger, { perConversationGapMs: 0 })).toEqual({
      sent: 0,
      retrying: 0,
    });
    expect(await outboxItem(db, 'removed')).toMatchObject({
      status: 'failed',
      lastError: 'Teams answered 403 (BotNotInConversationRoster)',
    });
    expect(await outboxItem(db, 'never')).toMatchObject({
      status: 'failed',
      lastError: expect.stringContaining('no conversation reference'),
    });
    expect(log.text()).toContain('chat message undeliverable; not retried');
    expect(await deliverDue(db, { teams: sender }, log.logger, { perConversationGapMs: 0 })).toEqual({
      sent: 0,
      retrying: 0,
    });
  });
});
