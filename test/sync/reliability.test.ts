// Nights that always finish: a big night of updates on the embedded store, a stalled store, a common (or
// non-Latin) name, a forged choice of account, and runs that stop half way.
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { match } from '../../src/bot/actions.js';
import { grantRole } from '../../src/bot/access.js';
import { accountsForSchool, getAccount } from '../../src/store/accounts.js';
import { insertAccounts, insertNewAccounts } from '../../src/store/account-inserts.js';
import { auditFor } from '../../src/store/audit.js';
import { takeLease } from '../../src/store/leases.js';
import { openMatches } from '../../src/store/matches.js';
import { getRun, lastRun, startRun } from '../../src/store/runs.js';
import { upsertSchool } from '../../src/store/schools.js';
import type { ExportFile, Student } from '../../src/domain/records.js';
import { processExport, syncSchool, takeExport, type SyncDeps } from '../../src/sync/process.js';
import { recoverInterruptedRuns } from '../../src/sync/recovery.js';
import { captureLogger } from '../helpers/log.js';
import { stallProxy } from '../helpers/stall-proxy.js';
import { useTestStore } from '../helpers/store.js';
import { manualLink, misLink, storedAccount } from '../helpers/people.js';

const ctx = useTestStore();
const log = captureLogger();
const TODAY = '2026-11-27';
let deps: SyncDeps;

const letters = (i: number) =>
  String.fromCharCode(97 + (i % 26), 97 + (Math.floor(i / 26) % 26), 97 + (Math.floor(i / 676) % 26));
const day = (i: number) => new Date(Date.UTC(2014, 8, 1) + i * 86_400_000).toISOString().slice(0, 10);

/** `n` pupils with names of their own (`family` keeps one school's pupils from looking like another's). */
function students(
  n: number,
  registrationGroup: string,
  family: string,
  name: (i: number) => { legalForename: string; legalSurname: string } = (i) => ({
    legalForename: `${family}a${letters(i)}`,
    legalSurname: `${family}${letters(i * 7)}`,
  }),
): Student[] {
  return Array.from({ length: n }, (_, i) => ({
    personId: `P${i}`,
    ...name(i),
    dateOfBirth: day(i),
    gender: 'F',
    yearGroup: '6',
    registrationGroup,
    admissionDate: '2020-09-03',
    enrolmentStatus: 'C',
  }));
}

function exportOf(dfeNumber: string, list: Student[], at = `${TODAY}T18:00:00Z`): ExportFile {
  return {
    dfeNumber,
    exportedAt: at,
    source: 'integris',
    reports: { students: list },
    completeness: { students: { totalRecords: list.length, pages: 1 } },
  };
}

async function school(dfeNumber: string, settings = {}) {
  await upsertSchool(ctx.store.db, {
    dfeNumber,
    name: `School ${dfeNumber}`,
    laCode: dfeNumber.slice(0, 3),
    acceptedReports: ['students'],
    settings,
  });
}

beforeAll(() => {
  deps = { db: ctx.store.db, logger: log.logger };
});

describe('a night with many changes at one school', () => {
  it('applies 1,000 account updates on the embedded store, each audited', async () => {
    await school('2094001', { updateThresholdPercent: 100 });
    const first = await syncSchool(deps, '2094001', {
      trigger: 'file',
      file: exportOf('2094001', students(1000, '6A', 'Kerr')),
      today: TODAY,
    });
    expect(first.counts.created).toBe(1000);
    // September: every pupil moves up a class
    const night = await syncSchool(deps, '2094001', {
      trigger: 'file',
      file: exportOf('2094001', students(1000, '7B', 'Kerr'), `${TODAY}T19:00:00Z`),
      today: TODAY,
    });
    expect(night.status).toBe('succeeded');
    expect(night.counts.updated).toBe(1000);
    expect(night.accountWrites).toBe(1000);
    const accounts = await accountsForSchool(ctx.store.db, '2094001');
    expect(accounts.every((a) => a.associations[0]!.registrationGroup === '7B')).toBe(true);
    const audited = await ctx.store.db
      .collection('audit')
      .countDocuments({ runId: night.runId, action: 'account.updated' });
    expect(audited).toBe(1000);
  });
});

describe('a store that stops answering', () => {
  let client: MongoClient;
  let proxy: Awaited<ReturnType<typeof stallProxy>>;
  beforeAll(async () => {
    proxy = await stallProxy(ctx.store.client.options.hosts.map((h) => `mongodb://${h.host}:${h.port}`)[0]!);
    client = new MongoClient(proxy.uri, {
      directConnection: true,
      socketTimeoutMS: 1500,
      serverSelectionTimeoutMS: 3000,
    });
    await client.connect();
  });
  afterAll(async () => {
    await client?.close();
    await proxy?.close();
  });

  it('fails the run with store_timeout within its deadline, audits what landed, and lets the next run finish the job', async () => {
    await school('2094002');
    const db = client.db(ctx.store.db.databaseName);
    const stalledDeps: SyncDeps = { db, logger: log.logger };
    proxy.stallOn((c) => c.name === 'insert' && c.collection === 'accounts');
    const file = exportOf('2094002', students(120, '5C', 'Mott'));
    await expect(syncSchool(stalledDeps, '2094002', { trigger: 'file', file, today: TODAY })).rejects.toMatchObject({
      code: 'store_timeout',
    });
    expect(proxy.stalled).toBe(1);
    const failed = (await lastRun(ctx.store.db, '2094002'))!;
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'store_timeout' } });
    // the lease was released: the school can run again at once, and the rest is applied
    const again = await processExport(stalledDeps, '2094002', { trigger: 'cli', today: TODAY });
    expect(again.status).toBe('succeeded');
    const accounts = await accountsForSchool(ctx.store.db, '2094002');
    expect(accounts).toHaveLength(120);
    const audited = await ctx.store.db
      .collection('audit')
      .countDocuments({ dfeNumber: '2094002', action: 'account.created' });
    expect(audited).toBe(120);
  });
});

describe('usernames', () => {
  it('gives 60 namesakes in Cyrillic script 60 accounts in one run, romanised, with no cap on the suffix', async () => {
    await school('2094003');
    const file = exportOf(
      '2094003',
      students(60, '1A', '', () => ({ legalForename: 'Олександр', legalSurname: 'Шевченко' })),
    );
    const run = await syncSchool(deps, '2094003', { trigger: 'file', file, today: TODAY });
    expect(run.status).toBe('succeeded');
    expect(run.counts.created).toBe(60);
    const names = (await accountsForSchool(ctx.store.db, '2094003')).map((a) => a.username).sort();
    expect(new Set(names).size).toBe(60);
    expect(names).toContain('oleksandr.shevchen');
    expect(names).toContain('oleksandr.shevchen60');
  });

  it('finds a free name past the 41st taken one, reading the taken names once instead of trying each', async () => {
    const taken = Array.from({ length: 45 }, (_, i) => (i === 0 ? 'mia.wong' : `mia.wong${i + 1}`));
    await insertAccounts(
      ctx.store.db,
      taken.map((username) => storedAccount(username, { legalForename: 'Mia', legalSurname: 'Wong' })),
    );
    const account = {
      kind: 'pupil' as const,
      legalForename: 'Mia',
      legalSurname: 'Wong',
      associations: [],
      status: 'active' as const,
      createdAt: TODAY,
      updatedAt: TODAY,
      latestMoveOrCreateAt: TODAY,
      version: 0,
    };
    const { assigned, failed } = await insertNewAccounts(
      ctx.store.db,
      [
        { key: 'a', base: 'mia.wong', account },
        { key: 'b', base: 'mia.wong', account },
      ],
      { stamp: { actor: 'test', at: new Date() } },
    );
    expect(failed.size).toBe(0);
    expect([...assigned.values()].sort()).toEqual(['mia.wong46', 'mia.wong47']);
  });

  it("reports a person whose account cannot be stored as that person's failure, and stores the others", async () => {
    const ok = {
      kind: 'pupil' as const,
      legalForename: 'Leo',
      legalSurname: 'Park',
      associations: [],
      status: 'active' as const,
      createdAt: TODAY,
      updatedAt: TODAY,
      latestMoveOrCreateAt: TODAY,
      version: 0,
    };
    const bad = { ...ok, $where: 'x' } as typeof ok; // a field name no store accepts
    const { assigned, failed } = await insertNewAccounts(
      ctx.store.db,
      [
        { key: 'good', base: 'leo.park', account: ok },
        { key: 'bad', base: 'leo.parkes', account: bad },
      ],
      { stamp: { actor: 'test', at: new Date() } },
    );
    expect(assigned.get('good')).toBe('leo.park');
    expect(failed.get('bad')).toMatch(/could not be stored/);
    expect(await getAccount(ctx.store.db, 'leo.parkes')).toBeUndefined();
  });
});

describe('choosing an account from chat', () => {
  it("refuses a forged choice of another school's pupil, and allows an offered candidate", async () => {
    const db = ctx.store.db;
    await school('2094010');
    await school('2094011');
    // a pupil of school B only, and school A's hand-made account
    await insertAccounts(db, [
      storedAccount('b.pupil', {
        legalForename: 'Nia',
        legalSurname: 'Hale',
        dateOfBirth: '2015-02-02',
        associations: [misLink('2094011', 'B1')],
      }),
      storedAccount('ava.lowe', {
        legalForename: 'Ava',
        legalSurname: 'Lowe',
        dateOfBirth: '2015-06-06',
        associations: [manualLink('2094010')],
      }),
    ]);
    // school A's export holds a look-alike of its own hand-made account
    const lookAlike: Student = {
      personId: 'A1',
      legalForename: 'Avah',
      legalSurname: 'Lowe',
      dateOfBirth: '2015-06-06',
      gender: 'F',
      admissionDate: TODAY,
      enrolmentStatus: 'C',
    };
    await syncSchool(deps, '2094010', { trigger: 'file', file: exportOf('2094010', [lookAlike]), today: TODAY });
    const held = await openMatches(db, '2094010');
    expect(held.map((m) => m.misPersonId)).toEqual(['A1']);
    expect(held[0]!.candidates.map((c) => c.username)).toEqual(['ava.lowe']);

    const contactA = { platform: 'slack' as const, workspace: 'T1', userId: 'UA', displayName: 'Contact A' };
    await grantRole(db, { platform: 'cli', userId: 'op', displayName: 'operator' }, '2094010', contactA, 'contact');
    await expect(
      match({ db }, contactA, { dfeNumber: '2094010', personId: 'A1', username: 'b.pupil' }),
    ).rejects.toMatchObject({ code: 'forbidden' });
    expect((await getAccount(db, 'b.pupil'))!.associations).toHaveLength(1);
    expect((await openMatches(db, '2094010')).length).toBe(1);

    await match({ db }, contactA, { dfeNumber: '2094010', personId: 'A1', username: 'ava.lowe' });
    expect((await getAccount(db, 'ava.lowe'))!.associations.some((x) => x.misPersonId === 'A1')).toBe(true);
  });
});

describe('a run that stops half way', () => {
  it('is settled on the next run: its writes audited, marked failed, and its night retried', async () => {
    const db = ctx.store.db;
    await school('2094020');
    const file = exportOf('2094020', students(30, '2B', 'Pryce'));
    // a process that died after writing: a running run with a dead lease, one account written but not audited
    await takeExport(deps, '2094020', { file, today: TODAY });
    const dead = (await startRun(db, {
      dfeNumber: '2094020',
      trigger: 'nightly',
      runKey: '2094020:night',
      leaseOwner: 'gone',
    }))!;
    await insertAccounts(db, [
      storedAccount('half.done', {
        legalForename: 'Half',
        legalSurname: 'Done',
        associations: [misLink('2094020', 'P0', { since: '2020-09-03' })],
      }),
    ]);
    await db
      .collection('accounts')
      .updateOne(
        { _id: 'half.done' as never },
        { $set: { lastChange: { actor: 'sync', runId: dead._id, at: new Date() } } },
      );
    expect(await takeLease(db, 'run:2094020', 'gone', 1, new Date(Date.now() - 60_000))).toBeDefined(); // expired already

    const retry = await processExport(deps, '2094020', { trigger: 'nightly', today: TODAY, runKey: '2094020:night' });
    expect(retry.status).toBe('succeeded');
    expect(retry.counts, JSON.stringify(retry.counts)).toMatchObject({ created: 29 }); // P0 was written by the dead run
    const settled = (await getRun(db, dead._id))!;
    expect(settled).toMatchObject({ status: 'failed', error: { code: 'run_interrupted' }, accountWrites: 1 });
    const entries = (await auditFor(db, { username: 'half.done' })).filter((e) => e.runId === dead._id);
    expect(entries.map((e) => e.action)).toEqual(['account.created']); // version 0: the dead run created it
    expect(entries[0]!.detail).toMatch(/audited on recovery/);
  });

  it("audits a write that lands after the run was settled (the dead process's last command still executing)", async () => {
    const db = ctx.store.db;
    const dead = (await startRun(db, { dfeNumber: '2094021', trigger: 'cli', leaseOwner: 'gone-too' }))!;
    await recoverInterruptedRuns(db, log.logger, { dfeNumber: '2094021' }); // settles it: no lease is held
    expect((await getRun(db, dead._id))?.status).toBe('failed');
    await insertAccounts(db, [
      storedAccount('late.write', { legalForename: 'Late', legalSurname: 'Write', version: 1 }),
    ]);
    await db
      .collection('accounts')
      .updateOne(
        { _id: 'late.write' as never },
        { $set: { lastChange: { actor: 'sync', runId: dead._id, at: new Date() } } },
      );
    await recoverInterruptedRuns(db, log.logger, { dfeNumber: '2094021' });
    expect((await auditFor(db, { username: 'late.write' })).map((e) => [e.action, e.runId])).toEqual([
      ['account.updated', dead._id],
    ]);
  });

  it('is looked for by the next run only when the lease says there may be one, and for a while after a stop', async () => {
    const db = ctx.store.db;
    await school('2094022');
    const watcher = new MongoClient(ctx.store.client.options.hosts.map((h) => `mongodb://${h.host}:${h.port}`)[0]!, {
      directConnection: true,
      monitorCommands: true,
    });
    await watcher.connect();
    const watched: SyncDeps = { db: watcher.db(db.databaseName), logger: log.logger };
    let historyReads = 0;
    watcher.on('commandStarted', (e) => {
      if (e.commandName === 'find' && e.command.find === 'runs') historyReads++;
    });
    const reads = async (run: () => Promise<unknown>) => {
      historyReads = 0;
      await run();
      return historyReads;
    };
    try {
      const file = exportOf('2094022', students(12, '3C', 'Quill'));
      await syncSchool(watched, '2094022', { trigger: 'file', file, today: TODAY });
      // the run before finished cleanly: nothing to look for
      expect(await reads(() => processExport(watched, '2094022', { trigger: 'cli', today: TODAY }))).toBe(0);

      // a run stopped by shutdown, settled by its own process
      const stopping = new AbortController();
      stopping.abort();
      await expect(
        processExport({ ...watched, signal: stopping.signal }, '2094022', { trigger: 'cli', today: TODAY }),
      ).rejects.toMatchObject({ code: 'run_interrupted' });
      const stopped = (await lastRun(db, '2094022'))!;
      expect(stopped.status).toBe('failed');
      // a write it had sent lands after it was settled
      const late = (await accountsForSchool(db, '2094022'))[0]!;
      await db
        .collection('accounts')
        .updateOne(
          { _id: late.username as never },
          { $set: { lastChange: { actor: 'sync', runId: stopped._id, at: new Date() } } },
        );
      // the next runs look for it (and audit it) while it may still land
      expect(await reads(() => processExport(watched, '2094022', { trigger: 'cli', today: TODAY }))).toBeGreaterThan(0);
      expect((await auditFor(db, { username: late.username })).map((e) => e.runId)).toContain(stopped._id);
      expect(await reads(() => processExport(watched, '2094022', { trigger: 'cli', today: TODAY }))).toBeGreaterThan(0);
    } finally {
      await watcher.close();
    }
  });

  it('leaves nothing running after a recovery sweep', async () => {
    await recoverInterruptedRuns(ctx.store.db, log.logger);
    expect(await ctx.store.db.collection('runs').countDocuments({ status: 'running' })).toBe(0);
  });
});
