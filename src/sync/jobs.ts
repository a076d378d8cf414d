// Agenda jobs on the same store: hourly discovery of Datashare grants, each school's weekday-evening export
// followed by its processing, force runs, and coalesced webhook runs. Agenda runs a job at least once, not
// exactly once: a repeated delivery is absorbed by the run's unique key (one per school and night) and the
// per-school lease, and long jobs renew their lock.
import { Agenda, exponential, type Job } from 'agenda';
import { MongoBackend } from '@agendajs/mongo-backend';
import type { Db } from 'mongodb';
import { asUsoError, isUsoError, type ErrorCode } from '../errors.js';
import type { School } from '../domain/model.js';
import type { ReportName } from '../domain/records.js';
import { noteDroppedReports } from './revocation.js';
import type { Logger } from '../log.js';
import { lastProcessedExport } from '../store/exports.js';
import { audit } from '../store/audit.js';
import { runByKey } from '../store/runs.js';
import { claimOnce, releaseClaim } from '../store/leases.js';
import { getSchool, globalPause, listSchools, updateSchool, upsertSchool } from '../store/schools.js';
import { todayIn } from '../domain/dates.js';
import type { IntegrisClient } from './integris/client.js';
import { processExport, recordFailedExport, takeExport, type RunSummary } from './process.js';
import { recoverInterruptedRuns } from './recovery.js';
import { filePending } from './lookalike-filing.js';

export const JOB_COLLECTION = 'agendaJobs';

export interface SchedulerOptions {
  db: Db;
  logger: Logger;
  integris?: IntegrisClient;
  timeZone: string;
  /** Schools processed at once, across the whole night. */
  concurrency: number;
  /** Minutes between a nightly export and its processing. */
  processDelayMinutes: number;
  /** How long records.changed webhooks for one school are gathered into one run. */
  coalesceMs?: number;
  processEvery?: number | string;
  /** Told of each finished run and of revoked grants (the chat outbox, later). */
  onRun?: (run: RunSummary) => Promise<void> | void;
  /** A school's export or processing failed (told once per attempt; the listener says it once per episode). */
  onRunFailed?: (dfeNumber: string, code: ErrorCode) => Promise<void> | void;
  onRevoked?: (dfeNumber: string) => Promise<void> | void;
  /** A school granted access again after a revoke. */
  onGranted?: (dfeNumber: string) => Promise<void> | void;
  /** A school accepts no report yet, so nothing is exported: its head is asked to choose. */
  onNothingAccepted?: (dfeNumber: string) => Promise<void> | void;
  /** Reports a school stopped sharing, or shares again. */
  onReportsChanged?: (dfeNumber: string, change: { unshared: string[]; shared: string[] }) => Promise<void> | void;
  now?: () => Date;
  /** Aborted at shutdown: runs in progress stop at a batch boundary and are settled as failed. */
  signal?: AbortSignal;
}

interface ExportJobData {
  dfeNumber: string;
  trigger: 'nightly' | 'webhook' | 'force';
  updatedSince?: string;
}

interface ProcessJobData {
  dfeNumber: string;
  seq: number;
  trigger: 'nightly' | 'webhook' | 'force';
  runKey?: string;
}

/** Every Agenda job's name: the scheduler's own, and those the service defines beside them. */
export const JOB = {
  export: 'integris:export',
  process: 'integris:process',
  discover: 'integris:discover',
  recover: 'runs:recover',
  deliverEvents: 'events:deliver',
  deliverOutbox: 'outbox:deliver',
  digest: 'chat:digest',
  retention: 'retention',
} as const;

/** The weekday cron for a school's HH:MM export time (local time of the scheduler's zone). */
export function nightlyCron(exportTime: string): string {
  const [hh, mm] = exportTime.split(':');
  return `${Number(mm)} ${Number(hh)} * * 1-5`;
}

export class Scheduler {
  readonly agenda: Agenda;
  private readonly now: () => Date;

  constructor(private readonly options: SchedulerOptions) {
    this.now = options.now ?? (() => new Date());
    this.agenda = new Agenda({
      backend: new MongoBackend({ mongo: options.db, collection: JOB_COLLECTION }),
      processEvery: options.processEvery ?? '10 seconds',
      maxConcurrency: options.concurrency * 2 + 1,
      defaultLockLifetime: 10 * 60_000,
    });
    const backoff = exponential({ delay: 60_000, maxDelay: 30 * 60_000, maxRetries: 5, jitter: 0.2 });
    this.agenda.define<ExportJobData>(JOB.export, (job) => this.exportJob(job), {
      concurrency: options.concurrency,
      backoff,
    });
    this.agenda.define<ProcessJobData>(JOB.process, (job) => this.processJob(job), {
      concurrency: options.concurrency,
      backoff,
    });
    this.agenda.define(JOB.discover, () => this.discover(), { concurrency: 1 });
    // the sweep settles runs a stopped process left, then files the accounts first syncs left for the index
    this.agenda.define(
      JOB.recover,
      async () => {
        await recoverInterruptedRuns(options.db, options.logger);
        await filePending(options.db);
      },
      { concurrency: 1 },
    );
    this.agenda.on('error', (err) => options.logger.error({ err: { message: err.message } }, 'scheduler error'));
    this.agenda.on('fail', (err, job) => {
      const data = job.attrs.data as { dfeNumber?: string } | undefined;
      options.logger.warn(
        {
          job: job.attrs.name,
          dfeNumber: data?.dfeNumber,
          code: isUsoError(err) ? err.code : 'internal',
          failCount: job.attrs.failCount,
        },
        'job failed',
      );
    });
  }

  async start(): Promise<void> {
    // runs a stopped process left `running` are settled at once, and then every few minutes (a lease may expire later)
    await recoverInterruptedRuns(this.options.db, this.options.logger);
    await this.agenda.start();
    await this.agenda.every('5 minutes', JOB.recover);
    if (this.options.integris)
      await this.agenda.every('0 * * * *', JOB.discover, undefined, { timezone: this.options.timeZone });
    for (const school of await listSchools(this.options.db)) {
      if (school.grant.state !== 'revoked') await this.scheduleNightly(school.dfeNumber, school.settings.exportTime);
    }
  }

  async stop(): Promise<void> {
    await this.agenda.stop();
  }

  /** Registers a school's weekday export; an existing schedule is left as it is (insertOnly keeps a running job locked). */
  async scheduleNightly(dfeNumber: string, exportTime: string): Promise<void> {
    await this.agenda
      .create<ExportJobData>(JOB.export, { dfeNumber, trigger: 'nightly' })
      .repeatEvery(nightlyCron(exportTime), { timezone: this.options.timeZone })
      .unique({ 'data.dfeNumber': dfeNumber, 'data.trigger': 'nightly' }, { insertOnly: true })
      .save();
  }

  async unscheduleNightly(dfeNumber: string): Promise<void> {
    await this.agenda.cancel({ name: JOB.export, data: { dfeNumber, trigger: 'nightly' } });
  }

  /** A force run: the same export and process jobs, now. */
  async runNow(dfeNumber: string): Promise<void> {
    await this.agenda.now<ExportJobData>(JOB.export, { dfeNumber, trigger: 'force' });
  }

  /** Gathers a school's change notifications: many within the window give one run. */
  async recordsChanged(dfeNumber: string): Promise<void> {
    const window = this.options.coalesceMs ?? 2 * 60_000;
    await this.agenda
      .create<ExportJobData>(JOB.export, { dfeNumber, trigger: 'webhook' })
      .unique({ 'data.dfeNumber': dfeNumber, 'data.trigger': 'webhook' })
      .debounce(window, { maxWait: window * 5 })
      .save();
  }

  private nightKey(dfeNumber: string): string {
    return `${dfeNumber}:${todayIn(this.options.timeZone, this.now())}:nightly`;
  }

  private async exportJob(job: Job<ExportJobData>): Promise<void> {
    const { dfeNumber, trigger } = job.attrs.data;
    const { db } = this.options;
    const school = await getSchool(db, dfeNumber);
    if (!school || school.grant.state === 'revoked') return;
    if (school.acceptedReports.length === 0) {
      // nothing to read until a head accepts a report: said to the school once, not a failure
      await this.options.onNothingAccepted?.(dfeNumber);
      return;
    }
    const deps = {
      db,
      logger: this.options.logger,
      integris: this.options.integris,
      timeZone: this.options.timeZone,
      now: this.now,
    };
    // a paused school (or every school paused) exports nothing: its run is recorded as skipped, and no copy of the
    // school's data is taken that nothing would use
    if (school.settings.paused || (await globalPause(db)).paused) {
      await processExport(deps, dfeNumber, { trigger });
      return;
    }
    const runKey = trigger === 'nightly' ? this.nightKey(dfeNumber) : undefined;
    if (runKey && !(await this.claimNight(runKey))) return; // another worker has this night
    const updatedSince = trigger === 'webhook' ? (await lastProcessedExport(db, dfeNumber))?.exportedAt : undefined;
    let meta;
    try {
      meta = await this.withTouch(job, () => takeExport(deps, dfeNumber, { updatedSince }));
    } catch (err) {
      // a failed export is a failed run in `uso status`; Agenda retries the job with backoff
      const e = await recordFailedExport(
        db,
        dfeNumber,
        trigger,
        err,
        `export failed (attempt ${(job.attrs.failCount ?? 0) + 1})`,
      );
      if (runKey) await releaseClaim(db, `night:${runKey}`);
      await this.told(dfeNumber, e.code);
      throw e;
    }
    const delay = trigger === 'nightly' ? this.options.processDelayMinutes * 60_000 : 0;
    const data: ProcessJobData = { dfeNumber, seq: meta.seq, trigger, ...(runKey ? { runKey } : {}) };
    if (delay > 0) await this.agenda.schedule(new Date(this.now().getTime() + delay), JOB.process, data);
    else await this.agenda.now(JOB.process, data);
  }

  private async processJob(job: Job<ProcessJobData>): Promise<void> {
    const { dfeNumber, seq, trigger, runKey } = job.attrs.data;
    const deps = {
      db: this.options.db,
      logger: this.options.logger,
      timeZone: this.options.timeZone,
      now: this.now,
      signal: this.options.signal,
    };
    let run: RunSummary;
    try {
      run = await this.withTouch(job, () =>
        processExport(deps, dfeNumber, { trigger, seq, ...(runKey ? { runKey } : {}) }),
      );
    } catch (err) {
      await this.told(dfeNumber, asUsoError(err).code);
      throw err;
    }
    if (run.runId) await this.options.onRun?.(run);
  }

  /** Tells the listener of a failure; a run stopped by shutdown is not one (it is picked up again). */
  private async told(dfeNumber: string, code: ErrorCode): Promise<void> {
    if (code === 'run_interrupted') return;
    await Promise.resolve(this.options.onRunFailed?.(dfeNumber, code)).catch((err: Error) =>
      this.options.logger.warn({ dfeNumber, err: { message: err.message } }, 'telling of a failed run failed'),
    );
  }

  /** A school's grant as it was and as it is now: tells the listener of a restored grant and of reports un-shared. */
  async grantChanged(before: School | undefined, after: School): Promise<void> {
    if (!before) return;
    if (before.grant.state === 'revoked' && after.grant.state === 'granted')
      await this.options.onGranted?.(after.dfeNumber);
    const was = new Set(before.grant.permissions ?? before.acceptedReports);
    const now = new Set(after.grant.permissions ?? after.acceptedReports);
    const unshared = [...was].filter((r) => !now.has(r));
    const shared = [...now].filter((r) => !was.has(r));
    if (unshared.length || shared.length) {
      await audit(this.options.db, {
        at: this.now(),
        actor: 'integris',
        action: 'school.report_changed',
        dfeNumber: after.dfeNumber,
        detail: [
          unshared.length && `no longer shared: ${unshared.join(', ')}`,
          shared.length && `shared: ${shared.join(', ')}`,
        ]
          .filter(Boolean)
          .join('; '),
      });
      await noteDroppedReports(this.options.db, after, {
        dropped: unshared as ReportName[],
        back: shared.filter((r) => after.acceptedReports.includes(r as ReportName)) as ReportName[],
      });
      await this.options.onReportsChanged?.(after.dfeNumber, { unshared, shared });
    }
  }

  /** Creates or updates schools from their grants; a school that is no longer listed has revoked access. */
  async discover(): Promise<{ granted: string[]; revoked: string[] }> {
    if (!this.options.integris) return { granted: [], revoked: [] };
    const { db } = this.options;
    const grants = await this.options.integris.listSchools();
    const listed = new Set(grants.map((g) => g.dfeNumber));
    const granted: string[] = [];
    for (const g of grants) {
      const existing = await getSchool(db, g.dfeNumber);
      // a new school reads nothing until its head accepts reports (the operator may pre-accept with `uso schools set`)
      const accepted = existing ? existing.acceptedReports.filter((r) => g.permissions.includes(r)) : [];
      const school = await upsertSchool(db, {
        dfeNumber: g.dfeNumber,
        name: g.name,
        laCode: g.laCode,
        acceptedReports: accepted,
        grant: { state: 'granted', grantedAt: g.grantedAt, permissions: g.permissions },
      });
      if (existing?.grant.state !== 'granted') granted.push(g.dfeNumber);
      await this.grantChanged(existing, school);
      if (school.acceptedReports.length === 0) await this.options.onNothingAccepted?.(g.dfeNumber);
      await this.scheduleNightly(g.dfeNumber, school.settings.exportTime);
    }
    const revoked: string[] = [];
    for (const school of await listSchools(db)) {
      if (school.grant.state === 'granted' && !listed.has(school.dfeNumber)) {
        await this.revoke(school.dfeNumber);
        revoked.push(school.dfeNumber);
      }
    }
    return { granted, revoked };
  }

  async revoke(dfeNumber: string): Promise<void> {
    const school = await getSchool(this.options.db, dfeNumber);
    if (!school) return;
    await updateSchool(this.options.db, dfeNumber, {
      grant: { ...school.grant, state: 'revoked', revokedAt: this.now().toISOString() },
    });
    await this.unscheduleNightly(dfeNumber);
    await audit(this.options.db, { at: this.now(), actor: 'integris', action: 'school.grant_revoked', dfeNumber });
    await this.options.onRevoked?.(dfeNumber);
  }

  /**
   * One worker per school night, even where the store's findAndModify is not atomic across connections (FerretDB
   * 1.x can hand one due job to two schedulers); a dead worker's claim is taken over after a job lock's lifetime.
   */
  private claimNight(runKey: string): Promise<boolean> {
    // a night whose run failed (or was interrupted and settled as failed) is not done: its retry exports again
    const done = async () => ((await runByKey(this.options.db, runKey))?.status ?? 'failed') !== 'failed';
    return claimOnce(this.options.db, `night:${runKey}`, 10 * 60_000, done, this.now());
  }

  /** Keeps the job's lock alive while long work runs, so another worker does not take it over. */
  private async withTouch<T>(job: Job<unknown>, work: () => Promise<T>): Promise<T> {
    const timer = setInterval(() => void job.touch().catch(() => {}), 60_000);
    try {
      return await work();
    } finally {
      clearInterval(timer);
    }
  }
}
