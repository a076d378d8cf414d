// Subject access: everything held about a pupil registered at two schools, in one document.
import { inject, describe, expect, it } from 'vitest';
import { upsertSchool } from '../../src/store/schools.js';
import { syncSchool } from '../../src/sync/process.js';
import { findSubject, subjectAccessReport } from '../../src/sync/subject-access.js';
import { uso } from '../helpers/cli.js';
import { simulatedIntegris } from '../helpers/integris.js';
import { captureLogger } from '../helpers/log.js';
import { useTestStore } from '../helpers/store.js';

const ctx = useTestStore();

describe('subject access', () => {
  it('exports a dual-registered pupil: both associations, their MIS records, groups, attendance, outcomes and audit', async () => {
    const db = ctx.store.db;
    const { la, client } = simulatedIntegris({ schools: 4, seed: 3 });
    for (const s of la.schools)
      await upsertSchool(db, {
        dfeNumber: s.dfeNumber,
        name: s.name,
        laCode: s.laCode,
        acceptedReports: s.permissions,
      });
    const deps = { db, logger: captureLogger().logger, integris: client };
    for (const s of la.schools) await syncSchool(deps, s.dfeNumber, { trigger: 'cli', today: la.today });
    const dual = la.schools.flatMap((s) =>
      s.students.filter((p) => p.enrolmentStatus === 'S').map((p) => ({ school: s, pupil: p })),
    )[0]!;
    expect(dual).toBeDefined();
    const account = await findSubject(db, { dfeNumber: dual.school.dfeNumber, personId: dual.pupil.personId });
    expect(new Set(account.associations.map((x) => x.dfeNumber)).size).toBe(2);

    const report = await subjectAccessReport(db, account, 'cli:dpo');
    expect(report.account.username).toBe(account.username);
    expect(report.schools).toHaveLength(2);
    for (const school of report.schools) {
      expect(school.misRecords.length).toBeGreaterThan(0);
      expect(school.misRecords.every((r) => (r.record as { personId: string }).personId === school.misPersonId)).toBe(
        true,
      );
      expect(school.runOutcomes.length).toBeGreaterThan(0);
    }
    // attendance where the school marks it (the generator gives a subsidiary registration none)
    expect(report.schools.some((s) => s.attendance.length > 0)).toBe(true);
    expect(report.audit.some((e) => e.action === 'account.created' || e.action === 'account.auto_matched')).toBe(true);
    expect(
      await db.collection('audit').findOne({ action: 'person.exported', username: account.username }),
    ).toMatchObject({ actor: 'cli:dpo' });

    process.env.MONGODB_URI = `${inject('mongoUri').replace(/\/?$/, '/')}${db.databaseName}`;
    const cli = await uso('person', 'export', account.username, '--json');
    expect(cli.code).toBe(0);
    expect(
      cli
        .json()
        .schools.map((s: { dfeNumber: string }) => s.dfeNumber)
        .sort(),
    ).toEqual(report.schools.map((s) => s.dfeNumber).sort());
    expect((await uso('person', 'export', 'no.such.person')).code).toBe(1);
  });
});
