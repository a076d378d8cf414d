// Outbound events and the read API, end to end on the test store: the example receiver (examples/) verifies every
// delivery's signature; a flaky subscriber is retried until it answers; keys are scoped, revocable and minimal.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { auditEntries } from '../../src/store/audit.js';
import { createApp, loggedPath } from '../../src/app.js';
import { apiRoutes } from '../../src/api/index.js';
import { upsertSchool } from '../../src/store/schools.js';
import { addSubscriber, revokeSubscriber } from '../../src/store/subscribers.js';
import { approvedAt } from '../helpers/sharing.js';
import { deliveriesOf } from '../../src/store/deliveries.js';
import { generateLocalAuthority } from '../../src/sync/integris/sim/generator.js';
import { deliverEvents, fanOut } from '../../src/sync/outbound.js';
import { syncSchool } from '../../src/sync/process.js';
import type { ExportFile } from '../../src/domain/records.js';
import { uso } from '../helpers/cli.js';
import { captureLogger } from '../helpers/log.js';
import { grantRole } from '../../src/bot/access.js';
import { queueLaDigests } from '../../src/bot/notify.js';
import { useTestStore } from '../helpers/store.js';

const ctx = useTestStore();
const la = generateLocalAuthority({ seed: 31, schools: 2, sizeFactor: 0.2, laCode: '874' });
const [a, b] = la.schools as [(typeof la.schools)[0], (typeof la.schools)[0]];
const children: ChildProcess[] = [];
const servers: Server[] = [];

afterAll(() => {
  for (const c of children) c.kill();
  for (const s of servers) s.close();
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  const { port } = s.address() as AddressInfo;
  await new Promise((ok) => s.close(ok));
  return port;
}

/** The example receiver, run as a service would run it; resolves to the verified events it prints. */
async function startReceiver(
  secret: string,
): Promise<{ url: string; events: () => { id: string; type: string; dfeNumber: string; data: any }[] }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['examples/event-receiver.mjs'], {
    env: { ...process.env, USO_SECRETS: secret, PORT: String(port) },
  });
  children.push(child);
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  await new Promise<void>((ok) => child.stderr.once('data', () => ok()));
  return {
    url: `http://127.0.0.1:${port}/events`,
    events: () =>
      out
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
  };
}

const file = (school: typeof a, students = school.students, at = `${la.today}T18:00:00Z`): ExportFile => ({
  dfeNumber: school.dfeNumber,
  exportedAt: at,
  source: 'integris',
  reports: { students, staff: school.staff, groups: school.groups },
  completeness: {},
});

describe('outbound events and the read API', () => {
  it('delivers signed events in order to the schools a subscriber is scoped to, retries a failing one, and serves scoped reads', async () => {
    const db = ctx.store.db;
    const logger = captureLogger().logger;
    for (const s of [a, b])
      await upsertSchool(db, {
        dfeNumber: s.dfeNumber,
        name: s.name,
        laCode: s.laCode,
        acceptedReports: ['students', 'staff', 'groups'],
      });
    // A's service hears about A's pupils and staff; B's only about B, through a server that fails once
    const subA = await addSubscriber(db, {
      allowHttp: true,
      allowPrivate: true,
      name: 'learning platform',
      url: 'http://placeholder',
      events: ['account.*'],
      scope: { schools: [a.dfeNumber] },
      reports: ['students', 'staff'],
    });
    await approvedAt(db, subA.id, [a.dfeNumber]);
    const receiver = await startReceiver(subA.secret);
    await db.collection('subscribers').updateOne({ _id: subA.id as never }, { $set: { url: receiver.url } });
    const seenByB: { id: string; status: number }[] = [];
    const flaky = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const id = (JSON.parse(body) as { id: string }).id;
        const status = seenByB.length === 0 ? 500 : 200;
        seenByB.push({ id, status });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((ok) => flaky.listen(0, '127.0.0.1', ok));
    servers.push(flaky);
    const subB = await addSubscriber(db, {
      allowHttp: true,
      allowPrivate: true,
      name: 'b messaging',
      url: `http://127.0.0.1:${(flaky.address() as AddressInfo).port}/`,
      events: ['account.*', 'run.finished'],
      scope: { schools: [b.dfeNumber] },
      reports: ['students'],
    });
    await approvedAt(db, subB.id, [b.dfeNumber]);

    // night 1: everyone is created; night 2: one of A's pupils has left
    const leaver = a.students[0]!;
    const first = [];
    for (const s of [a, b])
      first.push(await syncSchool({ db, logger }, s.dfeNumber, { trigger: 'file', file: file(s), today: la.today }));
    await fanOut(db, { settleMs: 0 });
    let clock = new Date();
    const deliver = () => deliverEvents(db, { logger, now: () => clock, random: () => 0.5 });
    await deliver();
    const between = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    await syncSchool({ db, logger }, a.dfeNumber, {
      trigger: 'file',
      file: file(a, a.students.slice(1), `${la.today}T19:00:00Z`),
      today: la.today,
    });
    await fanOut(db, { settleMs: 0 });
    await deliver();
    // the receiver got (and verified) A's events, in order: the leaver created, then unallocated
    const events = receiver.events();
    const username = events.find(
      (e) =>
        e.type === 'account.created' &&
        e.data.account.legalSurname === leaver.legalSurname &&
        e.data.account.legalForename === leaver.legalForename,
    )!.data.account.username;
    const about = events.filter((e) => e.data.account?.username === username).map((e) => e.type);
    expect(about).toEqual(['account.created', 'account.unallocated']);
    expect(events.every((e) => e.dfeNumber === a.dfeNumber)).toBe(true);
    expect(events.filter((e) => e.type === 'account.created')).toHaveLength(first[0]!.counts.created);
    // data minimisation: group membership is not sent to a subscriber that did not get the groups report
    expect(events.some((e) => JSON.stringify(e).includes('"groups"'))).toBe(false);

    // B's subscriber heard nothing of A; its first delivery failed and was retried once it was due, then all went
    expect(seenByB[0]).toMatchObject({ status: 500 });
    expect(seenByB.filter((x) => x.status === 200)).toHaveLength(0);
    clock = new Date(clock.getTime() + 60 * 60_000);
    await deliver();
    const ok = seenByB.filter((x) => x.status === 200).map((x) => x.id);
    expect(ok[0]).toBe(seenByB[0]!.id); // the failed event first: order is kept
    expect(new Set(ok).size).toBe(ok.length); // each delivered once
    const queued = await deliveriesOf(db, subB.id);
    expect(queued.every((d) => d.status === 'sent' && d.event.dfeNumber === b.dfeNumber)).toBe(true);
    expect(ok).toHaveLength(queued.length);
    expect(queued.some((d) => d.event.type === 'run.finished')).toBe(true);
    // students only: no staff account of B was sent
    const created = queued.filter((d) => d.event.type === 'account.created');
    expect(created.length).toBeGreaterThan(0);
    expect(created.every((d) => (d.event.data.account as { kind: string }).kind === 'pupil')).toBe(true);

    // the read API: A's key reads A's changes since night 1, not B; contacts (not accepted) are 404; revoked is 401
    const app = createApp({ store: ctx.store, logger, routes: [apiRoutes({ db })] });
    const get = (path: string, key = subA.apiKey) => app.request(path, { headers: { authorization: `Bearer ${key}` } });
    const changed = await get(`/api/v1/schools/${a.dfeNumber}/accounts?updatedSince=${encodeURIComponent(between)}`);
    expect(changed.status).toBe(200);
    const body = (await changed.json()) as { accounts: { username: string; status: string }[]; next: string | null };
    expect(body.accounts.map((x) => x.username)).toEqual([username]);
    expect(body.accounts[0]!.status).toBe('unallocated');
    const all = (await (await get(`/api/v1/schools/${a.dfeNumber}/accounts?limit=500`)).json()) as {
      accounts: unknown[];
    };
    expect(all.accounts).toHaveLength(await db.collection('accounts').countDocuments({ schools: a.dfeNumber }));
    const paged = (await (await get(`/api/v1/schools/${a.dfeNumber}/accounts?limit=10`)).json()) as { next: string };
    const second = (await (
      await get(`/api/v1/schools/${a.dfeNumber}/accounts?limit=10&after=${paged.next}`)
    ).json()) as {
      accounts: { username: string }[];
    };
    expect(second.accounts[0]!.username > paged.next).toBe(true);
    expect((await get(`/api/v1/schools/${a.dfeNumber}/accounts/${username}`)).status).toBe(200);
    expect((await get(`/api/v1/schools/${b.dfeNumber}/accounts`)).status).toBe(403);
    expect((await get(`/api/v1/schools/${a.dfeNumber}/contacts`)).status).toBe(404);
    expect((await get(`/api/v1/schools/${a.dfeNumber}/groups`)).status).toBe(404); // this key has no groups report
    expect((await get(`/api/v1/schools/${a.dfeNumber}/accounts`, 'uso_not_a_key')).status).toBe(401);
    expect((await get(`/api/v1/schools/${a.dfeNumber}/accounts?limit=0`)).status).toBe(400);
    expect(
      await db.collection('audit').countDocuments({ action: 'api.read', actor: `api:${subA.id}` }),
    ).toBeGreaterThan(0);
    await revokeSubscriber(db, subA.id);
    expect((await get(`/api/v1/schools/${a.dfeNumber}/accounts`)).status).toBe(401);
    // the username in an API path never reaches the logs
    expect(loggedPath(`/api/v1/schools/${a.dfeNumber}/accounts/${username}`)).toBe(
      `/api/v1/schools/${a.dfeNumber}/accounts/:username`,
    );
    const doc = (await (await app.request('/api/v1/openapi.json')).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/schools/{dfeNumber}/accounts',
        '/schools/{dfeNumber}/accounts/{username}',
        '/schools/{dfeNumber}/contacts',
      ]),
    );
  });

  it('pauses a subscriber that keeps failing for a day, and says so in the LA digest', async () => {
    const db = ctx.store.db;
    const down = createServer((_req, res) => res.writeHead(503).end());
    await new Promise<void>((ok) => down.listen(0, '127.0.0.1', ok));
    servers.push(down);
    const sub = await addSubscriber(db, {
      allowHttp: true,
      allowPrivate: true,
      name: 'Staff mail',
      url: `http://127.0.0.1:${(down.address() as AddressInfo).port}/`,
      events: ['run.finished'],
      scope: { laCode: '874' },
      reports: ['staff'],
    });
    await approvedAt(db, sub.id, [b.dfeNumber]);
    await syncSchool({ db, logger: captureLogger().logger }, b.dfeNumber, {
      trigger: 'file',
      file: file(b, b.students, `${la.today}T20:00:00Z`),
      today: la.today,
    });
    await fanOut(db, { settleMs: 0 });
    let clock = new Date();
    const deliver = () => deliverEvents(db, { logger: captureLogger().logger, now: () => clock, random: () => 0.5 });
    expect((await deliver()).failed).toBe(1);
    clock = new Date(clock.getTime() + 25 * 3600_000);
    await deliver();
    expect((await db.collection('subscribers').findOne({ _id: sub.id as never }))?.pausedAt).toBeDefined();
    expect((await deliver()).failed).toBe(0); // paused: nothing more is tried
    await grantRole(db, { platform: 'cli', userId: 'ops', displayName: 'ops' }, b.dfeNumber, 'slack:T8:ULA', 'la');
    expect(await queueLaDigests(db, '2026-12-01')).toBe(1);
    const digest = await db.collection('outbox').findOne({ _id: 'digest:2026-12-01:slack:T8:ULA' as never });
    expect(digest?.message.text).toMatch(/event subscriber \*Staff mail\* is paused: deliveries failing since/);
  });

  it('limits each key to its rate, with Retry-After', async () => {
    const db = ctx.store.db;
    const sub = await addSubscriber(db, {
      allowHttp: true,
      allowPrivate: true,
      name: 'r',
      url: 'http://x',
      events: ['*'],
      scope: { laCode: '874' },
      reports: ['students'],
    });
    await approvedAt(db, sub.id, [a.dfeNumber]);
    const app = createApp({
      store: ctx.store,
      logger: captureLogger().logger,
      routes: [apiRoutes({ db, perMinute: 3 })],
    });
    const statuses = [];
    for (let i = 0; i < 5; i++)
      statuses.push(
        (
          await app.request(`/api/v1/schools/${a.dfeNumber}/groups`, {
            headers: { authorization: `Bearer ${sub.apiKey}` },
          })
        ).status,
      );
    expect(statuses).toEqual([404, 404, 404, 429, 429]);
  });

  it('audits refused reads, limits guessed keys, and rotates an API key alone', async () => {
    const db = ctx.store.db;
    const sub = await addSubscriber(db, {
      name: 'k',
      url: 'https://k.example.org/',
      events: ['*'],
      scope: { laCode: '874' },
      reports: ['students'],
    });
    await approvedAt(db, sub.id, [a.dfeNumber]);
    const app = createApp({
      store: ctx.store,
      logger: captureLogger().logger,
      routes: [apiRoutes({ db, perMinute: 3 })],
    });
    const get = (path: string, key: string) => app.request(path, { headers: { authorization: `Bearer ${key}` } });
    // outside its scope: 403, audited as a refusal naming the school and the status
    expect((await get('/api/v1/schools/3302000/accounts', sub.apiKey)).status).toBe(403);
    const [refusal] = await auditEntries(db, { action: 'api.refused' }, 1);
    expect(refusal).toMatchObject({ actor: `api:${sub.id}`, dfeNumber: '3302000', detail: 'HTTP 403' });
    // keys guessed at speed: 401 each, audited, then limited like any key
    const unknownBefore = (await auditEntries(db, { action: 'api.refused', actor: 'api:unknown' }, 100)).length;
    const guesses = [];
    for (let i = 0; i < 5; i++)
      guesses.push((await get(`/api/v1/schools/${a.dfeNumber}/accounts`, `uso_guess${i}`)).status);
    expect(guesses).toEqual([401, 401, 401, 429, 429]);
    expect((await auditEntries(db, { action: 'api.refused', actor: 'api:unknown' }, 100)).length - unknownBefore).toBe(
      3,
    );
    // a new key alone: the old one stops at once, the signing secret stays
    const before = (await db.collection('subscribers').findOne({ _id: sub.id as never }))?.secrets;
    process.env.MONGODB_URI = `${inject('mongoUri').replace(/\/?$/, '/')}${db.databaseName}`;
    try {
      const rotated = await uso('subscribers', 'rotate', sub.id, '--api-key', '--json');
      expect(rotated.code, rotated.err).toBe(0);
      const fresh = createApp({
        store: ctx.store,
        logger: captureLogger().logger,
        routes: [apiRoutes({ db, perMinute: 30 })],
      });
      const read = (key: string) =>
        fresh.request(`/api/v1/schools/${a.dfeNumber}/accounts`, { headers: { authorization: `Bearer ${key}` } });
      expect((await read(sub.apiKey)).status).toBe(401);
      expect((await read(rotated.json().apiKey)).status).not.toBe(401);
      expect((await db.collection('subscribers').findOne({ _id: sub.id as never }))?.secrets).toEqual(before);
    } finally {
      delete process.env.MONGODB_URI;
    }
  });
});
