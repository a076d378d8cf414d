// `npm run check:nights -- --schools N --nights K --concurrency C --workers W --seed S [--kill] [--size F]`: the LA
// invariants checked the way an LA runs, not school by school. It generates an LA whose schools share people (dual
// registrations, moves between schools, second posts, twins and namesakes), stores each night's exports, and has
// W worker processes run the schools, C at once in all; with --kill it kills workers with SIGKILL at random moments
// and starts others for what they left, as a restarted service would. After each night it checks: no UPN on two
// accounts, no account with two MIS persons of one school, no MIS person of a school on two accounts, every
// account's last write audited, every account filed in the look-alike index as it stands (killed writers included),
// re-running the night's exports writes nothing, and the store answers. One JSON line per night on stdout; exit 1 on
// any violation. Runs on an embedded FerretDB of its own, or MONGODB_URI.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { MongoClient } from 'mongodb';
import { z } from 'zod';
import { createLogger } from '../src/log.js';
import { ensureLookalikeIndex, ensureRosters } from '../src/store/account-scans.js';
import { ensureIndexes, openStore, storeFrom } from '../src/store/index.js';
import { setStoreKind, type StoreKind } from '../src/store/kind.js';
import { upsertSchool } from '../src/store/schools.js';
import { checkStore } from '../src/sync/doctor.js';
import { filePending } from '../src/sync/lookalike-filing.js';
import { ageOneNight, generateLocalAuthority } from '../src/sync/integris/sim/generator.js';
import { type SimLocalAuthority } from '../src/sync/integris/sim/types.js';
import { processExport, takeExport, type SyncDeps } from '../src/sync/process.js';
import { exportOf } from '../src/sync/integris/sim/export-file.js';

const logger = createLogger({ level: 'silent', pretty: false });

const count = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const Args = z.object({
  schools: count(2, 2000).default(12),
  nights: count(1, 100).default(3),
  concurrency: count(1, 64).default(4),
  workers: count(1, 16).default(2),
  seed: count(0, 2 ** 31).default(1),
  size: z.coerce.number().min(0.05).max(2).default(0.2),
  /** Schools whose exports are run again after each night (all by default; a random sample of a large LA). */
  'rerun-sample': count(1, 2000).optional(),
  kill: z.boolean().default(false),
  worker: z.boolean().default(false),
});

const { values } = parseArgs({
  options: {
    schools: { type: 'string' },
    nights: { type: 'string' },
    concurrency: { type: 'string' },
    workers: { type: 'string' },
    seed: { type: 'string' },
    size: { type: 'string' },
    'rerun-sample': { type: 'string' },
    kill: { type: 'boolean' },
    worker: { type: 'boolean' },
  },
});
const parsed = Args.safeParse(values);
if (!parsed.success) {
  process.stderr.write(
    `check:nights: ${parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; ')}\n`,
  );
  process.exit(2);
}
const args = parsed.data;

/** A seeded generator, so a failing night can be run again exactly. */
function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

/**
 * People shared between schools, on top of what the generator makes: for each school, a pupil dual-registered at
 * the next (same UPN, a subsidiary registration), a member of staff with a second post at the one after, and a
 * namesake (same names and birthday, another UPN) two schools on.
 */
function shareAcrossSchools(la: SimLocalAuthority, rnd: () => number): void {
  const n = la.schools.length;
  la.schools.forEach((school, i) => {
    const pick = <T>(list: T[]) => list[Math.floor(rnd() * list.length)]!;
    const next = la.schools[(i + 1) % n]!;
    const pupil = pick(school.students.filter((s) => !s.leavingDate && s.enrolmentStatus === 'C'));
    const dual = { ...pupil, personId: `DUAL${la.nextId++}`, enrolmentStatus: 'S' as const };
    delete dual.registrationGroup;
    pupil.enrolmentStatus = 'M';
    next.students.push(dual);
    const post = la.schools[(i + 2) % n]!;
    const teacher = pick(school.staff.filter((s) => !s.employmentEndDate));
    post.staff.push({ ...teacher, personId: `POST${la.nextId++}` });
    const far = la.schools[(i + 3) % n]!;
    const namesake = pick(far.students.filter((s) => s.upn && s.upn !== pupil.upn));
    const model = pick(school.students.filter((s) => s.upn !== namesake.upn));
    Object.assign(namesake, {
      legalForename: model.legalForename,
      legalSurname: model.legalSurname,
      dateOfBirth: model.dateOfBirth,
    });
  });
}

// ---- a worker: runs the schools it is given, C at once, one JSON line per school done ----

const WorkOrder = z.object({
  uri: z.string(),
  db: z.string(),
  kind: z.enum(['ferretdb', 'mongodb']),
  today: z.string(),
  concurrency: z.number().int().min(1),
  schools: z.array(z.string()),
});

async function worker(): Promise<void> {
  const order = WorkOrder.parse(JSON.parse(process.env.CHECK_NIGHTS_ORDER ?? '{}'));
  const client = new MongoClient(order.uri, { maxPoolSize: order.kind === 'ferretdb' ? 10 : 100 });
  await client.connect();
  const db = client.db(order.db);
  setStoreKind(db, order.kind);
  const deps: SyncDeps = { db, logger };
  const queue = [...order.schools];
  const one = async (dfeNumber: string) => {
    for (let attempt = 0; ; attempt++) {
      try {
        const run = await processExport(deps, dfeNumber, { trigger: 'nightly', today: order.today });
        return run.status;
      } catch (err) {
        // a school another worker (or a killed one's run) still holds: wait for the lease to come free
        if ((err as { code?: string }).code !== 'run_in_progress' || attempt > 600) throw err;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  };
  await Promise.all(
    Array.from({ length: order.concurrency }, async () => {
      for (let dfe = queue.shift(); dfe; dfe = queue.shift()) {
        const status = await one(dfe).catch((err: Error) => `failed: ${err.message.split('\n')[0]}`);
        process.stdout.write(`${JSON.stringify({ done: dfe, status })}\n`);
      }
    }),
  );
  await client.close();
}

// ---- the parent: the LA, its nights, the checks ----

interface Worker {
  child: ChildProcess;
  schools: Set<string>;
  exited: Promise<void>;
}

function startWorker(order: z.infer<typeof WorkOrder>, done: Map<string, string>): Worker {
  const script = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, ['--import', 'tsx', script, '--worker'], {
    env: { ...process.env, CHECK_NIGHTS_ORDER: JSON.stringify(order) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const schools = new Set(order.schools);
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      const msg = JSON.parse(line) as { done: string; status: string };
      done.set(msg.done, msg.status);
      schools.delete(msg.done);
    } catch {
      process.stderr.write(`${line}\n`);
    }
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return { child, schools, exited };
}

async function runNight(
  base: Omit<z.infer<typeof WorkOrder>, 'schools' | 'concurrency'>,
  schools: string[],
  rnd: () => number,
): Promise<{ killed: number; failed: string[] }> {
  const done = new Map<string, string>();
  const perWorker = Math.max(1, Math.ceil(args.concurrency / args.workers));
  const shares = Array.from({ length: args.workers }, (_, w) => schools.filter((_, i) => i % args.workers === w));
  let workers = shares
    .filter((s) => s.length)
    .map((s) => startWorker({ ...base, concurrency: perWorker, schools: s }, done));
  let killed = 0;
  let killsLeft = args.kill ? 1 + Math.floor(rnd() * 2) : 0;
  while (workers.length) {
    const wait = killsLeft ? 300 + rnd() * 2500 : undefined;
    const ended = await Promise.race([
      ...workers.map((w) => w.exited.then(() => w)),
      ...(wait ? [new Promise<undefined>((r) => setTimeout(() => r(undefined), wait))] : []),
    ]);
    if (ended) {
      workers = workers.filter((w) => w !== ended);
      continue;
    }
    // a kill at a random moment: the worker dies as a process does (no clean-up), and another takes what it left
    const victim = workers[Math.floor(rnd() * workers.length)]!;
    killsLeft--;
    if (victim.schools.size === 0) continue;
    victim.child.kill('SIGKILL');
    await victim.exited;
    killed++;
    workers = workers.filter((w) => w !== victim);
    const left = [...victim.schools];
    if (left.length) workers.push(startWorker({ ...base, concurrency: perWorker, schools: left }, done));
  }
  return { killed, failed: schools.filter((s) => done.get(s) !== 'succeeded') };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'uso-check-nights-'));
  const root = await openStore({
    uri: process.env.MONGODB_URI,
    dbName: 'uso_check',
    dataDir,
    timeoutMs: 15_000,
    logger,
  });
  const uri = process.env.MONGODB_URI ?? root.embedded!.uri;
  const kind: StoreKind = root.kind;
  const dbName = `check_nights_${args.seed}_${randomBytes(3).toString('hex')}`;
  const db = root.client.db(dbName);
  await ensureIndexes(db, kind);
  await ensureRosters(db);
  await ensureLookalikeIndex(db);
  const store = storeFrom(root.client, db, kind);
  const rnd = random(args.seed);
  const la = generateLocalAuthority({ seed: args.seed, schools: args.schools, sizeFactor: args.size });
  shareAcrossSchools(la, rnd);
  for (const s of la.schools)
    await upsertSchool(db, { dfeNumber: s.dfeNumber, name: s.name, laCode: s.laCode, acceptedReports: s.permissions });
  const deps: SyncDeps = { db, logger };
  let violations = 0;
  try {
    for (let night = 1; night <= args.nights; night++) {
      if (night > 1) ageOneNight(la);
      const schools = la.schools.map((s) => s.dfeNumber);
      const seqs = new Map<string, number>();
      for (const s of la.schools)
        seqs.set(
          s.dfeNumber,
          (await takeExport(deps, s.dfeNumber, { file: exportOf(s, `${la.today}T18:00:00Z`), today: la.today })).seq,
        );
      const people = la.schools.reduce((n, s) => n + s.students.length + s.staff.length, 0);
      const started = performance.now();
      const { killed, failed } = await runNight({ uri, db: dbName, kind, today: la.today }, schools, rnd);
      const seconds = (performance.now() - started) / 1000;
      // the service's sweep files what first syncs left for the look-alike index (runs a kill stopped wait a while)
      await filePending(db);
      const checked = await checkStore(db, { lookalikes: true });
      let rerunWrites = 0;
      const rerunFailed: string[] = [];
      const rerunChanged: Record<string, Record<string, number>> = {};
      // the night's exports run again (every school's, or a seeded sample of a large LA's): nothing may change
      const rerun = [...schools]
        .map((dfe) => ({ dfe, r: rnd() }))
        .sort((x, y) => x.r - y.r)
        .slice(0, args['rerun-sample'] ?? schools.length)
        .map((x) => x.dfe);
      for (const dfe of rerun) {
        const run = await processExport(deps, dfe, { trigger: 'cli', today: la.today, seq: seqs.get(dfe) }).catch(
          () => undefined,
        );
        if (!run || run.status !== 'succeeded') rerunFailed.push(dfe);
        else rerunWrites += run.accountWrites;
        if (run?.accountWrites) {
          rerunChanged[dfe] = Object.fromEntries(Object.entries(run.counts).filter(([k, v]) => v && k !== 'unchanged'));
          if (process.env.CHECK_NIGHTS_DEBUG)
            for (const o of run.outcomes.filter((x) => x.outcome !== 'unchanged'))
              process.stderr.write(`${dfe} ${JSON.stringify(o)}\n`);
        }
      }
      const answers = await store.ping(5000).then(
        () => true,
        () => false,
      );
      const found =
        checked.violations.length +
        checked.unaudited.length +
        (checked.unfiled?.length ?? 0) +
        (rerunWrites > 0 ? 1 : 0) +
        (answers ? 0 : 1) +
        failed.length +
        rerunFailed.length;
      violations += found;
      process.stdout.write(
        `${JSON.stringify({
          night,
          today: la.today,
          schools: schools.length,
          people,
          accounts: checked.accounts,
          concurrency: args.concurrency,
          workers: args.workers,
          killed,
          seconds: Math.round(seconds * 10) / 10,
          failedRuns: failed,
          violations: checked.violations,
          unaudited: checked.unaudited.length,
          unfiled: checked.unfiled?.length ?? 0,
          rerunSchools: rerun.length,
          rerunWrites,
          ...(rerunWrites ? { rerunChanged } : {}),
          rerunFailed,
          storeAnswers: answers,
          ok: found === 0,
        })}\n`,
      );
    }
  } finally {
    await db.dropDatabase().catch(() => {});
    await root.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  process.exitCode = violations ? 1 : 0;
}

await (args.worker ? worker() : main());
