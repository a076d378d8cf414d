// `npm run bench:crash [-- --trials 12]`: the kill -9 experiment. Each trial starts `uso sync` on an export
// (a first sync, or a night where every pupil changes class, with starters and leavers), kills the process with
// SIGKILL while it applies (after its plan is recorded, at a moment spread across the apply phase), and then, at once:
//   1. `uso status` (which settles runs left by a dead process) and counts runs still `running` and account
//      writes with no audit entry (each write stamps its run on the account; the audit must name that run);
//   2. `uso sync` of the same export again, which must start at once (the dead process's lease is freed) and
//      finish, and then counts MIS people with more than one account at the school, and unaudited writes again.
// Runs against a FerretDB of its own (never the service's data). JSON lines on stdout, a table on stderr.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MongoClient, type Db } from 'mongodb';
import { z } from 'zod';
import { table } from '../src/cli/table.js';
import { createLogger } from '../src/log.js';
import { startEmbeddedFerretdb } from '../src/store/embedded.js';
import { generateLocalAuthority } from '../src/sync/integris/sim/generator.js';
import type { ExportFile } from '../src/domain/records.js';

const args = z
  .object({ trials: z.coerce.number().int().min(1).max(100).default(12) })
  .parse(parseArgs({ options: { trials: { type: 'string' } } }).values);
const dir = mkdtempSync(join(tmpdir(), 'uso-crash-'));
const ferret = await startEmbeddedFerretdb({
  dataDir: join(dir, 'store'),
  logger: createLogger({ level: 'silent', pretty: false }),
  timeoutMs: 30_000,
});
const client = new MongoClient(ferret.uri);

const la = generateLocalAuthority({ seed: 77, schools: 1, sizeFactor: 4 });
const school = la.schools[0]!;
const file = (name: string, body: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(body));
  return path;
};
const exportOf = (students: typeof school.students, at: string): ExportFile => ({
  dfeNumber: school.dfeNumber,
  exportedAt: at,
  source: 'integris',
  reports: { students, staff: school.staff },
  completeness: {},
});
const schoolsFile = file('schools.json', [
  {
    dfeNumber: school.dfeNumber,
    name: school.name,
    laCode: school.laCode,
    acceptedReports: ['students', 'staff'],
    settings: { updateThresholdPercent: 100, unallocationThresholdPercent: 100 },
  },
]);
const firstNight = file('first.json', exportOf(school.students, `${la.today}T18:00:00Z`));
// the churn night: every pupil moves class, 30 leave, 30 start
const moved = school.students.slice(30).map((p) => ({ ...p, registrationGroup: `${p.registrationGroup ?? 'X'}-next` }));
const starters = school.students.slice(0, 30).map((p, i) => ({
  ...p,
  personId: `NEW${i}`,
  legalForename: `Newcomer${String.fromCharCode(97 + (i % 26))}`,
  legalSurname: `Starter${i}`,
  upn: undefined,
}));
const churnNight = file('churn.json', exportOf([...moved, ...starters], `${la.today}T19:00:00Z`));
const people = school.students.length + school.staff.length;

function uso(db: string, argv: string[]) {
  return spawn(process.execPath, ['bin/uso.js', ...argv], {
    env: { ...process.env, MONGODB_URI: `${ferret.uri.replace(/\/?$/, '/')}${db}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
function usoSync(db: string, argv: string[]) {
  const r = spawnSync(process.execPath, ['bin/uso.js', ...argv], {
    env: { ...process.env, MONGODB_URI: `${ferret.uri.replace(/\/?$/, '/')}${db}` },
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

async function unauditedWrites(db: Db): Promise<number> {
  const stamped = await db
    .collection<{ _id: string; lastChange?: { runId?: string } }>('accounts')
    .find({ 'lastChange.runId': { $exists: true } })
    .project<{ _id: string; lastChange: { runId: string } }>({ _id: 1, lastChange: 1 })
    .toArray();
  const audited = new Set(
    (
      await db
        .collection<{ username?: string; runId?: string }>('audit')
        .find({ runId: { $exists: true } })
        .project<{ username?: string; runId?: string }>({ username: 1, runId: 1 })
        .toArray()
    ).map((a) => `${a.username}|${a.runId}`),
  );
  return stamped.filter((a) => !audited.has(`${a._id}|${a.lastChange.runId}`)).length;
}

async function duplicates(db: Db): Promise<number> {
  const accounts = await db
    .collection<{ assoc: Record<string, { dfeNumber: string; misPersonId?: string; status: string }> }>('accounts')
    .find({})
    .project<{ assoc: Record<string, { dfeNumber: string; misPersonId?: string; status: string }> }>({ assoc: 1 })
    .toArray();
  const seen = new Map<string, number>();
  for (const a of accounts)
    for (const x of Object.values(a.assoc))
      if (x.misPersonId)
        seen.set(`${x.dfeNumber}|${x.misPersonId}`, (seen.get(`${x.dfeNumber}|${x.misPersonId}`) ?? 0) + 1);
  return [...seen.values()].filter((n) => n > 1).length;
}

const rows: Record<string, unknown>[] = [];
for (let t = 0; t < args.trials; t++) {
  const churn = t % 2 === 1;
  const dbName = `crash_${t}`;
  const db = client.db(dbName);
  usoSync(dbName, ['schools', 'import', schoolsFile]);
  if (churn) usoSync(dbName, ['sync', school.dfeNumber, '--file', firstNight, '--today', la.today]);
  // kill once the run has recorded its plan (so it is applying), after a delay spread across the apply phase:
  // a first sync inserts quickly, a churn night updates every pupil one statement at a time
  const applyWindowMs = churn ? 4000 : 700;
  const killAtMs = Math.round((((t * 7919) % 1000) / 1000) * applyWindowMs);
  const child = uso(dbName, ['sync', school.dfeNumber, '--file', churn ? churnNight : firstNight, '--today', la.today]);
  let finished = false;
  const exited = new Promise<boolean>((ok) =>
    child.on('close', (_code, signal) => ((finished = true), ok(signal === 'SIGKILL'))),
  );
  for (;;) {
    if (finished) break;
    const running = await db.collection<{ _id: string }>('runs').findOne({ status: 'running' });
    if (running && (await db.collection('runOutcomes').findOne({ _id: running._id } as never))) {
      await new Promise((ok) => setTimeout(ok, killAtMs));
      child.kill('SIGKILL');
      break;
    }
    await new Promise((ok) => setTimeout(ok, 10));
  }
  const killed = await exited;
  const crashed = await db.collection<{ _id: string; status: string }>('runs').findOne({ status: 'running' });
  const writtenByCrashed = crashed
    ? await db.collection('accounts').countDocuments({ 'lastChange.runId': crashed._id })
    : 0;
  const status = usoSync(dbName, ['status', school.dfeNumber]);
  const running = await db.collection('runs').countDocuments({ status: 'running' });
  const unauditedAfterKill = await unauditedWrites(db);
  const settled = crashed
    ? await db.collection<{ status: string; error?: { code: string } }>('runs').findOne({ _id: crashed._id } as never)
    : undefined;
  const rerun = usoSync(dbName, [
    'sync',
    school.dfeNumber,
    '--file',
    churn ? churnNight : firstNight,
    '--today',
    la.today,
    '--json',
  ]);
  const row = {
    name: 'kill9_trial',
    trial: t + 1,
    night: churn ? 'churn' : 'first',
    killAfterPlanMs: killAtMs,
    killed: killed ? (crashed ? 'mid-run' : 'outside a run') : 'finished first',
    writesBeforeKill: writtenByCrashed,
    crashedRunAfterStatus: settled ? `${settled.status}${settled.error ? ` (${settled.error.code})` : ''}` : '-',
    runsLeftRunning: running,
    unauditedAfterKill,
    rerunStartedAtOnce: rerun.code === 0 ? 'yes' : `no: ${rerun.err.trim().slice(0, 80)}`,
    duplicates: await duplicates(db),
    unauditedAfterRerun: await unauditedWrites(db),
    accountsAtSchool: await db.collection('accounts').countDocuments({ schools: school.dfeNumber }),
    statusExit: status.code,
  };
  rows.push(row);
  process.stdout.write(`${JSON.stringify(row)}\n`);
  await db.dropDatabase();
}
const total = (k: string) => rows.reduce((n, r) => n + (typeof r[k] === 'number' ? (r[k] as number) : 0), 0);
const summary = {
  name: 'kill9_summary',
  trials: rows.length,
  killedMidRun: rows.filter((r) => r.killed === 'mid-run').length,
  writesBeforeKill: rows.map((r) => r.writesBeforeKill),
  duplicates: total('duplicates'),
  runsLeftRunning: total('runsLeftRunning'),
  unauditedAfterKill: total('unauditedAfterKill'),
  unauditedAfterRerun: total('unauditedAfterRerun'),
  rerunsStartedAtOnce: rows.filter((r) => r.rerunStartedAtOnce === 'yes').length,
  schoolPeople: people,
};
process.stdout.write(`${JSON.stringify(summary)}\n`);
process.stderr.write(
  `${table([['TRIAL', 'NIGHT', 'KILLED', 'WRITES BEFORE', 'CRASHED RUN', 'RUNNING', 'UNAUDITED', 'RE-RUN', 'DUPLICATES'], ...rows.map((r) => [String(r.trial), String(r.night), String(r.killed), String(r.writesBeforeKill), String(r.crashedRunAfterStatus), String(r.runsLeftRunning), `${r.unauditedAfterKill}/${r.unauditedAfterRerun}`, String(r.rerunStartedAtOnce), String(r.duplicates)])])}\n`,
);
await client.close();
await ferret.stop();
rmSync(dir, { recursive: true, force: true });
