// Outbound events over a whole night: a generated LA's first night (every account created), fanned out and delivered
// to one LA-scoped subscriber whose receiver verifies each delivery with the published `standardwebhooks` library
// (not this project's code) and records what it was sent; then a night with leavers. Figures: events delivered per
// second beside the audit entries the night wrote per second, the fan-out's rate, and whether every account.created
// (and every leaver's account.unallocated) arrived exactly once and in order.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Store } from '../src/store/index.js';
import { addSubscriber, getSubscriber } from '../src/store/subscribers.js';
import { preApprove } from '../src/sync/sharing.js';
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

/**
 * The subscriber's receiver (bench/receiver.mjs) in a process of its own, so its work is not counted against the
 * delivery loop's: it verifies every delivery with the published `standardwebhooks` library.
 */
async function verifyingReceiver(secret: string) {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./receiver.mjs', import.meta.url)), secret], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  const url = line.toString('utf8').trim();
  const ask = async <T>(path: string) => (await (await fetch(new URL(path, url))).json()) as T;
  return {
    url,
    received: () => ask<Received[]>('/received'),
    refused: async () => (await ask<{ refused: number }>('/refused')).refused,
    close: async () => {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
    },
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
  /** Leavers the second night's exports had. */
  leavers: number;
  unallocationsAudited: number;
  unallocationsReceived: number;
  /** From the night's last write to its last event received, the settle window aside. */
  drainSeconds: number;
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
  // the LA pre-approves it, as every school allows by default
  await preApprove(db, (await getSubscriber(db, sub.id))!, 'bench');
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
    const first = await receiver.received();
    const createdIds = first.filter((e) => e.type === 'account.created').map((e) => e.id);
    const order = first.map((e) => `${e.occurredAt}|${e.id}`);
    const outOfOrder = order.filter((k, i) => i > 0 && k < order[i - 1]!).length;
    // a night with leavers (and pupils moving school): every unallocation the night audits arrives as an event
    const changes = ageOneNight(la);
    const leavers = changes.filter((c) => c.kind === 'leaver' || c.kind === 'staff_leaver').length;
    const unallocatedBefore = await db.collection('audit').countDocuments({ action: 'account.unallocated' });
    const before = first.length;
    for (const sc of la.schools)
      await syncSchool({ db, logger }, sc.dfeNumber, {
        trigger: 'file',
        file: exportOf(sc, `${la.today}T18:00:00Z`),
        today: la.today,
      });
    await fanOut(db, { settleMs: 0, budgetMs: 3600_000 });
    for (let pass = 0; pass < 1000; pass++) if ((await deliverEvents(db, { logger })).sent === 0) break;
    const unallocationsAudited =
      (await db.collection('audit').countDocuments({ action: 'account.unallocated' })) - unallocatedBefore;
    const unallocated = (await receiver.received())
      .slice(before)
      .filter((e) => e.type === 'account.unallocated').length;
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
      refused: await receiver.refused(),
      leavers,
      unallocationsAudited,
      unallocationsReceived: unallocated,
      drainSeconds: fanOutSeconds + deliverSeconds,
    };
  } finally {
    await receiver.close();
    await db.dropDatabase().catch(() => {});
  }
}
