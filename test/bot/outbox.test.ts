// The outbox under chat outages: nothing lost, nothing posted twice, Retry-After honoured, order kept.
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { deliverDue, enqueue, outboxItem } from '../../src/bot/outbox.js';
import { slackSender } from '../../src/bot/slack/sender.js';
import { captureLogger } from '../helpers/log.js';
import { useTestStore } from '../helpers/store.js';

const ctx = useTestStore();
const to = { platform: 'slack' as const, workspace: 'T1', conversation: 'C9' };

describe('outbox', () => {
  it('keeps a message through hours of Slack failures and posts it once when Slack is back', async () => {
    const db = ctx.store.db;
    let clock = new Date('2026-11-27T18:30:00Z');
    const options = { now: () => clock, sleep: async () => {}, perConversationGapMs: 0, random: () => 0 };
    expect(await enqueue(db, 'summary:run-1:C9', to, { text: 'first' }, clock)).toBe(true);
    expect(await enqueue(db, 'summary:run-1:C9', to, { text: 'first' }, clock)).toBe(false); // same key: not again
    await enqueue(db, 'summary:run-2:C9', to, { text: 'second' }, new Date(clock.getTime() + 1));
    const sender = slackSender('xoxb-test');
    const log = captureLogger();

    // Slack down: 503s for a few hours of attempts; the second message waits behind the first
    const down = nock('https://slack.com').post('/api/chat.postMessage').times(6).reply(503, 'unavailable');
    for (let hour = 0; hour < 6; hour++) {
      const r = await deliverDue(db, { slack: sender }, log.logger, options);
      expect(r.sent).toBe(0);
      clock = new Date(clock.getTime() + 60 * 60_000);
    }
    expect(down.isDone()).toBe(true);
    expect(await outboxItem(db, 'summary:run-1:C9')).toMatchObject({ status: 'pending', attempts: 6 });
    expect((await outboxItem(db, 'summary:run-2:C9'))?.attempts).toBe(0);

    // then rate limited: Retry-After is honoured
    nock('https://slack.com')
      .post('/api/chat.postMessage')
      .reply(429, { ok: false, error: 'ratelimited' }, { 'Retry-After': '42' });
    await deliverDue(db, { slack: sender }, log.logger, options);
    expect((await outboxItem(db, 'summary:run-1:C9'))?.nextAttemptAt.getTime()).toBe(clock.getTime() + 42_000);

    // back: both go, in order, once each
    clock = new Date(clock.getTime() + 43_000);
    const bodies: string[] = [];
    const up = nock('https://slack.com')
      .post('/api/chat.postMessage', (b) => {
        bodies.push(String(b.text));
        return b.channel === 'C9';
      })
      .times(2)
      .reply(200, () => ({ ok: true, channel: 'C9', ts: `1700000000.00000${bodies.length}` }));
    expect(await deliverDue(db, { slack: sender }, log.logger, options)).toEqual({ sent: 2, retrying: 0 });
    expect(up.isDone()).toBe(true);
    expect(bodies).toEqual(['first', 'second']);
    expect(await outboxItem(db, 'summary:run-1:C9')).toMatchObject({ status: 'sent', messageId: '1700000000.000001' });
    expect(await deliverDue(db, { slack: sender }, log.logger, options)).toEqual({ sent: 0, retrying: 0 });
    expect(log.text()).toContain('chat delivery failed; will retry');
  });

  it('marks a message failed, not retried, when Slack says the channel is gone', async () => {
    const db = ctx.store.db;
    await enqueue(db, 'gone', { ...to, conversation: 'CGONE' }, { text: 'hello?' });
    nock('https://slack.com').post('/api/chat.postMessage').reply(200, { ok: false, error: 'channel_not_found' });
    const log = captureLogger();
    expect(await deliverDue(db, { slack: slackSender('xoxb-test') }, log.logger, { perConversationGapMs: 0 })).toEqual({
      sent: 0,
      retrying: 0,
    });
    expect(await outboxItem(db, 'gone')).toMatchObject({
      status: 'failed',
      attempts: 1,
      lastError: 'Slack: channel_not_found',
    });
    expect(await deliverDue(db, { slack: slackSender('xoxb-test') }, log.logger, { perConversationGapMs: 0 })).toEqual({
      sent: 0,
      retrying: 0,
    });
  });
});
