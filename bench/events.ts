// Outbound events over a whole night: a generated LA's first night (every account created), fanned out and delivered
// to one LA-scoped subscriber whose receiver verifies each delivery with the published `standardwebhooks` library
// (not this project's code) and records what it was sent; then a night with leavers. Figures: events delivered per
// second beside the audit entries the night wrote per second, the fan-out's rate, and whether every account.created
// (and every leaver's account.unallocated) arrived exactly once and in order.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { Store } from '../src/store/index.js';
import { addSubscriber } from '../src/store/subscribers.js';
import { ageOneNight } from '../src/sync/integris/sim/generator.js';
import { deliverEvents, fanOut } from '../src/sync/outbound.js';
import { syncSchool } from '../src/sync/process.js';
import type { Logger } from '../src/log.js';
import { exportOf, laInFreshDatabase } from './lib.js';

interface Received {
  id: string;
  type: string;
  occurredAt: string;
  username?: string;
}

/** A receiver verifying Standard Webhooks signatures with the published library; counts what it could not verify. */
async function verifyingReceiver(secret: string) {
  const webhook = new Webhook(secret);
  const received: Received[] = [];
  let refused = 0;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      try {
        const e = webhook.verify(body, req.headers as Record<string, string>) as {
          id: string;
          type: string;
          occurredAt: string;
          data: { account?: { username: string } };
        };
        received.push({ id: e.id, type: e.type, occurredAt: e.occurredAt, username: e.data.account?.username });
        res.writeHead(200).end();
      } catch {
        refused++;
        res.writeHead(401).end();
      }
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    received,
    refused: () => refused,
    close: () => new Promise((ok) => server.close(ok)),
  };
}

export interface EventFigures {
  people: number;
  auditEntries: number;
  auditPerSecond: number;
  fanOutPerSecond: number;
  deliveredPerSecond: number;
  delivered: number;
  createdExpected: number;
  createdReceivedOnce: number;
  duplicates: number;
  outOfOrder: number;
  refused: number;
  leaversExpected: number;
  leaversReceived: number;
}

export async function eventsNight(root: Store, size: number, logger: Logger): Promise<EventFigures> {
  const { store, la, people } = await laInFreshDatabase(root, 'bench_events', size);
  const db = store.db;
  const sub = await addSubscriber(db, {
    name: 'bench receiver',
    url: 'http://127.0.0.1/',
    events: ['account.*'],
    scope: { laCode: la.laCode },
    reports: ['students', 'staff'],
    allowHttp: true,
    allowPrivate: true,
  });
  const receiver = await verifyingReceiver(sub.secret);
  await db.collection('subscribers').updateOne({ _id: sub.id as never }, { $set: { url: receiver.url } });
  try {
    const auditBefore = await db.collection('audit').countDocuments();
    let t = performance.now();
    let created = 0;
    for (const sc of la.schools) {
      const run = await syncSchool({ db, logger }, sc.dfeNumber, {
        trigger: 'file',
        file: exportOf(sc, `${la.today}T18:00:00Z`),
        today: la.today,
      });
      created += run.counts.created ?? 0;
    }
    const nightSeconds = (performance.now() - t) / 1000;
    const auditEntries = (await db.collection('audit').countDocuments()) - auditBefore;
    t = performance.now();
    const queued = await fanOut(db, { settleMs: 0, budgetMs: 3600_000 });
    const fanOutSeconds = (performance.now() - t) / 1000;
    t = performance.now();
    let delivered = 0;
    for (let pass = 0; pass < 10_000; pass++) {
      const { sent, failed } = await deliverEvents(db, { logger });
      delivered += sent;
      if (sent === 0 || failed) break;
    }
    const deliverSeconds = (performance.now() - t) / 1000;
    const first = [...receiver.received];
    const createdIds = first.filter((e) => e.type === 'account.created').map((e) => e.id);
    const order = first.map((e) => `${e.occurredAt}|${e.id}`);
    const outOfOrder = order.filter((k, i) => i > 0 && k < order[i - 1]!).length;
    // a night with leavers: each arrives as account.unallocated
    const changes = ageOneNight(la);
    const leavers = changes.filter((c) => c.kind === 'leaver' || c.kind === 'staff_leaver').length;
    const before = receiver.received.length;
    for (const sc of la.schools)
      await syncSchool({ db, logger }, sc.dfeNumber, {
        trigger: 'file',
        file: exportOf(sc, `${la.today}T18:00:00Z`),
        today: la.today,
      });
    await fanOut(db, { settleMs: 0, budgetMs: 3600_000 });
    for (let pass = 0; pass < 1000; pass++) if ((await deliverEvents(db, { logger })).sent === 0) break;
    const unallocated = receiver.received.slice(before).filter((e) => e.type === 'account.unallocated').length;
    return {
      people,
      auditEntries,
      auditPerSecond: auditEntries / nightSeconds,
      fanOutPerSecond: queued / fanOutSeconds,
      deliveredPerSecond: delivered / deliverSeconds,
      delivered,
      createdExpected: created,
      createdReceivedOnce: new Set(createdIds).size,
      duplicates: createdIds.length - new Set(createdIds).size,
      outOfOrder,
      refused: receiver.refused(),
      leaversExpected: leavers,
      leaversReceived: unallocated,
    };
  } finally {
    await receiver.close();
    await db.dropDatabase().catch(() => {});
  }
}
