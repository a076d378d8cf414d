// Erasure of a past leaver: a record still exported with a leaving date past the school's grace days is a leaver the
// next run never makes again, so it does not stop `uso person erase`; a leaving date still to come does.
import { describe, expect, it } from 'vitest';
import { accountsForSchool } from '../../src/store/accounts.js';
import { upsertSchool } from '../../src/store/schools.js';
import { erasePerson } from '../../src/sync/erasure.js';
import { generateLocalAuthority } from '../../src/sync/integris/sim/generator.js';
import { syncSchool } from '../../src/sync/process.js';
import { addDays } from '../../src/domain/dates.js';
import type { ExportFile } from '../../src/domain/records.js';
import { captureLogger } from '../helpers/log.js';
import { useTestStore } from '../helpers/store.js';

const ctx = useTestStore();
const la = generateLocalAuthority({ seed: 31, schools: 1, sizeFactor: 0.1 });
const school = la.schools[0]!;

describe('erasure of a leaver', () => {
  it('is allowed once the leaving date is past, and refused while it is still to come', async () => {
    const db = ctx.store.db;
    await upsertSchool(db, {
      dfeNumber: school.dfeNumber,
      name: school.name,
      laCode: school.laCode,
      acceptedReports: ['students', 'staff'],
    });
    const [gone, going, ...rest] = school.students;
    const night = (students: typeof school.students, at: string): ExportFile => ({
      dfeNumber: school.dfeNumber,
      exportedAt: at,
      source: 'integris',
      reports: { students, staff: school.staff },
      completeness: {},
    });
    const logger = captureLogger().logger;
    await syncSchool({ db, logger }, school.dfeNumber, {
      trigger: 'file',
      file: night(school.students, `${la.today}T18:00:00Z`),
      today: la.today,
    });
    // the MIS keeps both records: one left last month, the other leaves next month
    const students = [
      { ...gone!, leavingDate: addDays(la.today, -30) },
      { ...going!, leavingDate: addDays(la.today, 30) },
      ...rest,
    ];
    await syncSchool({ db, logger }, school.dfeNumber, {
      trigger: 'file',
      file: night(students, `${la.today}T19:00:00Z`),
      today: la.today,
    });
    const accounts = await accountsForSchool(db, school.dfeNumber);
    const accountOf = (personId: string) =>
      accounts.find((a) => a.associations.some((x) => x.misPersonId === personId))!;
    await expect(erasePerson(db, accountOf(going!.personId), 'cli:dpo', { today: la.today })).rejects.toThrow(
      /still in the current MIS export/,
    );
    const report = await erasePerson(db, accountOf(gone!.personId), 'cli:dpo', { today: la.today });
    expect(report.removed.account).toBe(1);
    expect(report.excludedAt).toEqual([]);
  });
});
