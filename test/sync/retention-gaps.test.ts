// Retention without gaps: a dry run and a paused night leave no export behind, and an export never processed is kept
// no longer than the bound (removed and audited by retention).
import { describe, expect, it } from 'vitest';
import { auditEntries } from '../../src/store/audit.js';
import { saveExport } from '../../src/store/exports.js';
import { setGlobalPause, updateSchool, upsertSchool } from '../../src/store/schools.js';
import { generateLocalAuthority } from '../../src/sync/integris/sim/generator.js';
import { syncSchool } from '../../src/sync/process.js';
import { runRetention, UNPROCESSED_KEEP_DAYS } from '../../src/sync/retention.js';
import type { ExportFile } from '../../src/domain/records.js';
import { captureLogger } from '../helpers/log.js';
import { useTestStore } from '../helpers/store.js';

const ctx = useTestStore();
const la = generateLocalAuthority({ seed: 3, schools: 1, sizeFactor: 0.1 });
const school = la.schools[0]!;
const file = (at: string): ExportFile => ({
  dfeNumber: school.dfeNumber,
  exportedAt: at,
  source: 'integris',
  reports: { students: school.students, staff: school.staff, contacts: school.contacts },
  completeness: {},
});

describe('retention without gaps', () => {
  it('a dry run and a paused week leave no export; one never processed goes once past the bound', async () => {
    const db = ctx.store.db;
    const exports = () => db.collection('exports').countDocuments({ dfeNumber: school.dfeNumber });
    await upsertSchool(db, {
      dfeNumber: school.dfeNumber,
      name: school.name,
      laCode: school.laCode,
      acceptedReports: ['students', 'staff', 'contacts'],
    });
    const deps = { db, logger: captureLogger().logger };
    const dry = await syncSchool(deps, school.dfeNumber, {
      trigger: 'cli',
      dryRun: true,
      file: file(`${la.today}T18:00:00Z`),
      today: la.today,
    });
    expect(dry.status).toBe('dry_run');
    expect(await exports()).toBe(0);
    // a paused week: the school's pause, then everyone's
    await updateSchool(db, school.dfeNumber, { settings: { paused: true } } as never);
    for (let day = 0; day < 3; day++)
      expect(
        (
          await syncSchool(deps, school.dfeNumber, {
            trigger: 'nightly',
            file: file(`${la.today}T1${day}:00:00Z`),
            today: la.today,
          })
        ).status,
      ).toBe('skipped');
    await updateSchool(db, school.dfeNumber, { settings: { paused: false } } as never);
    await setGlobalPause(db, true, 'summer');
    for (let day = 0; day < 2; day++)
      expect(
        (
          await syncSchool(deps, school.dfeNumber, {
            trigger: 'nightly',
            file: file(`${la.today}T2${day}:00:00Z`),
            today: la.today,
          })
        ).status,
      ).toBe('skipped');
    await setGlobalPause(db, false);
    expect(await exports()).toBe(0);
    // an export stored and never processed (its run failed, say): kept until the bound, then removed and audited
    const meta = await saveExport(db, file(`${la.today}T23:00:00Z`));
    expect(
      (await runRetention(db, { exportKeepNights: 5, runOutcomeKeepDays: 30, revokeGraceDays: 30 }, { dryRun: true }))
        .unprocessedExports,
    ).toBe(0);
    await db
      .collection('exports')
      .updateOne(
        { _id: meta._id },
        { $set: { savedAt: new Date(Date.now() - (UNPROCESSED_KEEP_DAYS + 1) * 86_400_000) } },
      );
    const report = await runRetention(db, { exportKeepNights: 5, runOutcomeKeepDays: 30, revokeGraceDays: 30 });
    expect(report.unprocessedExports).toBe(1);
    expect(await exports()).toBe(0);
    expect(await db.collection('exportChunks').countDocuments({ exportId: meta._id })).toBe(0);
    const [entry] = await auditEntries(db, { action: 'retention.removed' }, 1);
    expect(entry?.detail).toContain('unprocessedExports 1');
  });
});
