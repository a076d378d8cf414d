import { writeFileSync } from 'node:fs';
// `npm run bench [-- --quick] [-- --sizes 1000,10000] [-- --cold] [-- --events N]`: sync throughput, incremental cost,
// memory, matching accuracy and speed, and outbound events over a night (`--events N`: only those, at N people), each
// beside a baseline measured in the same run. JSON lines on stdout, a table on stderr.
// Runs on the embedded FerretDB, or on MongoDB when MONGODB_URI is set.
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { table } from '../src/cli/table.js';
import { createLogger } from '../src/log.js';
import type { Store } from '../src/store/index.js';
import { indexesFor } from '../src/store/indexes.js';
import { fromDoc, toDoc, type AccountDoc } from '../src/store/accounts.js';
import { generateLocalAuthority } from '../src/sync/integris/sim/generator.js';
import { type SimSchool } from '../src/sync/integris/sim/types.js';
import type { Student } from '../src/domain/records.js';
import { processExport, syncSchool } from '../src/sync/process.js';
import { filePending } from '../src/sync/lookalike-filing.js';
import { evaluate, labelledSet, loadMatchSet, type MatchSet } from './matching.js';
import { exportOf, laInFreshDatabase, measured, openBenchStore, storeCost } from './lib.js';
import { eventsNight } from './events.js';
import { insertAgain, storeDocs, writtenSince } from './floor.js';

const args = z
  .object({
    quick: z.boolean().default(false),
    sizes: z
      .string()
      .regex(/^\d+(,\d+)*$/)
      .optional(),
    runs: z.coerce.number().int().min(1).max(9).optional(),
    'match-set': z.string().min(1).optional(),
    /** Write the generator's labelled set (the one `npm run bench` scores) to this file, for Splink. */
    'write-match-set': z.string().min(1).optional(),
    cold: z.boolean().default(false),
    /** Only the events night, at this many people. */
    events: z.coerce.number().int().min(100).max(200_000).optional(),
  })
  .parse(
    parseArgs({
      options: {
        quick: { type: 'boolean' },
        sizes: { type: 'string' },
        runs: { type: 'string' },
        'match-set': { type: 'string' },
        'write-match-set': { type: 'string' },
        cold: { type: 'boolean' },
        events: { type: 'string' },
      },
    }).values,
  );

const logger = createLogger({ level: 'silent', pretty: false });
const machine = { node: process.version, cores: availableParallelism() };
const results: Record<string, unknown>[] = [];

function emit(
  figure: {
    name: string;
    size: number;
    value: number;
    unit: string;
    baseline?: string;
    baselineValue?: number;
    writes?: number;
  },
  store: string,
): void {
  const line = {
    ...figure,
    value: round(figure.value),
    ...(figure.baselineValue !== undefined
      ? { baselineValue: round(figure.baselineValue), ratio: round(figure.value / figure.baselineValue) }
      : {}),
    store,
    ...machine,
  };
  results.push(line);
  process.stdout.write(`${JSON.stringify(line)}\n`);
}
const round = (x: number) => Math.round(x * 1000) / 1000;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** 5% of a school's people changed: a third renamed, a third gone, a third new (people of another generated LA). */
function churn(school: SimSchool, index: number, seed: number): number {
  const n = Math.max(3, Math.round(school.students.length * 0.05));
  const third = Math.ceil(n / 3);
  const pupils = school.students.filter((s) => s.enrolmentStatus === 'C');
  for (let i = 0; i < third && i < pupils.length; i++) pupils[i]!.legalSurname = `${pupils[i]!.legalSurname}-Moore`;
  const gone = new Set(pupils.slice(third, 2 * third).map((s) => s.personId));
  school.students = school.students.filter((s) => !gone.has(s.personId));
  const strangers = generateLocalAuthority({
    seed: seed * 1000 + index,
    schools: 1,
    laCode: '999',
  }).schools[0]!.students.filter((s) => s.enrolmentStatus === 'C');
  for (let i = 0; i < third; i++) {
    const fresh: Student = { ...strangers[i]!, personId: `CH${seed}-${school.dfeNumber}-${i}` };
    delete fresh.upn;
    school.students.push(fresh);
  }
  return third * 3;
}

/**
 * An unmeasured night (first sync, re-sync, churn) of a small LA of its own, generated from another seed in a
 * database dropped after, before anything is measured. The figures are then those of a process already running, as
 * through a night of many schools, not of the first compile of the code on the way (a third of a cold 1k first
 * sync); the baselines, which run after the first sync, are measured warm all the same. `--cold` skips it.
 */
async function warmUp(store: Store): Promise<void> {
  const { store: s, la } = await laInFreshDatabase(store, 'warmup', 1000, 7919);
  const deps = { db: s.db, logger };
  const night = async (at: string) => {
    for (const sc of la.schools)
      await syncSchool(deps, sc.dfeNumber, {
        trigger: 'file',
        file: exportOf(sc, `${la.today}T${at}Z`),
        today: la.today,
      });
  };
  try {
    await night('18:00:00');
    for (const sc of la.schools) await processExport(deps, sc.dfeNumber, { trigger: 'file', today: la.today });
    await filePending(s.db);
    la.schools.forEach((sc, i) => churn(sc, i, 7919));
    await night('19:00:00');
  } finally {
    await s.db.dropDatabase().catch(() => {});
  }
}

async function syncBench(store: Store, size: number): Promise<void> {
  const { store: s, la, people } = await laInFreshDatabase(store, 'bench', size);
  const db = s.db;
  try {
    const deps = { db: s.db, logger };
    const cost = storeCost(store.client, { later: true });
    const perSchool = (phase: string, c: { commands: number; docs: number }) => {
      emit(
        {
          name: 'commands_per_school_run',
          size: people,
          value: c.commands / la.schools.length,
          unit: `commands (${phase})`,
        },
        store.kind,
      );
      emit(
        {
          name: 'docs_returned_per_school_run',
          size: people,
          value: c.docs / la.schools.length,
          unit: `documents (${phase})`,
        },
        store.kind,
      );
    };
    const before = await storeDocs(db);
    cost.take();
    const first = await measured(async () => {
      let writes = 0;
      for (const sc of la.schools)
        writes += (
          await syncSchool(deps, sc.dfeNumber, {
            trigger: 'file',
            file: exportOf(sc, `${la.today}T18:00:00Z`),
            today: la.today,
          })
        ).accountWrites;
      return writes;
    });
    const firstRate = people / first.seconds;
    const firstCost = cost.take();
    let kept = await writtenSince(db, before);
    // the service's 5-minute sweep files the first sync's accounts in the look-alike index after their runs (a run
    // making many accounts leaves them to it); timed on its own, and run here so the re-syncs search as they do there
    const filing = await measured(() => filePending(db));
    cost.take();

    // baselines on the same account documents: a raw unordered insertMany, the same with the first sync's own audit
    // entries beside it into collections indexed as the store's are (what the issue calls a first sync's ceiling: an
    // account and its audit entry a person), and a naive per-record upsert
    const docs: AccountDoc[] = (await db.collection<AccountDoc>('accounts').find({}).toArray()).map((d) =>
      toDoc(fromDoc(d)),
    );
    const raw = db.collection<AccountDoc>('bench_raw');
    const rawRun = await measured(async () => {
      for (let i = 0; i < docs.length; i += 1000) await raw.insertMany(docs.slice(i, i + 1000), { ordered: false });
    });
    const entries = (await db.collection('audit').find({}).toArray()).map(({ _id, ...e }) => e);
    const ceilingAccounts = db.collection<AccountDoc>('bench_ceiling_accounts');
    const ceilingAudit = db.collection('bench_ceiling_audit');
    for (const [c, name] of [
      [ceilingAccounts, 'accounts'],
      [ceilingAudit, 'audit'],
    ] as const) {
      const specs = indexesFor(name, store.kind);
      if (specs.length) await c.createIndexes(specs);
    }
    const ceilingRun = await measured(async () => {
      for (let i = 0; i < Math.max(docs.length, entries.length); i += 1000) {
        if (i < docs.length) await ceilingAccounts.insertMany(docs.slice(i, i + 1000), { ordered: false });
        if (i < entries.length) await ceilingAudit.insertMany(entries.slice(i, i + 1000), { ordered: false });
      }
    });
    const floorRun = await measured(() => insertAgain(db, store.kind, kept, 'bench_floor_'));
    kept = new Map();
    const rawRate = docs.length / rawRun.seconds;
    const ceilingRate = docs.length / ceilingRun.seconds;
    const floorRate = people / floorRun.seconds;
    const naive = db.collection<AccountDoc>('bench_naive');
    const sample = docs.slice(0, Math.min(docs.length, 1000));
    const naiveRun = await measured(async () => {
      for (const { _id, ...fields } of sample) {
        await naive.findOne({ _id });
        await naive.updateOne({ _id }, { $set: fields }, { upsert: true });
      }
    });
    emit(
      {
        name: 'first_sync',
        size: people,
        value: firstRate,
        unit: 'records/s',
        baseline: 'raw_insert_many',
        baselineValue: rawRate,
        writes: first.result,
      },
      store.kind,
    );
    emit(
      {
        name: 'first_sync',
        size: people,
        value: firstRate,
        unit: 'records/s',
        baseline: 'account_and_audit_insert',
        baselineValue: ceilingRate,
        writes: first.result,
      },
      store.kind,
    );
    for (const [name, value, baseline, baselineValue] of [
      ['first_sync', firstRate, 'first_sync_writes_insert', floorRate],
      ['first_sync_writes_insert', floorRate, 'raw_insert_many', rawRate],
    ] as const)
      emit(
        { name, size: people, value, unit: 'records/s', baseline, baselineValue, writes: floorRun.result },
        store.kind,
      );
    emit(
      {
        name: 'account_and_audit_insert',
        size: people,
        value: ceilingRate,
        unit: 'records/s',
        baseline: 'raw_insert_many',
        baselineValue: rawRate,
      },
      store.kind,
    );
    emit(
      {
        name: 'first_sync',
        size: people,
        value: firstRate,
        unit: 'records/s',
        baseline: `naive_upsert (sample of ${sample.length})`,
        baselineValue: sample.length / naiveRun.seconds,
        writes: first.result,
      },
      store.kind,
    );
    emit(
      {
        name: 'first_sync_then_filing',
        size: people,
        value: people / (first.seconds + filing.seconds),
        unit: 'records/s',
        baseline: 'raw_insert_many',
        baselineValue: rawRate,
        writes: filing.result.accounts,
      },
      store.kind,
    );
    emit(
      {
        name: 'peak_rss',
        size: people,
        value: first.peakRss / 2 ** 20,
        unit: 'MiB',
        writes: Math.round(first.peakHeap / 2 ** 20),
      },
      store.kind,
    );

    cost.take();
    const again = await measured(async () => {
      let writes = 0;
      for (const sc of la.schools)
        writes += (await processExport(deps, sc.dfeNumber, { trigger: 'file', today: la.today })).accountWrites;
      return writes;
    });
    const againCost = cost.take();
    emit(
      {
        name: 'no_change_resync',
        size: people,
        value: again.seconds,
        unit: 's',
        baseline: 'first_sync',
        baselineValue: first.seconds,
        writes: again.result,
      },
      store.kind,
    );

    let changed = 0;
    la.schools.forEach((sc, i) => (changed += churn(sc, i, size)));
    cost.take();
    const churned = await measured(async () => {
      let writes = 0;
      for (const sc of la.schools)
        writes += (
          await syncSchool(deps, sc.dfeNumber, {
            trigger: 'file',
            file: exportOf(sc, `${la.today}T19:00:00Z`),
            today: la.today,
          })
        ).accountWrites;
      return writes;
    });
    const churnCost = cost.take();
    cost.stop();
    perSchool('first sync', firstCost);
    perSchool('no-change re-sync', againCost);
    perSchool('churn re-sync', churnCost);
    emit(
      {
        name: 'bytes_per_changed_record',
        size: changed,
        value: churnCost.bytes / Math.max(1, changed),
        unit: 'bytes (churn re-sync, both ways)',
      },
      store.kind,
    );
    emit(
      {
        name: 'bytes_per_record',
        size: people,
        value: againCost.bytes / people,
        unit: 'bytes (no-change re-sync, both ways)',
      },
      store.kind,
    );
    emit(
      {
        name: 'churn_resync',
        size: people,
        value: churned.seconds,
        unit: 's',
        baseline: 'first_sync',
        baselineValue: first.seconds,
        writes: churned.result,
      },
      store.kind,
    );
    emit(
      {
        name: 'churn_resync_writes_per_change',
        size: changed,
        value: churned.result / changed,
        unit: 'writes/changed record',
      },
      store.kind,
    );
    emit(
      {
        name: 'peak_rss',
        size: people,
        value: Math.max(again.peakRss, churned.peakRss) / 2 ** 20,
        unit: 'MiB (re-syncs)',
      },
      store.kind,
    );
  } finally {
    await db.dropDatabase().catch(() => {});
  }
}

function matchingBench(runs: number, set: MatchSet, kind: string): void {
  const measuredRuns = Array.from({ length: runs }, () => evaluate(set));
  const m = measuredRuns[0]!;
  emit({ name: 'match_precision', size: m.probes, value: m.precision, unit: 'ratio' }, kind);
  emit({ name: 'match_recall', size: m.probes, value: m.recall, unit: 'ratio' }, kind);
  emit({ name: 'match_f1', size: m.probes, value: m.f1, unit: 'ratio' }, kind);
  emit({ name: 'match_top1_f1', size: m.probes, value: m.top1F1, unit: 'ratio' }, kind);
  // per kind of probe: of those with an account, how many were found; of all, how many had a wrong candidate
  for (const [cause, t] of m.byCause)
    process.stderr.write(
      `  ${cause.padEnd(44)} ${String(t.probes).padStart(5)} probes  found ${String(t.found).padStart(5)}  missed ${String(t.missed).padStart(4)}  wrong ${String(t.wrong).padStart(4)}\n`,
    );
  emit(
    {
      name: 'match_rate',
      size: m.probes,
      value: median(measuredRuns.map((r) => r.rate)),
      unit: 'candidates/s (median)',
    },
    kind,
  );
}

/** Events of a whole night delivered to a verifying receiver, beside the rate the night wrote its audit at. */
async function eventsBench(store: Store, size: number): Promise<void> {
  const f = await eventsNight(store, size, logger);
  const kind = store.kind;
  emit(
    {
      name: 'event_delivery',
      size: f.people,
      value: f.deliveredPerSecond,
      unit: 'events/s',
      baseline: 'audit_writes_per_s',
      baselineValue: f.auditPerSecond,
    },
    kind,
  );
  emit({ name: 'event_fanout', size: f.people, value: f.fanOutPerSecond, unit: 'events/s' }, kind);
  emit({ name: 'events_drained_after_night', size: f.people, value: f.drainSeconds, unit: 's' }, kind);
  emit(
    { name: 'events_created_once_in_order', size: f.createdExpected, value: f.createdReceivedOnce, unit: 'events' },
    kind,
  );
  emit({ name: 'events_duplicates', size: f.people, value: f.duplicates, unit: 'events' }, kind);
  emit({ name: 'events_out_of_order', size: f.people, value: f.outOfOrder, unit: 'events' }, kind);
  emit({ name: 'events_unverified', size: f.people, value: f.refused, unit: 'deliveries' }, kind);
  // the second night's unallocations (its leavers, and pupils who moved school) as the audit has them, and received
  emit({ name: 'events_leavers', size: f.people, value: f.leavers, unit: 'people' }, kind);
  emit(
    {
      name: 'events_unallocated_received',
      size: f.unallocationsAudited,
      value: f.unallocationsReceived,
      unit: 'events',
    },
    kind,
  );
}

async function main(): Promise<void> {
  if (args['write-match-set']) {
    const set = labelledSet(7, 10_000);
    const probes = set.probes.map(({ person, truth, cause }, i) => ({ id: `p${i}`, person, truth, cause }));
    writeFileSync(args['write-match-set'], JSON.stringify({ ...set, probes }));
    return;
  }
  if (args['match-set']) {
    // a labelled set from a file: matching figures only, no store
    matchingBench(args.runs ?? 1, loadMatchSet(args['match-set']), 'none');
    return;
  }
  const { store, close } = await openBenchStore(logger);
  const defaultSizes = args.quick ? [1000] : store.kind === 'mongodb' ? [1000, 10_000, 100_000] : [1000, 10_000];
  const sizes = args.sizes ? args.sizes.split(',').map(Number) : defaultSizes;
  try {
    process.stderr.write(
      `uso-autoupdate bench on ${store.kind}, node ${machine.node}, ${machine.cores} cores; sizes ${sizes.join(', ')}\n`,
    );
    if (args.events) await eventsBench(store, args.events);
    else {
      if (!args.cold) await warmUp(store);
      for (const size of sizes) await syncBench(store, size);
      matchingBench(args.runs ?? (args.quick ? 3 : 5), labelledSet(7, args.quick ? 2000 : 10_000), store.kind);
      await eventsBench(store, args.quick ? 1000 : 10_000);
    }
  } finally {
    await close();
  }
  const rows = results.map((r) => [
    String(r.name),
    String(r.size),
    `${r.value} ${r.unit}`,
    r.baseline ? `${r.baseline} ${r.baselineValue}` : '',
    r.ratio !== undefined ? `x${r.ratio}` : '',
    r.writes !== undefined ? String(r.writes) : '',
  ]);
  const head = ['FIGURE', 'SIZE', 'VALUE', 'BASELINE', 'RATIO', 'WRITES'];
  process.stderr.write(`${table([head, ...rows])}\n`);
}

await main();
