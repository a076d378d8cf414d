// Outbound events at the level of a night: the fan-out pages through any number of audit entries without stalling,
// each subscriber is delivered on its own (a slow one delays only itself), a redirect is a failed delivery (never
// followed), and one delivery loop runs at a time across workers.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { audit, type AuditEntry } from '../../src/store/audit.js';
import { deliveriesOf } from '../../src/store/deliveries.js';
import { upsertSchool } from '../../src/store/schools.js';
import { addSubscriber } from '../../src/store/subscribers.js';
import { exclusively } from '../../src/sync/exclusive.js';
import { deliverEvents, fanOut, fanOutCursor } from '../../src/sync/outbound.js';
import { captureLogger } from '../helpers/log.js';
import { approvedAt } from '../helpers/sharing.js';
import { useFreshStoreEachTest } from '../helpers/store.js';
import { migrate } from '../../src/store/migrations.js';

const ctx = useFreshStoreEachTest();
const servers: Server[] = [];
afterAll(async () => {
  for (const s of servers) await new Promise((ok) => s.close(ok));
});

/** A local receiver answering after `delayMs` with `status`; records the event ids it was sent, in order. */
async function receiver(delayMs = 0, status = 200, headers: Record<string, string> = {}) {
  const ids: string[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      ids.push((JSON.parse(body) as { id: string }).id);
      setTimeout(() => res.writeHead(status, headers).end(), delayMs);
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, ids };
}

async function runsFinished(count: number, dfeNumber = '2092000'): Promise<void> {
  await upsertSchool(ctx.store.db, { dfeNumber, name: 'S', laCode: '209', acceptedReports: ['students'] });
  const at = new Date();
  const entries: AuditEntry[] = Array.from({ length: count }, (_, i) => ({
    at,
    actor: 'sync',
    action: 'run.finished',
    dfeNumber,
    runId: `run-${String(i).padStart(6, '0')}`,
    detail: 'created 1',
  }));
  await audit(ctx.store.db, entries);
}

async function subscriber(url: string) {
  const made = await addSubscriber(ctx.store.db, {
    name: 'n',
    url,
    events: ['run.finished'],
    scope: { laCode: '209' },
    reports: ['students'],
    // the test's receivers listen on loopback over plain http: allowed for these subscribers, as an operator may
    allowHttp: true,
    allowPrivate: true,
  });
  await approvedAt(ctx.store.db, made.id, ['2092000']);
  return made;
}

describe('outbound events across a night', () => {
  it('queues every one of 6,000 entries written within a second, each once, and a later pass only what is new', async () => {
    const sub = await subscriber('http://127.0.0.1:9/');
    await runsFinished(6000);
    expect(await fanOut(ctx.store.db, { settleMs: 0 })).toBe(6000);
    await runsFinished(10);
    expect(await fanOut(ctx.store.db, { settleMs: 0 })).toBe(10);
    expect(await fanOut(ctx.store.db, { settleMs: 0 })).toBe(0);
    const queued = await deliveriesOf(ctx.store.db, sub.id);
    expect(new Set(queued.map((d) => d.event.id)).size).toBe(6010);
  });

  it('a fan-out pass killed part-way through a page queues that page again: nothing twice, nothing lost, in order', async () => {
    const db = ctx.store.db;
    const [a, b] = [await receiver(), await receiver()];
    const [subA, subB] = [await subscriber(a.url), await subscriber(b.url)];
    await runsFinished(5);
    await fanOut(db, { settleMs: 0 });
    const before = await fanOutCursor(db);
    await runsFinished(7);
    await fanOut(db, { settleMs: 0 });
    const after = await fanOutCursor(db);
    // the pass died after queuing A's share of its page and before B's, its cursor still naming the page it was on
    const { setAuditCursor } = await import('../../src/store/schools.js');
    await db.collection('deliveries').deleteMany({ subscriberId: subB.id, page: after!.page });
    await setAuditCursor(db, 'outbound:cursor', {
      entryId: before!.entryId!,
      at: before!.at,
      page: before!.page!,
      queuing: { page: after!.page!, through: after!.entryId! },
    });
    await runsFinished(3);
    await fanOut(db, { settleMs: 0 });
    await deliverEvents(db, { logger: captureLogger().logger });
    for (const [r, sub] of [
      [a, subA],
      [b, subB],
    ] as const) {
      expect(r.ids).toHaveLength(15);
      expect(new Set(r.ids).size).toBe(15);
      expect(r.ids).toEqual([...r.ids].sort());
      expect((await deliveriesOf(db, sub.id)).every((d) => d.status === 'sent')).toBe(true);
    }
  });

  it('a queue kept by an earlier version (a document per event) is delivered on from where it was', async () => {
    const db = ctx.store.db;
    const r = await receiver();
    const sub = await subscriber(r.url);
    const event = (n: number) => ({
      id: `evt_legacy_${n}`,
      type: 'run.finished',
      occurredAt: `2026-11-0${n}T18:00:00.000Z`,
      dfeNumber: '2092000',
      data: { runId: `r${n}`, summary: '' },
    });
    await db.collection<{ _id: string }>('deliveries').insertMany(
      [1, 2, 3, 4].map((n) => ({
        _id: `${sub.id}|evt_legacy_${n}`,
        subscriberId: sub.id,
        order: `${event(n).occurredAt}|${event(n).id}`,
        event: event(n),
        status: n <= 2 ? 'sent' : 'pending',
        attempts: n <= 2 ? 1 : 0,
        nextAttemptAt: new Date(0),
        ...(n <= 2 ? { sentAt: new Date('2026-11-05T00:00:00Z') } : {}),
      })),
    );
    // the store as that version left it: at schema version 1, the queues' migration to come
    await db
      .collection<{ _id: string; version: number; applied: [] }>('globals')
      .replaceOne({ _id: 'schema' }, { version: 1, applied: [] }, { upsert: true });
    expect((await migrate(db, captureLogger().logger)).map((m) => m.name)).toEqual([
      'event-queue-segments',
      'association-moved-in',
      'exclusion-ids',
    ]);
    await runsFinished(1);
    await fanOut(db, { settleMs: 0 });
    await deliverEvents(db, { logger: captureLogger().logger });
    expect(r.ids.slice(0, 2)).toEqual(['evt_legacy_3', 'evt_legacy_4']);
    expect(r.ids).toHaveLength(3);
    const queue = await deliveriesOf(db, sub.id);
    expect(queue.map((d) => [d.event.id.slice(0, 12), d.status])).toEqual([
      ['evt_legacy_1', 'sent'],
      ['evt_legacy_2', 'sent'],
      ['evt_legacy_3', 'sent'],
      ['evt_legacy_4', 'sent'],
      [r.ids[2]!.slice(0, 12), 'sent'],
    ]);
    expect(await db.collection('deliveries').countDocuments({ events: { $exists: false } })).toBe(0);
  });

  it('a slow subscriber delays only itself; a redirect is a failed delivery, its target never reached', async () => {
    const slow = await receiver(400);
    const fast = await receiver();
    const target = await receiver();
    const redirecting = await receiver(0, 307, { location: target.url });
    const [s, f, r] = [await subscriber(slow.url), await subscriber(fast.url), await subscriber(redirecting.url)];
    await runsFinished(20);
    await fanOut(ctx.store.db, { settleMs: 0 });
    const pass = deliverEvents(ctx.store.db, { logger: captureLogger().logger, budgetMs: 1500 });
    // the fast subscriber has everything while the slow one is still on its first few
    for (let i = 0; i < 50 && fast.ids.length < 20; i++) await new Promise((go) => setTimeout(go, 50));
    expect(fast.ids).toHaveLength(20);
    expect(slow.ids.length).toBeLessThan(10);
    await pass;
    // in order, each once
    expect(fast.ids).toEqual([...fast.ids].sort());
    expect(new Set(slow.ids).size).toBe(slow.ids.length);
    expect(target.ids).toEqual([]);
    const [first] = await deliveriesOf(ctx.store.db, r.id);
    expect(first).toMatchObject({ status: 'pending', lastError: 'HTTP 307: redirects are not followed' });
    // and the operator sees why in the list
    const { uso } = await import('../helpers/cli.js');
    const { inject } = await import('vitest');
    process.env.MONGODB_URI = `${inject('mongoUri').replace(/\/?$/, '/')}${ctx.store.db.databaseName}`;
    try {
      const listed = (await uso('subscribers', 'list', '--json')).json() as { id: string; lastError?: string }[];
      expect(listed.find((x) => x.id === r.id)?.lastError).toBe('HTTP 307: redirects are not followed');
    } finally {
      delete process.env.MONGODB_URI;
    }
    expect((await deliveriesOf(ctx.store.db, f.id)).every((d) => d.status === 'sent')).toBe(true);
    expect((await deliveriesOf(ctx.store.db, s.id)).some((d) => d.status === 'pending')).toBe(true);
  });

  it('runs one delivery loop at a time, however many workers start one', async () => {
    let running = 0;
    let most = 0;
    const loop = () =>
      exclusively(ctx.store.db, 'job:events:deliver', async () => {
        running++;
        most = Math.max(most, running);
        await new Promise((go) => setTimeout(go, 200));
        running--;
      });
    const ran = await Promise.all(Array.from({ length: 6 }, loop));
    expect(ran.filter(Boolean)).toHaveLength(1);
    expect(most).toBe(1);
    // and once it has finished, the next one runs
    expect(await loop()).toBe(true);
  });
});

describe('Standard Webhooks', () => {
  it('deliveries verify with the published standardwebhooks library, whichever secret of a rotation it holds', async () => {
    const { Webhook } = await import('standardwebhooks');
    const { standardWebhookHeaders } = await import('../../src/sync/standard-webhooks.js');
    const body = JSON.stringify({ id: 'evt_1', type: 'run.finished' });
    const now = Math.floor(Date.now() / 1000);
    const [old, next] = [
      'whsec_' + Buffer.alloc(24, 7).toString('base64'),
      'whsec_' + Buffer.alloc(24, 9).toString('base64'),
    ];
    const headers = standardWebhookHeaders('evt_1', body, [old!, next!], now);
    expect(new Webhook(old!).verify(body, headers)).toEqual(JSON.parse(body));
    expect(new Webhook(next!).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook('whsec_' + Buffer.alloc(24, 1).toString('base64')).verify(body, headers)).toThrow();
    expect(() => new Webhook(old!).verify(`${body} `, headers)).toThrow();
    // a secret made before (URL-safe base64) signs with the same key bytes as its standard spelling
    const urlSafe = 'whsec_' + Buffer.from([251, 255, 190, 1, 2, 3]).toString('base64url');
    const standard = 'whsec_' + Buffer.from([251, 255, 190, 1, 2, 3]).toString('base64');
    expect(new Webhook(standard).verify(body, standardWebhookHeaders('evt_1', body, [urlSafe], now))).toBeTruthy();
  });

  it('the example receiver drops a repeated event id', async () => {
    process.env.USO_SECRETS = '';
    const { firstTime } = (await import('../../examples/event-receiver.mjs' as string)) as {
      firstTime: (id: string, now?: number) => boolean;
    };
    expect(firstTime('evt_a', 1_000)).toBe(true);
    expect(firstTime('evt_a', 2_000)).toBe(false);
    expect(firstTime('evt_b', 2_000)).toBe(true);
  });
});

describe('safe destinations', () => {
  it('refuses, at every delivery, an address that is not public https unless the operator allowed it', async () => {
    const local = await receiver();
    const port = new URL(local.url).port;
    const db = ctx.store.db;
    const plain = await addSubscriber(db, {
      name: 'p',
      url: local.url,
      events: ['run.finished'],
      scope: { laCode: '209' },
      reports: ['students'],
    });
    const loopbackByName = await addSubscriber(db, {
      name: 'l',
      url: `http://localhost:${port}/`,
      events: ['run.finished'],
      scope: { laCode: '209' },
      reports: ['students'],
      allowHttp: true,
    });
    for (const s of [plain, loopbackByName]) await approvedAt(db, s.id, ['2092000']);
    await runsFinished(1);
    await fanOut(db, { settleMs: 0 });
    await deliverEvents(db, { logger: captureLogger().logger });
    expect(local.ids).toEqual([]);
    expect((await deliveriesOf(db, plain.id))[0]?.lastError).toMatch(/^refused: the subscriber URL must be https/);
    expect((await deliveriesOf(db, loopbackByName.id))[0]?.lastError).toMatch(
      /^refused: localhost resolves to an internal address/,
    );
  });

  it('uso subscribers add refuses loopback, metadata, private and credential-bearing URLs, and audits what it allows', async () => {
    const { uso } = await import('../helpers/cli.js');
    const { auditEntries } = await import('../../src/store/audit.js');
    const { inject } = await import('vitest');
    process.env.MONGODB_URI = `${inject('mongoUri').replace(/\/?$/, '/')}${ctx.store.db.databaseName}`;
    try {
      const add = (url: string, ...flags: string[]) =>
        uso(
          'subscribers',
          'add',
          'svc',
          url,
          '--events',
          'run.finished',
          '--la',
          '209',
          '--purpose',
          'run notices for the helpdesk',
          ...flags,
        );
      for (const [url, why] of [
        ['http://127.0.0.1:9/', /must be https/],
        ['https://127.0.0.1:9/', /internal address/],
        ['https://169.254.169.254/latest/', /internal address/],
        ['https://10.1.2.3/', /internal address/],
        ['https://[::1]/', /internal address/],
        ['https://[::ffff:192.168.0.1]/', /internal address/],
        ['https://user:pw@example.org/', /credentials/],
      ] as const) {
        const res = await add(url);
        expect(res.code, url).toBe(2);
        expect(res.err, url).toMatch(why);
      }
      expect((await add('http://127.0.0.1:9/', '--allow-private')).code).toBe(2);
      const allowed = await add('http://127.0.0.1:9/', '--allow-http', '--allow-private');
      expect(allowed.code, allowed.err).toBe(0);
      const [entry] = await auditEntries(ctx.store.db, { action: 'subscriber.added' }, 1);
      expect(entry?.detail).toContain('(plain http allowed, internal addresses allowed)');
    } finally {
      delete process.env.MONGODB_URI;
    }
  });
});

describe('deliveries and data protection', () => {
  it("erasure removes a person's pending events and redacts the sent ones; subject access lists what went where; retention drops a revoked subscriber's queue", async () => {
    const db = ctx.store.db;
    const { insertAccounts } = await import('../../src/store/account-inserts.js');
    const { nextSegment, recordDelivered } = await import('../../src/store/deliveries.js');
    const { fanOutCursor } = await import('../../src/sync/outbound.js');
    const { erasePerson } = await import('../../src/sync/erasure.js');
    const { subjectAccessReport } = await import('../../src/sync/subject-access.js');
    const { runRetention } = await import('../../src/sync/retention.js');
    const { revokeSubscriber } = await import('../../src/store/subscribers.js');
    const { linkedAccount, pupil, school } = await import('../helpers/people.js');
    const here = school('2092000');
    await upsertSchool(db, { dfeNumber: here.dfeNumber, name: 'S', laCode: '209', acceptedReports: ['students'] });
    const account = linkedAccount('ada.erased', pupil({ legalForename: 'Ada', legalSurname: 'Erased' }), here);
    await insertAccounts(db, [account]);
    const [sentTo, queuedFor] = [
      await addSubscriber(db, {
        name: 'Mail',
        url: 'https://mail.example.org/',
        events: ['account.*'],
        scope: { laCode: '209' },
        reports: ['students'],
      }),
      await addSubscriber(db, {
        name: 'VLE',
        url: 'https://vle.example.org/',
        events: ['account.*'],
        scope: { laCode: '209' },
        reports: ['students'],
      }),
    ];
    for (const s of [sentTo, queuedFor]) await approvedAt(db, s.id, [here.dfeNumber]);
    for (const action of ['account.created', 'account.updated'] as const)
      await audit(db, { at: new Date(), actor: 'sync', action, dfeNumber: here.dfeNumber, username: 'ada.erased' });
    expect(await fanOut(db, { settleMs: 0 })).toBe(4);
    const [firstSent] = await deliveriesOf(db, sentTo.id);
    // Mail has taken the first of its two events
    const segment = await nextSegment(db, sentTo.id, (await fanOutCursor(db))!.page!);
    await recordDelivered(db, segment!, 1, new Date());
    const report = await subjectAccessReport(db, account, 'cli:dpo');
    expect(report.sharedWith.map((x) => [x.subscriber.split(' ')[0], x.type, x.status]).sort()).toEqual([
      ['Mail', 'account.created', 'sent'],
      ['Mail', 'account.updated', 'pending'],
      ['VLE', 'account.created', 'pending'],
      ['VLE', 'account.updated', 'pending'],
    ]);
    expect(JSON.stringify(report.sharedWith)).not.toContain('Erased');
    await erasePerson(db, account, 'cli:dpo');
    const left = [...(await deliveriesOf(db, sentTo.id)), ...(await deliveriesOf(db, queuedFor.id))];
    expect(left).toHaveLength(1);
    expect(left[0]).toMatchObject({
      status: 'sent',
      event: { id: firstSent!.event.id, type: 'account.created', data: { erased: true } },
    });
    expect(JSON.stringify(left)).not.toContain('Erased');
    // a revoked subscriber's queue goes at the next retention
    await audit(db, { at: new Date(), actor: 'sync', action: 'run.finished', dfeNumber: here.dfeNumber, runId: 'r1' });
    const watcher = await addSubscriber(db, {
      name: 'W',
      url: 'https://w.example.org/',
      events: ['run.finished'],
      scope: { laCode: '209' },
      reports: ['students'],
    });
    await approvedAt(db, watcher.id, [here.dfeNumber]);
    await audit(db, {
      at: new Date(Date.now() + 1000),
      actor: 'sync',
      action: 'run.finished',
      dfeNumber: here.dfeNumber,
      runId: 'r2',
    });
    await fanOut(db, { settleMs: 0, now: new Date(Date.now() + 2000) });
    expect(await deliveriesOf(db, watcher.id)).toHaveLength(1);
    await revokeSubscriber(db, watcher.id);
    const kept = await runRetention(db, { exportKeepNights: 5, runOutcomeKeepDays: 400, revokeGraceDays: 30 });
    expect(kept.revokedSubscriberEvents).toBe(1);
    expect(await deliveriesOf(db, watcher.id)).toEqual([]);
  });
});

describe('a queue with gaps', () => {
  it('an event erased while it waited is never sent; delivery passes over the gap and goes on in order', async () => {
    const db = ctx.store.db;
    const { insertAccounts } = await import('../../src/store/account-inserts.js');
    const { erasePerson } = await import('../../src/sync/erasure.js');
    const { linkedAccount, pupil, school } = await import('../helpers/people.js');
    const here = school('2092000');
    await upsertSchool(db, { dfeNumber: here.dfeNumber, name: 'S', laCode: '209', acceptedReports: ['students'] });
    const names = ['ann.first', 'bea.second', 'cai.third'];
    const accounts = names.map((u, i) =>
      linkedAccount(u, pupil({ legalForename: `P${i}`, legalSurname: 'Gap' }), here),
    );
    await insertAccounts(db, accounts);
    const r = await receiver();
    const sub = await addSubscriber(db, {
      name: 'gap',
      url: r.url,
      events: ['account.*'],
      scope: { laCode: '209' },
      reports: ['students'],
      allowHttp: true,
      allowPrivate: true,
    });
    await approvedAt(db, sub.id, [here.dfeNumber]);
    for (const username of names)
      await audit(db, {
        at: new Date(),
        actor: 'sync',
        action: 'account.created',
        dfeNumber: here.dfeNumber,
        username,
      });
    await fanOut(db, { settleMs: 0 });
    const queued = (await deliveriesOf(db, sub.id)).map((d) => d.event.id);
    await erasePerson(db, accounts[1]!, 'cli:dpo');
    await deliverEvents(db, { logger: captureLogger().logger });
    expect(r.ids).toEqual([queued[0], queued[2]]);
    expect((await deliveriesOf(db, sub.id)).map((d) => d.status)).toEqual(['sent', 'sent']);
    expect(await deliverEvents(db, { logger: captureLogger().logger })).toEqual({ sent: 0, failed: 0 });
  });
});

describe('fan-out lag', () => {
  it("says in the LA admins' digest when events are over an hour behind", async () => {
    const db = ctx.store.db;
    const { grantRole } = await import('../../src/bot/access.js');
    const { queueLaDigests } = await import('../../src/bot/notify.js');
    await upsertSchool(db, { dfeNumber: '2092000', name: 'S', laCode: '209', acceptedReports: ['students'] });
    await grantRole(db, { platform: 'cli', userId: 'ops', displayName: 'ops' }, '2092000', 'slack:T8:ULA', 'la');
    await db
      .collection('globals')
      .replaceOne(
        { _id: 'outbound:cursor' as never },
        { entryId: '0'.repeat(24), at: new Date(), lagSeconds: 7200 },
        { upsert: true },
      );
    expect(await queueLaDigests(db, '2026-12-01')).toBe(1);
    const digest = await db.collection('outbox').findOne({ _id: 'digest:2026-12-01:slack:T8:ULA' as never });
    expect(digest?.message.text).toContain('events to the services that trust USO are 2 h behind');
  });
});
