// Runs one school: take (or fetch) an export, plan it against the store, apply it, and record the run. A lease
// keeps two runs of one school apart (renewed by a heartbeat while the run lives); a runKey makes a repeated
// delivery of the same job a no-op. The plan's outcomes are recorded before they are applied; a run that stops half
// way (error, store stall, shutdown signal, crash) is settled as failed with its writes audited, and the next run
// of the same export applies the rest.
import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import type { GuardFired } from '../domain/outcomes.js';
import { audit } from '../store/audit.js';
import { UsoError, asUsoError } from '../errors.js';
import type { Logger } from '../log.js';
import { recordRun } from '../metrics.js';
import {
  currentRosters,
  keepRostersAfterRun,
  schoolRoster,
  schoolsTouched,
  type RosterRead,
} from '../store/accounts.js';
import { exportMeta, loadExport, markExportProcessed, saveExport, type ExportMeta } from '../store/exports.js';
import { exclusionKeys } from '../store/exclusions.js';
import { laPopulation } from '../store/la-population.js';
import { deleteExports } from '../store/retention.js';
import { letGo, renewLease, takeLease, type LetGo } from '../store/leases.js';
import { matchesForRun, recordAutoLinks, saveHeldMatches } from '../store/matches.js';
import { finishRun, recordPlan, startRun, type RunDoc } from '../store/runs.js';
import { getSchool, globalPause, updateSchool } from '../store/schools.js';
import { applyPlan } from './apply.js';
import { addDays, todayIn, type IsoDate } from '../domain/dates.js';
import type { IntegrisClient } from './integris/client.js';
import { type MisPerson } from './integris/people.js';
import { type ExportFile, type ReportName } from '../domain/records.js';
import type { Account, School } from '../domain/model.js';
import { plan } from './plan.js';
import { lookalikesElsewhere, type LookalikesFound } from './lookalike-search.js';
import { type Plan } from './plan-types.js';
import { RECHECK_MS, recoverInterruptedRuns, runLeaseKey, settleStoppedRun } from './recovery.js';
import { parseExport } from './parse-export.js';
import { storeSchoolData, settledAll } from './school-data.js';

export interface SyncDeps {
  db: Db;
  logger: Logger;
  integris?: IntegrisClient;
  timeZone?: string;
  now?: () => Date;
  /** Aborted when the process is shutting down: the run stops at the next batch boundary and is settled as failed. */
  signal?: AbortSignal;
}

export interface ProcessOptions {
  trigger: RunDoc['trigger'];
  /** Which stored export (default: the latest). */
  seq?: number;
  dryRun?: boolean;
  today?: IsoDate;
  /** Makes the run unique: a second run with the same key does nothing. */
  runKey?: string;
  /** The export just saved by the caller, taken as it is instead of being read back. */
  saved?: { meta: ExportMeta; file: ExportFile };
}

/** The reports a plan reads (groups give people their classes); contacts and attendance are read when they changed. */
const PLANNED_REPORTS: readonly ReportName[] = ['students', 'staff', 'groups'];

/** A school's run lease lives this long unless its heartbeat renews it (every third of it). */
const LEASE_MS = 2 * 60_000;

/** Fetches an export from Integris (or takes a given file) and stores it. */
export async function takeExport(
  deps: SyncDeps,
  dfeNumber: string,
  options: { file?: ExportFile; updatedSince?: string; today?: IsoDate } = {},
): Promise<ExportMeta> {
  return (await takeExportFile(deps, dfeNumber, options)).meta;
}

async function takeExportFile(
  deps: SyncDeps,
  dfeNumber: string,
  options: { file?: ExportFile; updatedSince?: string; today?: IsoDate },
): Promise<{ meta: ExportMeta; file: ExportFile }> {
  const school = await getSchool(deps.db, dfeNumber);
  if (!school)
    throw new UsoError('not_found', `school ${dfeNumber} is not known: import it with \`uso schools import\``);
  let file = options.file;
  if (!file) {
    if (!deps.integris)
      throw new UsoError(
        'integris_unavailable',
        'Integris is not configured (INTEGRIS_BASE_URL); give an export with --file',
      );
    const today = options.today ?? todayIn(deps.timeZone ?? 'Europe/London', deps.now?.() ?? new Date());
    file = await deps.integris.exportSchool(dfeNumber, school.acceptedReports, {
      updatedSince: options.updatedSince,
      from: addDays(today, -7),
      to: today,
    });
  }
  if (file.dfeNumber !== dfeNumber)
    throw new UsoError('payload_invalid', `the export is for ${file.dfeNumber}, not ${dfeNumber}`);
  return { meta: await saveExport(deps.db, file), file };
}

/**
 * Loads every account the plan may touch: the school's own (from its roster, with the epoch it is current at) and
 * its newcomers' look-alikes elsewhere in the LA.
 */
async function accountsForPlan(
  db: Db,
  dfeNumber: string,
  laCode: string,
  people: readonly MisPerson[],
  ownRoster: Promise<RosterRead & { accounts: Account[] }>,
): Promise<{ all: Account[]; roster: RosterRead; population?: number; counts?: LookalikesFound['counts'] }> {
  const { accounts: own, ...roster } = await ownRoster;
  const linked = new Set(
    own.flatMap((a) =>
      a.associations.filter((x) => x.dfeNumber === dfeNumber && x.misPersonId).map((x) => x.misPersonId!),
    ),
  );
  const newcomers = people.filter((p) => !linked.has(p.personId)).map((p) => p.fields);
  // a second read only when someone is new here (a night with no starters reads the school's accounts once), and it
  // returns only look-alikes from elsewhere: the school's own accounts are not sent twice
  if (newcomers.length === 0) return { all: own, roster };
  const [elsewhere, population] = await Promise.all([
    lookalikesElsewhere(db, laCode, dfeNumber, newcomers, new Set(own.map((a) => a.username))),
    laPopulation(db, laCode, dfeNumber, own.length),
  ]);
  return {
    all: [...own, ...elsewhere.accounts],
    roster,
    population,
    ...(elsewhere.counts ? { counts: elsewhere.counts } : {}),
  };
}

export interface RunSummary {
  runId: string;
  dfeNumber: string;
  status: RunDoc['status'];
  exportSeq?: number;
  counts: Plan['counts'] | Record<string, never>;
  outcomes: Plan['outcomes'];
  accountWrites: number;
  note?: string;
  /** The guards that held changes, with their numbers, and why the export was incomplete (what a summary says). */
  guards?: GuardFired[];
  incomplete?: string;
}

export async function processExport(deps: SyncDeps, dfeNumber: string, options: ProcessOptions): Promise<RunSummary> {
  const { db, logger } = deps;
  const now = deps.now?.() ?? new Date();
  const today = options.today ?? todayIn(deps.timeZone ?? 'Europe/London', now);
  const [school, pause, latest] = await Promise.all([
    getSchool(db, dfeNumber),
    globalPause(db),
    options.saved ? options.saved.meta : exportMeta(db, dfeNumber, options.seq),
  ]);
  if (!school) throw new UsoError('not_found', `school ${dfeNumber} is not known`);
  if (pause.paused || school.settings.paused) {
    const note = pause.paused
      ? `all runs are paused${pause.reason ? ` (${pause.reason})` : ''}`
      : 'runs for this school are paused';
    const run = await startRun(db, { dfeNumber, trigger: options.trigger, note });
    if (run) await finishRun(db, run._id, { status: 'skipped' });
    return { runId: run?._id ?? '', dfeNumber, status: 'skipped', counts: {}, outcomes: [], accountWrites: 0, note };
  }
  const meta = latest;
  if (!meta)
    throw new UsoError('not_found', `no stored export for ${dfeNumber}${options.seq ? ` #${options.seq}` : ''}`);

  const owner = randomUUID();
  const lease = await takeLease(db, runLeaseKey(dfeNumber), owner, LEASE_MS);
  if (!lease) throw new UsoError('run_in_progress', `a run for ${dfeNumber} is already in progress`);
  const heartbeat = setInterval(() => void renewLease(db, lease.key, owner, LEASE_MS).catch(() => {}), LEASE_MS / 3);
  heartbeat.unref();
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  let runId: string | undefined;
  // what the next run of the school looks for: until this one is settled, whatever the one before left
  let leaving: LetGo = lease.recover ? 'recover' : 'clean';
  try {
    // a run that an earlier process left half done is settled first, so this one (or a retry of its night) can go;
    // the lease says whether there may be one (its holder died, or a run stopped lately)
    if (lease.recover) await recoverInterruptedRuns(db, logger, { dfeNumber, now });
    leaving = 'clean';
    const run = await startRun(db, {
      dfeNumber,
      trigger: options.trigger,
      exportSeq: meta.seq,
      leaseOwner: owner,
      ...(options.runKey ? { runKey: options.runKey } : {}),
    });
    if (!run)
      return {
        runId: '',
        dfeNumber,
        status: 'skipped',
        counts: {},
        outcomes: [],
        accountWrites: 0,
        note: `already run (${options.runKey})`,
      };
    runId = run._id;
    const summary = await runPlanned(deps, school, meta, run, options, today, now);
    recordRun({ status: summary.status, trigger: options.trigger, seconds: seconds(), counts: summary.counts });
    return summary;
  } catch (err) {
    const e = asUsoError(err);
    if (runId) {
      recordRun({ status: 'failed', trigger: options.trigger, seconds: seconds() });
      // settled here, the next runs look for its late writes a while; unsettled, the next run settles it
      leaving = await settleStoppedRun(db, runId, { code: e.code, message: e.message }).then(
        (): LetGo => ({ stopped: { recheckMs: RECHECK_MS } }),
        (): LetGo => 'recover',
      );
      logger.error({ dfeNumber, runId, code: e.code }, 'school run failed');
    }
    throw e;
  } finally {
    clearInterval(heartbeat);
    await letGo(db, lease, leaving).catch(() => {});
  }
}

async function runPlanned(
  deps: SyncDeps,
  school: School,
  meta: ExportMeta,
  run: RunDoc,
  options: ProcessOptions,
  today: IsoDate,
  now: Date,
): Promise<RunSummary> {
  const { db } = deps;
  const dfeNumber = school.dfeNumber;
  const timings: Record<string, number> = {};
  const timed = async <T>(name: string, fn: () => Promise<T> | T): Promise<T> => {
    const t = performance.now();
    try {
      return await fn();
    } finally {
      timings[name] = Math.round(performance.now() - t);
    }
  };
  // what the plan reads from the store is read while the export is read and parsed
  const ownRoster = early(schoolRoster(db, dfeNumber));
  const known = early(Promise.all([exclusionKeys(db, dfeNumber), matchesForRun(db, dfeNumber)]));
  const loading = early(
    options.saved?.meta._id.equals(meta._id) === true
      ? Promise.resolve(options.saved.file)
      : timed('load', () => loadExport(db, meta, PLANNED_REPORTS)),
  );
  // the school's contacts, groups and attendance depend on the export alone: they are stored (when they changed)
  // while the plan is made and applied, and the run waits for them before it ends, whatever happens
  const schoolData = options.dryRun
    ? undefined
    : early(timed('school_data', () => storeSchoolData(db, school, meta, loading, today)));
  try {
    return await planAndApply(
      deps,
      { school, meta, run, options, today, now, timings, timed },
      {
        ownRoster,
        known,
        loading,
        schoolData,
      },
    );
  } finally {
    await schoolData?.catch(() => {});
  }
}

interface RunContext {
  school: School;
  meta: ExportMeta;
  run: RunDoc;
  options: ProcessOptions;
  today: IsoDate;
  now: Date;
  timings: Record<string, number>;
  timed: <T>(name: string, fn: () => Promise<T> | T) => Promise<T>;
}

async function planAndApply(
  deps: SyncDeps,
  ctx: RunContext,
  started: {
    ownRoster: Promise<RosterRead & { accounts: Account[] }>;
    known: Promise<[Set<string>, Awaited<ReturnType<typeof matchesForRun>>]>;
    loading: Promise<ExportFile>;
    schoolData: Promise<unknown> | undefined;
  },
): Promise<RunSummary> {
  const { db, logger } = deps;
  const { school, meta, run, options, today, now, timings, timed } = ctx;
  const dfeNumber = school.dfeNumber;
  const { ownRoster, known } = started;
  const file = await started.loading;
  // the reads started above go out before the parse holds the thread, so the store answers them meanwhile
  await new Promise((go) => setImmediate(go));
  const parsed = parseExport(file, school.acceptedReports, today, meta.counts);
  const read = await timed('read', () => accountsForPlan(db, dfeNumber, school.laCode, parsed.people, ownRoster));
  const [exclusions, matches] = await known;
  const result = await timed('plan', () =>
    plan({
      school,
      people: parsed.people,
      invalid: parsed.invalid,
      fullReports: parsed.fullReports,
      complete: parsed.complete,
      accounts: read.all,
      ...(read.population !== undefined ? { population: read.population } : {}),
      ...(read.counts ? { counts: read.counts } : {}),
      exclusions,
      createAnyway: matches.createAnyway,
      keepHeld: matches.keepHeld,
      today,
      now: now.toISOString(),
    }),
  );
  if (options.dryRun) {
    await finishRun(db, run._id, {
      status: 'dry_run',
      counts: result.counts,
      outcomes: result.outcomes,
      timings,
      accountWrites: 0,
    });
    return {
      runId: run._id,
      dfeNumber,
      status: 'dry_run',
      exportSeq: meta.seq,
      counts: result.counts,
      outcomes: result.outcomes,
      accountWrites: 0,
    };
  }
  deps.signal?.throwIfAborted();
  // the outcomes are recorded before anything is written (what recovery audits from); with nothing to write, they
  // are recorded once, at the end
  if (result.creates.length || result.updates.length) await recordPlan(db, run._id, result);
  // the rosters this run's writes touch are kept current from them: its own, and those of other schools it updates
  const rosters = await currentRosters(db, schoolsTouched(dfeNumber, result.updates));
  rosters.set(dfeNumber, read.roster);
  // the school's contacts, groups and attendance do not depend on its accounts: they are stored while the plan is
  // applied (both finish before the run does, whichever fails)
  const [applied] = await settledAll([
    timed('apply', async () => {
      const done = await applyPlan(db, result, {
        school,
        runId: run._id,
        signal: deps.signal,
        now: now.toISOString(),
      });
      const sizes = await keepRostersAfterRun(db, rosters, {
        moved: done.moved,
        updates: result.updates,
        created: result.creates.flatMap((c) => {
          const username = done.created.get(c.personId);
          return username ? [{ ...c.account, username }] : [];
        }),
      });
      // the LA's number of accounts counts this school's as they are now (a first night's schools start with none)
      const size = sizes.get(dfeNumber);
      if (size !== undefined && read.population !== undefined) await laPopulation(db, school.laCode, dfeNumber, size);
      return done;
    }),
    saveHeldMatches(
      db,
      dfeNumber,
      run._id,
      result.matches,
      new Set(parsed.people.map((p) => p.personId)),
      matches.open,
    ),
    started.schoolData,
  ] as const);
  // the newcomers this run linked by itself, as decided matches a person can undo (those the apply kept linked)
  const linked = new Set(
    result.outcomes.filter((o) => o.outcome === 'auto_matched').map((o) => `${o.personId}|${o.username}`),
  );
  const autoLinks = result.autoLinked.filter((l) => linked.has(`${l.personId}|${l.username}`));
  if (autoLinks.length) await recordAutoLinks(db, dfeNumber, run._id, autoLinks, now);
  // people whose new account lost its identity to one made meanwhile by another run are held beside it
  if (applied.held?.length)
    await saveHeldMatches(db, dfeNumber, run._id, applied.held, new Set(parsed.people.map((p) => p.personId)), []);
  if (school.misChangePending) await updateSchool(db, dfeNumber, {}, ['misChangePending']);
  const note = parsed.incompleteReason
    ? `incomplete export (${parsed.incompleteReason}): unallocations held`
    : undefined;
  await settledAll([
    finishRun(db, run._id, {
      status: 'succeeded',
      counts: result.counts,
      outcomes: result.outcomes,
      held: result.held,
      ...(result.held.length ? { heldState: 'pending' as const } : {}),
      ...(result.guards.length ? { guards: result.guards } : {}),
      ...(parsed.incompleteReason ? { incomplete: parsed.incompleteReason } : {}),
      accountWrites: applied.accountWrites,
      timings,
      ...(note ? { note } : {}),
    }),
    markExportProcessed(db, meta, run._id),
    // the run's end is an event for subscribers (counts only)
    audit(db, {
      at: new Date(),
      actor: 'sync',
      action: 'run.finished',
      dfeNumber,
      runId: run._id,
      detail: Object.entries(result.counts)
        .filter(([, n]) => n)
        .map(([k, n]) => `${k} ${n}`)
        .join(', '),
    }),
  ]);
  logger.info(
    { dfeNumber, runId: run._id, counts: result.counts, writes: applied.accountWrites, ms: timings },
    'school run finished',
  );
  return {
    runId: run._id,
    dfeNumber,
    status: 'succeeded',
    exportSeq: meta.seq,
    counts: result.counts,
    outcomes: result.outcomes,
    accountWrites: applied.accountWrites,
    ...(note ? { note } : {}),
    ...(result.guards.length ? { guards: result.guards } : {}),
    ...(parsed.incompleteReason ? { incomplete: parsed.incompleteReason } : {}),
  };
}

/** A read started ahead of its use: a failure before it is awaited is the run's, not an unhandled rejection. */
function early<T>(read: Promise<T>): Promise<T> {
  read.catch(() => {});
  return read;
}

/** A failed export shows in `uso status` and chat as a failed run of the school, with its coded reason. */
export async function recordFailedExport(
  db: Db,
  dfeNumber: string,
  trigger: RunDoc['trigger'],
  err: unknown,
  note = 'export failed',
): Promise<UsoError> {
  const e = asUsoError(err);
  if (e.code === 'not_found' && !(await getSchool(db, dfeNumber))) return e; // no such school: nothing to record against
  const run = await startRun(db, { dfeNumber, trigger, note });
  if (run) await finishRun(db, run._id, { status: 'failed', error: { code: e.code, message: e.message } });
  return e;
}

/** Export (from Integris or a file) and process it: what `uso sync DFE` and a force run do. */
export async function syncSchool(
  deps: SyncDeps,
  dfeNumber: string,
  options: ProcessOptions & { file?: ExportFile; updatedSince?: string },
): Promise<RunSummary> {
  let saved: { meta: ExportMeta; file: ExportFile };
  try {
    saved = await takeExportFile(deps, dfeNumber, {
      file: options.file,
      updatedSince: options.updatedSince,
      today: options.today,
    });
  } catch (err) {
    throw await recordFailedExport(deps.db, dfeNumber, options.trigger, err);
  }
  const run = await processExport(deps, dfeNumber, { ...options, seq: saved.meta.seq, saved });
  // a dry run, or a run a pause skipped, leaves no export behind: nothing was done with it
  if (options.dryRun || run.status === 'skipped') await deleteExports(deps.db, [saved.meta._id]);
  return run;
}
