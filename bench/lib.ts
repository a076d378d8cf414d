// What the benches share: an export file of a generated school, memory sampling, and the store's cost of a stretch
// of work counted from the driver's command monitoring.
import { BSON, type CommandStartedEvent, type CommandSucceededEvent, type MongoClient } from 'mongodb';
import { reportNames, type ExportFile } from '../src/domain/records.js';
import type { SimSchool } from '../src/sync/integris/sim/generator.js';

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

export function exportOf(school: SimSchool, exportedAt: string): ExportFile {
  const file: ExportFile = {
    dfeNumber: school.dfeNumber,
    exportedAt,
    source: 'integris',
    reports: {},
    completeness: {},
  };
  for (const r of reportNames) {
    file.reports[r] = school[r];
    file.completeness[r] = { totalRecords: school[r].length, pages: Math.ceil(school[r].length / 500) };
  }
  return file;
}

/**
 * What a stretch of work costs the store, whatever the store's speed: commands sent, documents returned and bytes
 * both ways (BSON sizes of commands and replies), from the driver's command monitoring.
 */
export function storeCost(client: MongoClient) {
  let commands = 0;
  let docs = 0;
  let bytes = 0;
  const started = (e: CommandStartedEvent) => {
    commands++;
    bytes += BSON.calculateObjectSize(e.command);
  };
  const succeeded = (e: CommandSucceededEvent) => {
    const reply = e.reply as { cursor?: { firstBatch?: unknown[]; nextBatch?: unknown[] } } | undefined;
    docs += (reply?.cursor?.firstBatch?.length ?? 0) + (reply?.cursor?.nextBatch?.length ?? 0);
    bytes += BSON.calculateObjectSize((e.reply ?? {}) as Record<string, unknown>);
  };
  client.on('commandStarted', started);
  client.on('commandSucceeded', succeeded);
  return {
    take() {
      const taken = { commands, docs, bytes };
      commands = docs = bytes = 0;
      return taken;
    },
    stop() {
      client.off('commandStarted', started);
      client.off('commandSucceeded', succeeded);
    },
  };
}
