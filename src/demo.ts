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
import { nextSteps, stageSecondNight } from './demo-story.js';

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
  const nameOf = (dfe: string) => la.schools.find((s) => s.dfeNumber === dfe)!.name;
  const first = await runNight(
    deps,
    la.schools.map((s) => s.dfeNumber),
    la.today,
    config.SYNC_CONCURRENCY,
  );
  process.stdout.write(
    `\nFirst night: ${first.runs.length} schools (${granted.length} grants discovered) in ${first.seconds}s. Everyone gets an account:\n${nightTable(first.runs, nameOf)}\n`,
  );
  const staged = stageSecondNight(la);
  const second = await runNight(
    deps,
    la.schools.map((s) => s.dfeNumber),
    la.today,
    config.SYNC_CONCURRENCY,
  );
  process.stdout.write(
    `\nSecond night (${la.today}) in ${second.seconds}s: leavers, starters, a move between schools, a look-alike, a bad record:\n${nightTable(second.runs, nameOf)}\n\n${nextSteps(second.runs, staged).join('\n')}\n`,
  );
  for (const f of [...first.failures, ...second.failures]) process.stdout.write(`failed ${f}\n`);
  process.stdout.write(
    [
      '',
      `Serving ${service.url}: open it in a browser (what this is, health, the API document, metrics). The nightly schedule is registered for every school.`,
      'Run the commands above in another terminal (same directory: the CLI joins this store). Ctrl-C stops the service and the embedded store.',
      '',
    ].join('\n'),
  );
  stopOnSignals(logger, async () => {
    simServer.close();
    await service.stop();
  });
}

/** One night: every school exported and processed, a few at a time. */
async function runNight(
  deps: Parameters<typeof syncSchool>[0],
  schools: string[],
  today: string,
  concurrency: number,
): Promise<{ runs: RunSummary[]; failures: string[]; seconds: string }> {
  const progress = progressBar(schools.length, true);
  const runs: RunSummary[] = [];
  const failures: string[] = [];
  const queue = [...schools];
  const worker = async () => {
    for (let dfe = queue.shift(); dfe; dfe = queue.shift()) {
      try {
        runs.push(await syncSchool(deps, dfe, { trigger: 'force', today }));
      } catch (err) {
        failures.push(`${dfe}: ${(err as Error).message}`);
      }
      progress.tick(dfe);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  progress.done();
  return { runs, failures, seconds: ((performance.now() - started) / 1000).toFixed(1) };
}

const COLUMNS = [
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

function nightTable(runs: RunSummary[], nameOf: (dfe: string) => string): string {
  const rows = [...runs]
    .sort((a, b) => a.dfeNumber.localeCompare(b.dfeNumber))
    .map((r) => [
      r.dfeNumber,
      nameOf(r.dfeNumber),
      ...COLUMNS.map((c) => String((r.counts as Record<string, number>)[c] ?? 0)),
    ]);
  return table([['DFE', 'SCHOOL', ...COLUMNS], ...rows]);
}

await main();
