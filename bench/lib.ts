// What the benches share: an export file of a generated school, memory sampling, and the store's cost of a stretch
// of work counted from the driver's command monitoring.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BSON, type CommandStartedEvent, type CommandSucceededEvent, type MongoClient } from 'mongodb';
import { reportNames } from '../src/domain/records.js';
import { ensureLookalikeIndex, ensureRosters } from '../src/store/account-scans.js';
import { ensureIndexes, openStore, storeFrom, type Store } from '../src/store/index.js';
import type { Logger } from '../src/log.js';
import { upsertSchool } from '../src/store/schools.js';
import { generateLocalAuthority } from '../src/sync/integris/sim/generator.js';
import { type SimLocalAuthority } from '../src/sync/integris/sim/types.js';

/** The store a bench runs on: MongoDB when MONGODB_URI is set, else an embedded one in a temporary folder. */
export async function openBenchStore(logger: Logger): Promise<{ store: Store; close(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'uso-bench-'));
  const store = await openStore({
    uri: process.env.MONGODB_URI,
    dbName: 'uso_bench',
    dataDir,
    timeoutMs: 10_000,
    logger,
  });
  return {
    store,
    async close() {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A generated LA of about `size` people (schools of about 600; generated from `seed`, by default the size) in a
 * fresh database of its own, its schools known and accepting every report. The caller drops the database.
 */
export async function laInFreshDatabase(
  root: Pick<Store, 'client' | 'kind'>,
  prefix: string,
  size: number,
  seed = size,
): Promise<{ store: Store; la: SimLocalAuthority; people: number }> {
  const db = root.client.db(`${prefix}_${size}_${randomBytes(3).toString('hex')}`);
  await ensureIndexes(db, root.kind);
  await ensureRosters(db);
  await ensureLookalikeIndex(db);
  const store = storeFrom(root.client, db, root.kind);
  const la = generateLocalAuthority({ seed, schools: Math.max(1, Math.round(size / 600)) });
  const people = la.schools.reduce((n, sc) => n + sc.students.length + sc.staff.length, 0);
  for (const sc of la.schools)
    await upsertSchool(db, {
      dfeNumber: sc.dfeNumber,
      name: sc.name,
      laCode: sc.laCode,
      acceptedReports: [...reportNames],
    });
  return { store, la, people };
}

/** Samples RSS and heap while work runs. */
export async function measured<T>(
  work: () => Promise<T>,
): Promise<{ result: T; seconds: number; peakRss: number; peakHeap: number }> {
  let peakRss = process.memoryUsage().rss;
  let peakHeap = process.memoryUsage().heapUsed;
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 25);
  const started = performance.now();
  try {
    const result = await work();
    return { result, seconds: (performance.now() - started) / 1000, peakRss, peakHeap };
  } finally {
    clearInterval(timer);
  }
}

export { exportOf } from '../src/sync/integris/sim/export-file.js';

/**
 * What a stretch of work costs the store, whatever the store's speed: commands sent, documents returned and bytes
 * both ways (BSON sizes of commands and replies), from the driver's command monitoring. With `later`, sizes are
 * worked out when the figures are taken, so measuring them does not slow the work being timed (the commands and
 * replies are held till then: for short stretches, not for a night whose memory is measured).
 */
export function storeCost(client: MongoClient, options: { later?: boolean } = {}) {
  let commands = 0;
  let docs = 0;
  let bytes = 0;
  let seen: object[] = [];
  const size = (d: object) => {
    if (options.later) seen.push(d);
    else bytes += BSON.calculateObjectSize(d as Record<string, unknown>);
  };
  const started = (e: CommandStartedEvent) => {
    commands++;
    size(e.command);
  };
  const succeeded = (e: CommandSucceededEvent) => {
    const reply = e.reply as { cursor?: { firstBatch?: unknown[]; nextBatch?: unknown[] } } | undefined;
    docs += (reply?.cursor?.firstBatch?.length ?? 0) + (reply?.cursor?.nextBatch?.length ?? 0);
    size((e.reply ?? {}) as object);
  };
  client.on('commandStarted', started);
  client.on('commandSucceeded', succeeded);
  return {
    take() {
      for (const d of seen) bytes += BSON.calculateObjectSize(d as Record<string, unknown>);
      const taken = { commands, docs, bytes };
      commands = docs = bytes = 0;
      seen = [];
      return taken;
    },
    stop() {
      client.off('commandStarted', started);
      client.off('commandSucceeded', succeeded);
    },
  };
}
