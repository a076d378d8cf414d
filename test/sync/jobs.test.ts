// Agenda on the real store (FerretDB here): schedules across clock changes, force runs, two schedulers on one
// database, a job whose worker died, and webhooks coalesced into one run.
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/app.js';
import { upsertSchool } from '../../src/store/schools.js';
import { JOB_COLLECTION, Scheduler, nightlyCron } from '../../src/sync/jobs.js';
import { createSimulator } from '../../src/sync/integris/sim/simulator.js';
import { integrisWebhookRoutes } from '../../src/webhooks/index.js';
import { simulatedIntegris } from '../helpers/integris.js';
import { captureLogger } from '../helpers/log.js';
import { useTestStore } from '../helpers/store.js';

const ctx = useTestStore();
const { la, client } = simulatedIntegris({ schools: 4, seed: 5, la: undefined });
for (const s of la.schools) s.permissions = ['students', 'staff'];
const log = captureLogger();
const schedulers: Scheduler[] = [];

function scheduler(extra: Partial<ConstructorParameters<typeof Scheduler>[0]> = {}): Scheduler {
  const s = new Scheduler({
    db: ctx.store.db,
    logger: log.logger,
    integris: client,
    timeZone: 'Europe/London',
    concurrency: 2,
    processDelayMinutes: 0,
    processEvery: 200,
    ...extra,
  });
  schedulers.push(s);
  return s;
}

async function until<T>(what: () => Promise<T | undefined | false>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await what();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 200));
  }
}

const runsOf = (dfe: string) => ctx.store.db.collection('runs').find({ dfeNumber: dfe }).toArray();

beforeAll(async () => {
  for (const s of la.schools)
    await upsertSchool(ctx.store.db, {
      dfeNumber: s.dfeNumber,
      name: s.name,
      laCode: s.laCode,
      acceptedReports: ['students', 'staff'],
      grant: { state: 'granted' },
    });
});

afterEach(async () => {
  vi.useRealTimers();
  for (const s of schedulers.splice(0)) await s.stop().catch(() => {});
});

let nightlyCase = 0;

describe('Scheduler', () => {
  it.each([
    ['before the spring change, Friday', '2027-03-26T12:00:00Z', '2027-03-26T18:00:00.000Z'],
    ['after it, the Monday in summer time', '2027-03-26T19:00:00Z', '2027-03-29T17:00:00.000Z'],
    ['before the autumn change, Friday', '2027-10-29T12:00:00Z', '2027-10-29T17:00:00.000Z'],
    ['after it, the Monday in winter time', '2027-10-29T19:00:00Z', '2027-11-01T18:00:00.000Z'],
  ])('schedules 18:00 London on weekdays: %s', async (_name, now, expected) => {
    vi.useFakeTimers({ toFake: ['Date'], now: new Date(now) });
    const dfe = `2099${String(100 + nightlyCase++)}`; // a school of its own per case
    await scheduler().scheduleNightly(dfe, '18:00');
    const job = await ctx.store.db
      .collection(JOB_COLLECTION)
      .findOne({ name: 'integris:export', 'data.dfeNumber': dfe });
    expect(job?.nextRunAt?.toISOString()).toBe(expected);
    expect(job?.repeatInterval).toBe(nightlyCron('18:00'));
  });

  it('registers one nightly job per school however often it is asked', async () => {
    const s = scheduler();
    await s.scheduleNightly('2098888', '18:00');
    await s.scheduleNightly('2098888', '18:00');
    expect(
      await ctx.store.db
        .collection(JOB_COLLECTION)
        .countDocuments({ name: 'integris:export', 'data.dfeNumber': '2098888' }),
    ).toBe(1);
  });

  it('runs a force run through export and process jobs on the store', async () => {
    const school = la.schools[0]!;
    const s = scheduler();
    await s.start();
    await s.runNow(school.dfeNumber);
    const [run] = await until(async () => {
      const runs = await runsOf(school.dfeNumber);
      return runs.some((r) => r.status === 'succeeded') && runs;
    });
    expect(run).toMatchObject({ trigger: 'force', status: 'succeeded' });
  });

  it('processes a school once even with two schedulers on one database', async () => {
    const school = la.schools[1]!;
    const a = scheduler();
    const b = scheduler();
    await a.scheduleNightly(school.dfeNumber, '18:00');
    // make the night due now
    await ctx.store.db
      .collection(JOB_COLLECTION)
      .updateOne(
        { name: 'integris:export', 'data.dfeNumber': school.dfeNumber, 'data.trigger': 'nightly' },
        { $set: { nextRunAt: new Date(Date.now() - 1000) } },
      );
    await Promise.all([a.start(), b.start()]);
    await until(async () => (await runsOf(school.dfeNumber)).some((r) => r.status === 'succeeded'));
    await new Promise((r) => setTimeout(r, 2000));
    const runs = await runsOf(school.dfeNumber);
    expect(runs.filter((r) => r.trigger === 'nightly')).toHaveLength(1);
    expect(await ctx.store.db.collection('exports').countDocuments({ dfeNumber: school.dfeNumber })).toBe(1);
  });

  it('resumes a job whose worker died holding its lock', async () => {
    const school = la.schools[2]!;
    const dead = scheduler();
    await dead.agenda.now('integris:export', { dfeNumber: school.dfeNumber, trigger: 'force' });
    // the worker took the job 20 minutes ago and never finished: its 10-minute lock has expired
    await ctx.store.db.collection(JOB_COLLECTION).updateOne(
      { name: 'integris:export', 'data.dfeNumber': school.dfeNumber, 'data.trigger': 'force' },
      {
        $set: {
          lockedAt: new Date(Date.now() - 20 * 60_000),
          lastRunAt: new Date(Date.now() - 20 * 60_000),
          nextRunAt: new Date(Date.now() - 20 * 60_000),
        },
      },
    );
    expect(await runsOf(school.dfeNumber)).toHaveLength(0);
    const survivor = scheduler();
    await survivor.start();
    const runs = await until(async () => {
      const all = await runsOf(school.dfeNumber);
      return all.some((r) => r.status === 'succeeded') && all;
    });
    // the dead worker's job was taken over and run once, to the end
    expect(runs.map((r) => [r.trigger, r.status])).toEqual([['force', 'succeeded']]);
    const job = await ctx.store.db
      .collection(JOB_COLLECTION)
      .findOne({ name: 'integris:export', 'data.dfeNumber': school.dfeNumber });
    expect(job?.lockedAt ?? null).toBeNull();
  });

  it('turns a burst of signed records.changed webhooks from the simulator into exactly one run', async () => {
    const school = la.schools[3]!;
    const s = scheduler({ coalesceMs: 1500 });
    const secret = 'coalesce-secret-0001';
    const app = createApp({
      store: ctx.store,
      logger: log.logger,
      routes: [integrisWebhookRoutes({ db: ctx.store.db, logger: log.logger, secrets: [secret], scheduler: s })],
    });
    const sender = createSimulator({
      la,
      webhook: { url: 'http://service/webhooks/integris', secrets: [secret] },
      fetch: async (input, init) => app.request(new Request(input, init)),
    });
    await s.start();
    for (let i = 0; i < 4; i++)
      expect(
        await sender.sendWebhook({
          type: 'records.changed',
          dfeNumber: school.dfeNumber,
          data: { reports: ['students'] },
        }),
      ).toBe(200);
    await until(async () => (await runsOf(school.dfeNumber)).some((r) => r.status === 'succeeded'));
    await new Promise((r) => setTimeout(r, 3000));
    const runs = await runsOf(school.dfeNumber);
    expect(runs.filter((r) => r.trigger === 'webhook')).toHaveLength(1);
  });
});

describe('Scheduler failures', () => {
  it('shows a failed export as a failed run, and retries the job with backoff', async () => {
    const school = la.schools[0]!;
    const { sim, client: failing } = simulatedIntegris({ la, client: { maxRetries: 0 } });
    sim.revoke(school.dfeNumber);
    const s = scheduler({ integris: failing });
    await s.start();
    await s.runNow(school.dfeNumber);
    const failed = await until(async () => (await runsOf(school.dfeNumber)).find((r) => r.status === 'failed'));
    expect(failed.error).toMatchObject({ code: 'integris_access_revoked' });
    const job = await until(async () => {
      const j = await ctx.store.db.collection(JOB_COLLECTION).findOne({
        name: 'integris:export',
        'data.dfeNumber': school.dfeNumber,
        'data.trigger': 'force',
        failCount: { $gte: 1 },
      });
      return j ?? undefined;
    });
    expect(job.nextRunAt?.getTime()).toBeGreaterThan(Date.now() + 30_000); // retried later, not at once
  });
});
