// `npm run demo`: the whole service on its embedded defaults against a simulated local authority. Starts the
// embedded store, an Integris simulator on a loopback port (signing webhooks to this service), the scheduler and
// the server; runs a first sync of every school, prints a summary, and keeps serving until Ctrl-C.
import { getSchool, updateSchool } from './store/schools.js';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { serve } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { progressBar } from './cli/progress.js';
import { table } from './cli/table.js';
import { configOrExit, startOrExit, stopOnSignals } from './entry.js';
import { createLogger } from './log.js';
import { integrisClient } from './connections.js';
import { todayIn } from './domain/dates.js';
import { generateLocalAuthority } from './sync/integris/sim/generator.js';
import { createSimulator } from './sync/integris/sim/simulator.js';
import { syncSchool, type RunSummary } from './sync/process.js';

const argsSchema = z.object({
  schools: z.coerce.number({ error: 'expected a number of schools' }).int().min(1).max(200).default(6),
  seed: z.coerce.number({ error: 'expected a whole number' }).int().default(1),
});

async function main(): Promise<void> {
  const parsed = argsSchema.safeParse(
    parseArgs({ options: { schools: { type: 'string' }, seed: { type: 'string' } } }).values,
  );
  if (!parsed.success) {
    process.stderr.write(
      `${parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n')}\nUsage: npm run demo -- [--schools N] [--seed N]\n`,
    );
    process.exit(2);
  }
  const args = parsed.data;
  let config = configOrExit();
  const today = todayIn(config.TZ);
  const la = generateLocalAuthority({ seed: args.seed, schools: args.schools, today });
  const webhookSecret = randomBytes(24).toString('hex');
  // The simulator is told the service's URL once the service listens.
  const webhook = { url: '', secrets: [webhookSecret] };
  const sim = createSimulator({ la, webhook });
  const simServer = await new Promise<Server>((ok) => {
    const s = serve({ fetch: sim.app.fetch, port: 0, hostname: '127.0.0.1' }, () => ok(s as Server));
  });
  const simUrl = `http://127.0.0.1:${(simServer.address() as AddressInfo).port}/`;
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'warn' });
  config = {
    ...config,
    INTEGRIS_BASE_URL: simUrl,
    INTEGRIS_CLIENT_ID: 'demo',
    INTEGRIS_CLIENT_SECRET: 'demo',
    INTEGRIS_WEBHOOK_SECRETS: [webhookSecret],
  };
  const service = await startOrExit(config, logger);
  webhook.url = `${service.url}/webhooks/integris`;
  process.stdout.write(
    `uso-autoupdate demo: ${la.schools.length} simulated schools of LA ${la.laCode}, store: ${service.store.kind}, serving ${service.url}\n`,
  );

  const { granted } = await service.scheduler.discover();
  // the demo's operator pre-accepts what each school shares, as `uso schools set` does (a head accepts it in chat)
  for (const dfeNumber of granted) {
    const school = await getSchool(service.store.db, dfeNumber);
    if (school?.grant.permissions)
      await updateSchool(service.store.db, dfeNumber, { acceptedReports: school.grant.permissions });
  }
  const deps = { db: service.store.db, logger, integris: integrisClient(config, logger), timeZone: config.TZ };
  const progress = progressBar(la.schools.length, true);
  const runs: RunSummary[] = [];
  const failures: string[] = [];
  const queue = la.schools.map((s) => s.dfeNumber);
  const worker = async () => {
    for (let dfe = queue.shift(); dfe; dfe = queue.shift()) {
      try {
        runs.push(await syncSchool(deps, dfe, { trigger: 'force' }));
      } catch (err) {
        failures.push(`${dfe}: ${(err as Error).message}`);
      }
      progress.tick(dfe);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: config.SYNC_CONCURRENCY }, worker));
  progress.done();
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const columns = [
    'created',
    'updated',
    'unchanged',
    'auto_matched',
    'held_for_matching',
    'future_starter',
    'unallocated',
    'held_unallocation',
    'invalid',
  ] as const;
  const rows = runs
    .sort((a, b) => a.dfeNumber.localeCompare(b.dfeNumber))
    .map((r) => [
      r.dfeNumber,
      la.schools.find((s) => s.dfeNumber === r.dfeNumber)!.name,
      ...columns.map((c) => String((r.counts as Record<string, number>)[c] ?? 0)),
    ]);
  const header = ['DFE', 'SCHOOL', ...columns];
  process.stdout.write(
    `\nFirst sync of ${runs.length} schools (${granted.length} grants discovered) in ${seconds}s:\n${table([header, ...rows])}\n`,
  );
  for (const f of failures) process.stdout.write(`failed ${f}\n`);
  process.stdout.write(
    [
      '',
      `Serving ${service.url} (GET /readyz, POST /webhooks/integris, GET /api/v1/openapi.json). The nightly schedule is registered for every school.`,
      `In another terminal (same DATA_DIR): npm run uso -- status   |   npm run uso -- matches ${la.schools[0]!.dfeNumber}`,
      'Ctrl-C stops the service and the embedded store.',
      '',
    ].join('\n'),
  );
  stopOnSignals(logger, async () => {
    simServer.close();
    await service.stop();
  });
}

await main();
