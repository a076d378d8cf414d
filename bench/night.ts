// `npm run bench:night [-- --sizes 1000,10000,40000] [-- --query-plan mongodb]`: whole nights of a generated LA,
// school after school as the nightly job runs them: the first night (every account created), then an aged night
// (the generator's ageing: leavers, starters, renames, class moves, staff changes). For each: seconds, account
// writes, what a school's run costs the store (commands, documents returned and bytes, from the driver's command
// monitoring), this process's CPU per school, and peak memory beside the memory held before the night (the
// generated LA itself, which the service does not hold). `--query-plan mongodb` counts the queries MongoDB would be
// sent (indexed look-alike and username queries) while running on the embedded store. JSON lines on stdout, a table
// on stderr. Runs on the embedded FerretDB, or on MongoDB when MONGODB_URI is set.
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { table } from '../src/cli/table.js';
import { createLogger } from '../src/log.js';
import type { Store } from '../src/store/index.js';
import { scansEveryQuery, setStoreKind } from '../src/store/kind.js';
import { ageOneNight } from '../src/sync/integris/sim/generator.js';
import { type SimLocalAuthority } from '../src/sync/integris/sim/types.js';
import { syncSchool } from '../src/sync/process.js';
import { exportOf, laInFreshDatabase, measured, openBenchStore, storeCost } from './lib.js';

const args = z
  .object({
    sizes: z
      .string()
      .regex(/^\d+(,\d+)*$/)
      .default('1000,10000'),
    'query-plan': z.enum(['mongodb', 'ferretdb']).optional(),
  })
  .parse(parseArgs({ options: { sizes: { type: 'string' }, 'query-plan': { type: 'string' } } }).values);

const logger = createLogger({ level: 'silent', pretty: false });
const machine = { node: process.version, cores: availableParallelism() };
const rows: string[][] = [];
const mib = (bytes: number) => Math.round(bytes / 2 ** 20);

async function night(store: Store, la: SimLocalAuthority, label: string, people: number): Promise<void> {
  const deps = { db: store.db, logger };
  const cost = storeCost(store.client);
  const rssBefore = process.memoryUsage().rss;
  const cpuBefore = process.cpuUsage();
  const collect = (globalThis as { gc?: () => void }).gc;
  collect?.();
  const heapBefore = process.memoryUsage().heapUsed;
  let retained = heapBefore;
  let gcSeconds = 0;
  const run = await measured(async () => {
    let writes = 0;
    let failed = 0;
    for (const sc of la.schools) {
      const summary = await syncSchool(deps, sc.dfeNumber, {
        trigger: 'file',
        file: exportOf(sc, `${la.today}T18:00:00Z`),
        today: la.today,
      });
      writes += summary.accountWrites;
      if (summary.status !== 'succeeded') failed++;
      // what stays on the heap between schools (a run should hold one school, and let it go): a full collection
      // after each school, its time left out of the night's
      if (collect) {
        const t = performance.now();
        collect();
        gcSeconds += (performance.now() - t) / 1000;
        retained = Math.max(retained, process.memoryUsage().heapUsed);
      }
    }
    return { writes, failed };
  });
  const c = cost.take();
  cost.stop();
  const cpu = process.cpuUsage(cpuBefore);
  const line = {
    name: `night_${label}`,
    size: people,
    schools: la.schools.length,
    seconds: Math.round((run.seconds - gcSeconds) * 10) / 10,
    writes: run.result.writes,
    failedSchools: run.result.failed,
    commandsPerSchool: Math.round(c.commands / la.schools.length),
    docsReturnedPerSchool: Math.round(c.docs / la.schools.length),
    bytesPerSchool: Math.round(c.bytes / la.schools.length),
    cpuMsPerSchool: Math.round(((cpu.user + cpu.system) / 1000 - gcSeconds * 1000) / la.schools.length),
    queryPlan: scansEveryQuery(store.db) ? 'ferretdb' : 'mongodb',
    rssBeforeMiB: mib(rssBefore),
    peakRssMiB: mib(run.peakRss),
    peakHeapMiB: mib(run.peakHeap),
    // heap held after a school's run beyond what was held before the night (needs node's --expose-gc)
    ...(collect ? { heapHeldBeforeMiB: mib(heapBefore), heapHeldMaxMiB: mib(retained) } : {}),
    store: store.kind,
    ...machine,
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
  rows.push([
    line.name,
    String(people),
    String(line.schools),
    `${line.seconds} s`,
    String(line.writes),
    String(line.commandsPerSchool),
    String(line.docsReturnedPerSchool),
    String(line.cpuMsPerSchool),
    `${line.rssBeforeMiB} -> ${line.peakRssMiB} MiB`,
    line.heapHeldMaxMiB !== undefined ? `${line.heapHeldBeforeMiB} -> ${line.heapHeldMaxMiB} MiB` : '',
  ]);
}

async function main(): Promise<void> {
  const { store: root, close } = await openBenchStore(logger);
  try {
    for (const size of args.sizes.split(',').map(Number)) {
      const { store, la, people } = await laInFreshDatabase(root, 'night', size);
      // the counts of MongoDB's query plans can be taken on the embedded store too (they do not depend on speed)
      if (args['query-plan']) setStoreKind(store.db, args['query-plan']);
      try {
        process.stderr.write(`${people} people in ${la.schools.length} schools on ${root.kind}...\n`);
        await night(store, la, 'first', people);
        ageOneNight(la);
        await night(store, la, 'aged', people);
      } finally {
        await store.db.dropDatabase().catch(() => {});
      }
    }
  } finally {
    await close();
  }
  const head = [
    'NIGHT',
    'PEOPLE',
    'SCHOOLS',
    'TIME',
    'WRITES',
    'COMMANDS/SCHOOL',
    'DOCS/SCHOOL',
    'CPU MS/SCHOOL',
    'RSS',
    'HEAP HELD',
  ];
  process.stderr.write(`${table([head, ...rows])}\n`);
}

await main();
