// `npm run bench:night [-- --sizes 1000,10000,40000] [-- --query-plan mongodb]`: whole nights of a generated LA,
// school after school as the nightly job runs them: the first night (every account created), then an aged night
// (the generator's ageing: leavers, starters, renames, class moves, staff changes). For each: seconds, account
// writes, what a school's run costs the store (commands, documents returned and bytes, from the driver's command
// monitoring), the CPU per school, and peak memory beside the memory held before the night. Each night runs in a
// process of its own that reads the night's export files one school at a time, as the service does: the generated
// LA is written to files first and held only by this parent, so the memory measured is the service's
// (`--in-process` runs the nights here instead, with the generated LA on the same heap). `--query-plan mongodb`
// counts the queries MongoDB would be sent (indexed look-alike and username queries) while running on the embedded
// store. JSON lines on stdout, a table on stderr. Runs on the embedded FerretDB, or on MongoDB when MONGODB_URI is set.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { table } from '../src/cli/table.js';
import { createLogger } from '../src/log.js';
import { openStore, type Store } from '../src/store/index.js';
import type { ExportFile } from '../src/domain/records.js';
import { scansEveryQuery, setStoreKind } from '../src/store/kind.js';
import { ageOneNight } from '../src/sync/integris/sim/generator.js';
import { type SimLocalAuthority } from '../src/sync/integris/sim/types.js';
import { syncSchool } from '../src/sync/process.js';
import { filePending } from '../src/sync/lookalike-filing.js';
import { exportOf, laInFreshDatabase, measured, openBenchStore, storeCost } from './lib.js';

const args = z
  .object({
    sizes: z
      .string()
      .regex(/^\d+(,\d+)*$/)
      .default('1000,10000'),
    'query-plan': z.enum(['mongodb', 'ferretdb']).optional(),
    'in-process': z.boolean().default(false),
    /** Internal: run one night from a directory of export files, in the database named, and print its line. */
    child: z.string().optional(),
  })
  .parse(
    parseArgs({
      options: {
        sizes: { type: 'string' },
        'query-plan': { type: 'string' },
        'in-process': { type: 'boolean' },
        child: { type: 'string' },
      },
    }).values,
  );

/** What a child night is told: where the store and the exports are. */
const childJob = z.object({
  uri: z.string(),
  dbName: z.string(),
  kind: z.enum(['mongodb', 'ferretdb']),
  /** The server it really is (the query plan may be another's). */
  server: z.enum(['mongodb', 'ferretdb']),
  dir: z.string(),
  today: z.string(),
  label: z.string(),
  people: z.number(),
});

const logger = createLogger({ level: 'silent', pretty: false });
const machine = { node: process.version, cores: availableParallelism() };
const rows: string[][] = [];
const mib = (bytes: number) => Math.round(bytes / 2 ** 20);

/** The night's schools, each with its export (read when its turn comes). */
interface NightSource {
  today: string;
  schools: { dfeNumber: string; file(): ExportFile }[];
}

const fromLa = (la: SimLocalAuthority): NightSource => ({
  today: la.today,
  schools: la.schools.map((sc) => ({ dfeNumber: sc.dfeNumber, file: () => exportOf(sc, `${la.today}T18:00:00Z`) })),
});

async function night(store: Store, la: NightSource, label: string, people: number) {
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
      const summary = await syncSchool(deps, sc.dfeNumber, { trigger: 'file', file: sc.file(), today: la.today });
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
  // what the service's sweep does after the runs: accounts made many at once filed in the look-alike index (timed
  // apart: it is not on any school's run)
  const filing = await measured(() => filePending(store.db));
  const line = {
    name: `night_${label}`,
    size: people,
    schools: la.schools.length,
    seconds: Math.round((run.seconds - gcSeconds) * 10) / 10,
    filedAfterSeconds: Math.round(filing.seconds * 10) / 10,
    filedAfterAccounts: filing.result.accounts,
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
  return line;
}

type NightLine = Awaited<ReturnType<typeof night>>;

function addRow(line: NightLine): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
  rows.push([
    line.name,
    String(line.size),
    String(line.schools),
    `${line.seconds} s`,
    `${line.filedAfterSeconds} s`,
    String(line.writes),
    String(line.commandsPerSchool),
    String(line.docsReturnedPerSchool),
    String(line.cpuMsPerSchool),
    `${line.rssBeforeMiB} -> ${line.peakRssMiB} MiB`,
    line.heapHeldMaxMiB !== undefined ? `${line.heapHeldBeforeMiB} -> ${line.heapHeldMaxMiB} MiB` : '',
  ]);
}

/** Writes each school's export of the LA as it stands to a file of its own, for a child night to read. */
function writeExports(la: SimLocalAuthority, dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const sc of la.schools)
    writeFileSync(join(dir, `${sc.dfeNumber}.json`), JSON.stringify(exportOf(sc, `${la.today}T18:00:00Z`)));
}

/** Runs one night in a process of its own (this file with `--child`), and returns the line it printed. */
async function nightInChild(job: z.infer<typeof childJob>): Promise<NightLine> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--expose-gc', new URL(import.meta.url).pathname, '--child', JSON.stringify(job)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const code = await new Promise<number | null>((done) => child.on('close', done));
  if (code !== 0) throw new Error(`the ${job.label} night's process exited with ${code}`);
  return JSON.parse(out.trim().split('\n').at(-1)!) as NightLine;
}

/** The child: the night's exports read one school at a time, against the store the parent made. */
async function childNight(job: z.infer<typeof childJob>): Promise<void> {
  const store = await openStore({ uri: job.uri, dbName: job.dbName, dataDir: tmpdir(), timeoutMs: 10_000, logger });
  setStoreKind(store.db, job.kind);
  try {
    const files = readdirSync(job.dir)
      .filter((f) => f.endsWith('.json'))
      .sort();
    const source: NightSource = {
      today: job.today,
      schools: files.map((f) => ({
        dfeNumber: f.replace(/\.json$/, ''),
        file: () => JSON.parse(readFileSync(join(job.dir, f), 'utf8')) as ExportFile,
      })),
    };
    const line = await night(store, source, job.label, job.people);
    process.stdout.write(`${JSON.stringify({ ...line, store: job.server })}\n`);
  } finally {
    await store.close();
  }
}

async function main(): Promise<void> {
  const { store: root, close } = await openBenchStore(logger);
  const exportsDir = mkdtempSync(join(tmpdir(), 'uso-night-'));
  try {
    for (const size of args.sizes.split(',').map(Number)) {
      const { store, la, people } = await laInFreshDatabase(root, 'night', size);
      // the counts of MongoDB's query plans can be taken on the embedded store too (they do not depend on speed)
      const kind = args['query-plan'] ?? root.kind;
      setStoreKind(store.db, kind);
      const uri = process.env.MONGODB_URI ?? root.embedded?.uri;
      try {
        process.stderr.write(`${people} people in ${la.schools.length} schools on ${root.kind}...\n`);
        for (const label of ['first', 'aged'] as const) {
          if (label === 'aged') ageOneNight(la);
          if (args['in-process'] || !uri) addRow(await night(store, fromLa(la), label, people));
          else {
            const dir = join(exportsDir, `${size}-${label}`);
            writeExports(la, dir);
            addRow(
              await nightInChild({
                uri,
                dbName: store.db.databaseName,
                kind,
                server: root.kind,
                dir,
                today: la.today,
                label,
                people,
              }),
            );
            rmSync(dir, { recursive: true, force: true });
          }
        }
      } finally {
        await store.db.dropDatabase().catch(() => {});
      }
    }
  } finally {
    rmSync(exportsDir, { recursive: true, force: true });
    await close();
  }
  const head = [
    'NIGHT',
    'PEOPLE',
    'SCHOOLS',
    'TIME',
    'FILED AFTER',
    'WRITES',
    'COMMANDS/SCHOOL',
    'DOCS/SCHOOL',
    'CPU MS/SCHOOL',
    'RSS',
    'HEAP HELD',
  ];
  process.stderr.write(`${table([head, ...rows])}\n`);
}

if (args.child) await childNight(childJob.parse(JSON.parse(args.child)));
else await main();
