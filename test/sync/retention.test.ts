// Retention: ten nights through the simulator with EXPORT_KEEP_NIGHTS=3 leave exactly the last three processed
// exports (and their chunks), the latest can still be re-run, and old outcomes and finished bookkeeping go.
import { describe, expect, it } from 'vitest';
import { storeMessage } from '../../src/store/outbox.js';
import { attendanceOf, storeAttendance } from '../../src/store/schoolData.js';
import { firstSighting } from '../../src/store/events.js';
import { finishRun, getRun, recordPlan, startRun } from '../../src/store/runs.js';
import { upsertSchool } from '../../src/store/schools.js';
import { ageOneNight } from '../../src/sync/integris/sim/generator.js';
import { processExport, syncSchool } from '../../src/sync/process.js';
import { runRetention } from '../../src/sync/retention.js';
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
    // an export stored but not processed yet is kept whatever its age
    const waiting = await syncSchool(deps, s.dfeNumber, { trigger: 'cli', today: la.today, dryRun: true });
    expect(waiting.status).toBe('dry_run');

    const settings = { exportKeepNights: 3, runOutcomeKeepDays: 400 };
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
    const report = await runRetention(db, { exportKeepNights: 3, runOutcomeKeepDays: 400 }, { now: later });
    expect(report.runOutcomes).toBeGreaterThanOrEqual(1);
    expect(report).toMatchObject({ sentMessages: 1, webhookEventIds: 1 });
    const run = await getRun(db, old._id);
    expect(run?.outcomes).toEqual([]);
    expect(run?.counts).toEqual({ created: 1 });
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
    await storeAttendance(db, '2099100', marks(0, 39), day(5));
    expect((await attendanceOf(db, '2099100')).map((m) => m.date)).toEqual(marks(5, 39).map((m) => m.date));
    // a later night: the window moves on, and the stored days before it are deleted, not just hidden
    await storeAttendance(db, '2099100', marks(30, 49), day(15));
    expect((await attendanceOf(db, '2099100')).map((m) => m.date)[0]).toBe(day(15));
    expect(
      await db
        .collection('attendance')
        .countDocuments({ _id: { $in: marks(0, 14).map((m) => `2099100:${m.date}`) } } as never),
    ).toBe(0);
  });
});
