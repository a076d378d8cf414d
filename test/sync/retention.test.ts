// Retention: ten nights through the simulator with EXPORT_KEEP_NIGHTS=3 leave exactly the last three processed
// exports (and their chunks), the latest can still be re-run, and old outcomes and finished bookkeeping go. A revoked
// school's data is erased after the grace period, unless it grants access again in time.
import { describe, expect, it } from 'vitest';
import { storeMessage } from '../../src/store/outbox.js';
import { attendanceOf, storeAttendance } from '../../src/store/schoolData.js';
import { firstSighting } from '../../src/store/events.js';
import { finishRun, getRun, recordPlan, startRun } from '../../src/store/runs.js';
import { upsertSchool } from '../../src/store/schools.js';
import { ageOneNight, generateLocalAuthority } from '../../src/sync/integris/sim/generator.js';
import { type SimSchool } from '../../src/sync/integris/sim/types.js';
import { createLinkCode, grantRole, redeemLinkCode } from '../../src/bot/access.js';
import * as alerts from '../../src/bot/alerts.js';
import { queueLaDigests } from '../../src/bot/notify.js';
import { Scheduler } from '../../src/sync/jobs.js';
import { erasureDay } from '../../src/sync/revocation.js';
import { processExport, syncSchool, takeExport } from '../../src/sync/process.js';
import { runRetention } from '../../src/sync/retention.js';
import { recordTeamsUser, teamsUserId, TEAMS_USER_KEEP_DAYS } from '../../src/store/web-sessions.js';
import { simulatedIntegris } from '../helpers/integris.js';
import { captureLogger } from '../helpers/log.js';
import { useTestStore } from '../helpers/store.js';

const ctx = useTestStore();

describe('retention', () => {
  it('keeps the last three processed exports of ten nights, and the latest still re-runs', async () => {
    const db = ctx.store.db;
    const { la, client } = simulatedIntegris({ schools: 1, seed: 5 });
    const s = la.schools[0]!;
    await upsertSchool(db, { dfeNumber: s.dfeNumber, name: s.name, laCode: s.laCode, acceptedReports: s.permissions });
    const deps = { db, logger: captureLogger().logger, integris: client };
    const runs: string[] = [];
    for (let night = 0; night < 10; night++) {
      if (night > 0) ageOneNight(la);
      runs.push((await syncSchool(deps, s.dfeNumber, { trigger: 'nightly', today: la.today })).runId);
    }
    const exports = () =>
      db
        .collection<{ seq: number; _id: unknown }>('exports')
        .find({ dfeNumber: s.dfeNumber })
        .sort({ seq: 1 })
        .toArray();
    expect((await exports()).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // an export stored but not processed yet is kept (until the bound for those: see retention-gaps.test.ts)
    const waiting = await takeExport(deps, s.dfeNumber, { today: la.today });
    expect(waiting.processedAt).toBeUndefined();

    const settings = { exportKeepNights: 3, runOutcomeKeepDays: 400, revokeGraceDays: 14 };
    const preview = await runRetention(db, settings, { dryRun: true });
    expect(preview).toMatchObject({ dryRun: true, exports: 7 });
    expect((await exports()).length).toBe(11); // a dry run removes nothing

    const report = await runRetention(db, settings);
    expect(report.exports).toBe(7);
    expect(report.exportChunks).toBeGreaterThan(7);
    expect((await exports()).map((e) => e.seq)).toEqual([8, 9, 10, 11]);
    const kept = (await exports()).map((e) => e._id);
    expect(await db.collection('exportChunks').countDocuments({ exportId: { $nin: kept } })).toBe(0);
    expect(await db.collection('audit').findOne({ action: 'retention.removed' })).toMatchObject({
      detail: expect.stringContaining('exports 7'),
    });
    expect(await runRetention(db, settings)).toMatchObject({ exports: 0, runOutcomes: 0 }); // idempotent

    const again = await processExport(deps, s.dfeNumber, { trigger: 'cli', seq: 10, today: la.today });
    expect(again.status).toBe('succeeded');
  });

  it("drops old runs' per-record outcomes (their counts stay), sent messages and expired ids", async () => {
    const db = ctx.store.db;
    const old = (await startRun(db, { dfeNumber: '2099000', trigger: 'cli' }))!;
    await recordPlan(db, old._id, {
      outcomes: [{ report: 'students', personId: 'P1', outcome: 'created' }],
      held: [],
      counts: { created: 1 },
    });
    await finishRun(db, old._id, { status: 'succeeded' });
    const later = new Date(Date.now() + 401 * 86_400_000);
    await storeMessage(
      db,
      'old-message',
      { platform: 'slack', workspace: 'T', conversation: 'C' },
      { text: 'x' },
      new Date(0),
    );
    await db
      .collection('outbox')
      .updateOne({ _id: 'old-message' } as never, { $set: { status: 'sent', sentAt: new Date(0) } });
    await firstSighting(db, 'evt:old', 1, 0);
    const report = await runRetention(
      db,
      { exportKeepNights: 3, runOutcomeKeepDays: 400, revokeGraceDays: 14 },
      { now: later },
    );
    expect(report.runOutcomes).toBeGreaterThanOrEqual(1);
    expect(report).toMatchObject({ sentMessages: 1, webhookEventIds: 1 });
    const run = await getRun(db, old._id);
    expect(run?.outcomes).toEqual([]);
    expect(run?.counts).toEqual({ created: 1 });
  });

  it("removes a Teams user's ids once they have not used the bot for a long time, and keeps them while they do", async () => {
    const db = ctx.store.db;
    const now = new Date('2026-12-07T09:00:00Z');
    await recordTeamsUser(db, 'tenant-r', 'aad-gone', '29:gone', now);
    await recordTeamsUser(db, 'tenant-r', 'aad-here', '29:here', now);
    const later = new Date(now.getTime() + (TEAMS_USER_KEEP_DAYS - 1) * 86_400_000);
    // one of them used the bot again the day before
    await recordTeamsUser(db, 'tenant-r', 'aad-here', '29:here', later);
    const policy = { exportKeepNights: 3, runOutcomeKeepDays: 400, revokeGraceDays: 14 };
    expect((await runRetention(db, policy, { now: later })).teamsUsers).toBe(0);
    const report = await runRetention(db, policy, { now: new Date(later.getTime() + 2 * 86_400_000) });
    expect(report.teamsUsers).toBe(1);
    expect(await teamsUserId(db, 'tenant-r', 'aad-gone')).toBeUndefined();
    expect(await teamsUserId(db, 'tenant-r', 'aad-here')).toBe('29:here');
  });
});

describe('attendance retention', () => {
  it("keeps each school's attendanceRetentionDays of marks, dropping older days as new marks arrive", async () => {
    const db = ctx.store.db;
    const day = (n: number) => new Date(Date.UTC(2026, 9, 1) + n * 86_400_000).toISOString().slice(0, 10);
    const marks = (from: number, to: number) =>
      Array.from({ length: to - from + 1 }, (_, i) => ({
        studentPersonId: 'A1',
        date: day(from + i),
        session: 'AM' as const,
        mark: '/',
      }));
    const asExported = (m: ReturnType<typeof marks>) => ({ exported: m, parse: () => m });
    await storeAttendance(db, '2099100', asExported(marks(0, 39)), day(5));
    expect((await attendanceOf(db, '2099100')).map((m) => m.date)).toEqual(marks(5, 39).map((m) => m.date));
    // a later night: the window moves on, and the stored days before it are deleted, not just hidden
    await storeAttendance(db, '2099100', asExported(marks(30, 49)), day(15));
    expect((await attendanceOf(db, '2099100')).map((m) => m.date)[0]).toBe(day(15));
    expect(
      await db
        .collection('attendance')
        .countDocuments({ _id: { $in: marks(0, 14).map((m) => `2099100:${m.date}`) } } as never),
    ).toBe(0);
  });
});

describe('revocation', () => {
  it("erases a revoked school's data after the grace period and holds its leavers, said once; a re-grant in time cancels it", async () => {
    const db = ctx.store.db;
    const la = generateLocalAuthority({ seed: 21, schools: 2, laCode: '873' });
    const { sim, client } = simulatedIntegris({ la });
    const [a, b] = la.schools as [SimSchool, SimSchool];
    for (const s of [a, b]) {
      s.permissions = ['students', 'staff', 'contacts', 'groups', 'attendance'];
      await upsertSchool(db, {
        dfeNumber: s.dfeNumber,
        name: s.name,
        laCode: s.laCode,
        acceptedReports: s.permissions,
        grant: { state: 'granted', permissions: s.permissions },
      });
    }
    const deps = { db, logger: captureLogger().logger, integris: client };
    for (const s of [a, b]) await syncSchool(deps, s.dfeNumber, { trigger: 'nightly', today: la.today });
    const code = await createLinkCode(db, a.dfeNumber, { platform: 'cli', userId: 'ops', displayName: 'ops' });
    await redeemLinkCode(
      db,
      code,
      { platform: 'slack', workspace: 'T9', userId: 'UH', displayName: 'head' },
      { platform: 'slack', workspace: 'T9', conversation: 'C9' },
    );
    await grantRole(db, { platform: 'cli', userId: 'ops', displayName: 'ops' }, a.dfeNumber, 'slack:T9:ULA', 'la');
    const dataOf = async (dfe: string) =>
      (await db.collection('contacts').countDocuments({ _id: { $regex: `^${dfe}:` } } as never)) +
      (await db.collection('groups').countDocuments({ _id: { $regex: `^${dfe}:` } } as never)) +
      (await db.collection('attendance').countDocuments({ _id: { $regex: `^${dfe}:` } } as never));
    expect(await dataOf(a.dfeNumber)).toBeGreaterThan(0);
    expect(await dataOf(b.dfeNumber)).toBeGreaterThan(0);

    // both schools withdraw access; the hourly discovery sees it twice; then b grants it again
    const revokedOn = new Date();
    const eraseOn = erasureDay(revokedOn.toISOString(), 14);
    const scheduler = new Scheduler({
      db,
      logger: captureLogger().logger,
      integris: client,
      timeZone: 'Europe/London',
      concurrency: 1,
      processDelayMinutes: 0,
      onRevoked: async (dfe) => void (await alerts.grantRevoked(db, dfe, eraseOn)),
      onGranted: async (dfe) => void (await alerts.grantRestored(db, dfe)),
    });
    await scheduler.agenda.ready;
    sim.revoke(a.dfeNumber);
    sim.revoke(b.dfeNumber);
    expect((await scheduler.discover()).revoked.sort()).toEqual([a.dfeNumber, b.dfeNumber].sort());
    expect((await scheduler.discover()).revoked).toEqual([]);
    sim.grant(b.dfeNumber);
    await scheduler.discover();
    await scheduler.stop();
    const told = await db
      .collection('outbox')
      .find({ _id: { $regex: '^notice:grant_revoked' } } as never)
      .toArray();
    expect(told).toHaveLength(1); // a's one channel, once
    expect(told[0]!.message.text).toContain('Integris Datashare access was withdrawn');
    expect(JSON.stringify(told[0]!.message)).toContain(`Unless access is granted again before ${eraseOn}`);
    expect(await queueLaDigests(db, la.today)).toBe(1);
    expect(
      (await db.collection('outbox').findOne({ _id: `digest:${la.today}:slack:T9:ULA` } as never))?.message.text,
    ).toContain(`Datashare access withdrawn (data erased on ${eraseOn} unless granted again)`);

    // inside the grace period nothing is erased
    const settings = { exportKeepNights: 7, runOutcomeKeepDays: 400, revokeGraceDays: 14 };
    expect(await runRetention(db, settings, { now: new Date(revokedOn.getTime() + 13 * 86_400_000) })).toMatchObject({
      revokedSchools: 0,
    });
    expect(await dataOf(a.dfeNumber)).toBeGreaterThan(0);
    // after it: a's contacts, groups, attendance and exports go; its accounts are held for unallocation behind the guard
    const after = new Date(revokedOn.getTime() + 15 * 86_400_000);
    expect(await runRetention(db, settings, { now: after })).toMatchObject({ revokedSchools: 1 });
    expect(await dataOf(a.dfeNumber)).toBe(0);
    const left = await db.collection('exports').find({ dfeNumber: a.dfeNumber }).toArray();
    expect(left).toHaveLength(1); // the empty export that ended the school's associations, holding no one
    expect(await db.collection('exportChunks').countDocuments({ exportId: left[0]!._id })).toBe(0);
    const leaving = await db
      .collection('runs')
      .find({ dfeNumber: a.dfeNumber })
      .sort({ startedAt: -1 })
      .limit(1)
      .next();
    expect(leaving?.counts?.held_unallocation).toBeGreaterThan(0);
    expect(leaving?.guards?.[0]).toMatchObject({ change: 'unallocation', cause: 'threshold' });
    expect(await db.collection('accounts').countDocuments({ schools: a.dfeNumber, status: 'unallocated' })).toBe(0);
    expect(await db.collection('audit').countDocuments({ action: 'school.data_erased', dfeNumber: a.dfeNumber })).toBe(
      1,
    );
    // b granted again in time: all of its data stays; a second job erases nothing more
    expect(await dataOf(b.dfeNumber)).toBeGreaterThan(0);
    expect(await db.collection('exports').countDocuments({ dfeNumber: b.dfeNumber })).toBe(1);
    expect(await runRetention(db, settings, { now: after })).toMatchObject({ revokedSchools: 0 });
  });
});
