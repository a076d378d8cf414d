// Prometheus metrics (prom-client) for operators. Counters and histograms for what happens in this process (runs,
// records, HTTP requests by route and status, store command latency) live in one process-wide registry; what the
// store knows (schools by their latest run, held changes pending, outbox depth) is read from it when scraped. Labels
// carry outcomes, statuses and routes only: never a school's pupils, and no DfE numbers (a bounded label set).
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { MongoClient } from 'mongodb';

export const processRegistry = new Registry();

const runs = new Counter({
  name: 'uso_runs_total',
  help: 'School runs finished, by status',
  labelNames: ['status', 'trigger'] as const,
  registers: [processRegistry],
});
const runDuration = new Histogram({
  name: 'uso_run_duration_seconds',
  help: 'How long a school run took, from lease to finish',
  labelNames: ['status'] as const,
  buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900],
  registers: [processRegistry],
});
const records = new Counter({
  name: 'uso_run_records_total',
  help: 'MIS records processed by runs, by outcome',
  labelNames: ['outcome'] as const,
  registers: [processRegistry],
});
const httpRequests = new Counter({
  name: 'uso_http_requests_total',
  help: 'HTTP requests answered, by route and status',
  labelNames: ['route', 'status'] as const,
  registers: [processRegistry],
});
const storeLatency = new Histogram({
  name: 'uso_store_command_duration_seconds',
  help: 'Store command round trips, by command and result',
  labelNames: ['command', 'result'] as const,
  buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
  registers: [processRegistry],
});

export function recordRun(run: {
  status: string;
  trigger: string;
  seconds: number;
  counts?: Record<string, number>;
}): void {
  runs.inc({ status: run.status, trigger: run.trigger });
  runDuration.observe({ status: run.status }, run.seconds);
  for (const [outcome, n] of Object.entries(run.counts ?? {})) if (n) records.inc({ outcome }, n);
}

/** The routes requests are counted under: known ones by name, everything else as `other` (a bounded label set). */
const knownRoutes = [
  '/webhooks/integris',
  '/slack/events',
  '/slack/install',
  '/slack/oauth_redirect',
  '/api/messages',
  '/healthz',
  '/readyz',
  '/metrics',
];

export function recordRequest(path: string, status: number): void {
  const route = knownRoutes.includes(path) ? path : path.startsWith('/api/v1/') ? '/api/v1' : 'other';
  httpRequests.inc({ route, status: String(status) });
}

/** Times every command the client sends (the driver's command monitoring must be on). */
export function monitorStore(client: MongoClient): void {
  client.on('commandSucceeded', (e) =>
    storeLatency.observe({ command: e.commandName, result: 'ok' }, e.duration / 1000),
  );
  client.on('commandFailed', (e) =>
    storeLatency.observe({ command: e.commandName, result: 'error' }, e.duration / 1000),
  );
}

/** What the store-backed gauges read when scraped (the store's own queries: this module reads no collection). */
export interface StoreFigures {
  /** Schools by the status of their latest run in a recent window ('none': no run in it). */
  schoolsByLastRun(): Promise<Record<string, number>>;
  heldChangesPending(): Promise<{ unallocation: number; update: number }>;
  outboxCounts(): Promise<{ pending: number; failed: number }>;
}

/** How far the outbound events' cursor was left behind the newest audit entry at its last pass (0: caught up). */
export const fanOutLag = new Gauge({
  name: 'uso_events_fanout_lag_seconds',
  help: 'Seconds between the newest settled audit entry and the outbound events cursor after the last fan-out pass',
  registers: [processRegistry],
});

/** A registry for one app: the process-wide metrics and gauges read from its store when scraped. */
export function appRegistry(figures: StoreFigures): Registry {
  const fromStore = new Registry();
  new Gauge({
    name: 'uso_schools',
    help: 'Schools known, by the status of their latest run in the last 8 days (none: no run in that time)',
    labelNames: ['last_run'] as const,
    registers: [fromStore],
    async collect() {
      this.reset();
      for (const [status, n] of Object.entries(await figures.schoolsByLastRun())) this.set({ last_run: status }, n);
    },
  });
  new Gauge({
    name: 'uso_held_changes_pending',
    help: 'Unallocations and updates held for an approval that has not come yet',
    labelNames: ['kind'] as const,
    registers: [fromStore],
    async collect() {
      const held = await figures.heldChangesPending();
      this.set({ kind: 'unallocation' }, held.unallocation);
      this.set({ kind: 'update' }, held.update);
    },
  });
  new Gauge({
    name: 'uso_outbox_messages',
    help: 'Chat messages in the outbox, by status (pending: waiting to be delivered; failed: given up)',
    labelNames: ['status'] as const,
    registers: [fromStore],
    async collect() {
      const counts = await figures.outboxCounts();
      this.set({ status: 'pending' }, counts.pending);
      this.set({ status: 'failed' }, counts.failed);
    },
  });
  return Registry.merge([processRegistry, fromStore]);
}
