// The school both chat suites work on: one generated school, an account made by hand ahead of the MIS under a short
// form of a pupil's name, and newcomers in the first export who look like it (held for matching, not certain).
import type { Db } from 'mongodb';
import { insertAccounts } from '../../src/store/account-inserts.js';
import { upsertSchool } from '../../src/store/schools.js';
import { generateLocalAuthority } from '../../src/sync/integris/sim/generator.js';
import type { ExportFile } from '../../src/domain/records.js';
import { syncSchool, type RunSummary } from '../../src/sync/process.js';
import { Scheduler } from '../../src/sync/jobs.js';
import { createLinkCode, redeemLinkCode } from '../../src/bot/access.js';
import { captureLogger } from './log.js';

export const la = generateLocalAuthority({ seed: 44, schools: 1, sizeFactor: 0.2 });
export const school = la.schools[0]!;

/** A pupil "Thomas <surname>" born the day the hand-made "Tom Whitfield" was, starting today, without a UPN. */
export function lookAlike(personId: string, surname: string) {
  const p = {
    ...school.students[0]!,
    personId,
    legalForename: 'Thomas',
    legalSurname: surname,
    dateOfBirth: '2016-03-14',
    admissionDate: la.today,
  };
  delete (p as { upn?: string }).upn;
  return p;
}

export async function seedChatSchool(db: Db, newcomers: [personId: string, surname: string][]): Promise<void> {
  await upsertSchool(db, {
    dfeNumber: school.dfeNumber,
    name: school.name,
    laCode: school.laCode,
    acceptedReports: ['students', 'staff'],
  });
  await insertAccounts(db, [
    {
      username: 'tom.requested',
      kind: 'pupil',
      legalForename: 'Tom',
      legalSurname: 'Whitfield',
      dateOfBirth: '2016-03-14',
      associations: [
        {
          dfeNumber: school.dfeNumber,
          laCode: school.laCode,
          role: 'pupil',
          status: 'active',
          source: 'manual',
          since: '2026-11-01',
        },
      ],
      status: 'active',
      createdAt: '2026-11-01T09:00:00Z',
      updatedAt: '2026-11-01T09:00:00Z',
      latestMoveOrCreateAt: '2026-11-01T09:00:00Z',
      version: 0,
    },
  ]);
  const students = [...school.students, ...newcomers.map(([id, surname]) => lookAlike(id, surname))];
  const file: ExportFile = {
    dfeNumber: school.dfeNumber,
    exportedAt: `${la.today}T18:00:00Z`,
    source: 'integris',
    reports: { students, staff: school.staff },
    completeness: {},
  };
  await syncSchool({ db, logger: captureLogger().logger }, school.dfeNumber, {
    trigger: 'file',
    file,
    today: la.today,
  });
}

/** Links the school's Slack channel C1 in workspace T1, with UHEAD as its head (what `/uso link CODE` does there). */
export async function linkSlackChannel(db: Db): Promise<void> {
  const code = await createLinkCode(db, school.dfeNumber, { platform: 'cli', userId: 'ops', displayName: 'ops' });
  await redeemLinkCode(
    db,
    code,
    { platform: 'slack', workspace: 'T1', userId: 'UHEAD', displayName: 'uhead' },
    { platform: 'slack', workspace: 'T1', conversation: 'C1' },
  );
}

/**
 * A night where the first `count` pupils have left the export: three stay under the guard (unallocated at once),
 * a quarter of the school is over it (held for approval).
 */
export async function nightWithLeavers(db: Db, count: number): Promise<RunSummary> {
  const file: ExportFile = {
    dfeNumber: school.dfeNumber,
    exportedAt: `${la.today}T19:00:00Z`,
    source: 'integris',
    reports: { students: school.students.slice(count), staff: school.staff },
    completeness: {},
  };
  return syncSchool({ db, logger: captureLogger().logger }, school.dfeNumber, {
    trigger: 'nightly',
    file,
    today: la.today,
  });
}

/** A scheduler on the test database, once Agenda has set up its collection (which it does in the background). */
export async function chatScheduler(db: Db): Promise<Scheduler> {
  const scheduler = new Scheduler({
    db,
    logger: captureLogger().logger,
    timeZone: 'Europe/London',
    concurrency: 1,
    processDelayMinutes: 0,
  });
  await scheduler.agenda.ready;
  return scheduler;
}
