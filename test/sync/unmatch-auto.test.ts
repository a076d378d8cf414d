// An account linked by the run itself (a request made ahead of the MIS, then the MIS record arrived) can be unlinked
// like a person's match: `uso unmatch` puts the account back as it was, and the person waits for a person to decide
// instead of being linked again by the next run.
import { describe, expect, inject, it } from 'vitest';
import { insertAccounts } from '../../src/store/account-inserts.js';
import { getAccount } from '../../src/store/accounts.js';
import { getMatch } from '../../src/store/matches.js';
import { upsertSchool } from '../../src/store/schools.js';
import { syncSchool } from '../../src/sync/process.js';
import type { ExportFile, Student } from '../../src/domain/records.js';
import { generateLocalAuthority } from '../../src/sync/integris/sim/generator.js';
import { uso } from '../helpers/cli.js';
import { captureLogger } from '../helpers/log.js';
import { manualAccount } from '../helpers/people.js';
import { useTestStore } from '../helpers/store.js';

const ctx = useTestStore();
const la = generateLocalAuthority({ seed: 41, schools: 1, sizeFactor: 0.1 });
const school = la.schools[0]!;

describe('unmatch of an automatic link', () => {
  it('puts the requested account back and holds the person for a person to decide, night after night', async () => {
    const db = ctx.store.db;
    await upsertSchool(db, {
      dfeNumber: school.dfeNumber,
      name: school.name,
      laCode: school.laCode,
      acceptedReports: ['students', 'staff'],
    });
    const at = { dfeNumber: school.dfeNumber, laCode: school.laCode } as never;
    await insertAccounts(db, [
      manualAccount('asked.ahead', {
        at,
        legalForename: 'Zephyrine',
        legalSurname: 'Quillfeather',
        dateOfBirth: '2016-02-29',
      }),
    ]);
    const arriving: Student = {
      ...school.students[0]!,
      personId: 'ARRIVED-1',
      legalForename: 'Zephyrine',
      legalSurname: 'Quillfeather',
      dateOfBirth: '2016-02-29',
    };
    delete (arriving as { upn?: string }).upn;
    const night = (hour: number): ExportFile => ({
      dfeNumber: school.dfeNumber,
      exportedAt: `${la.today}T${hour}:00:00Z`,
      source: 'integris',
      reports: { students: [...school.students, arriving], staff: school.staff },
      completeness: {},
    });
    const logger = captureLogger().logger;
    const first = await syncSchool({ db, logger }, school.dfeNumber, {
      trigger: 'file',
      file: night(18),
      today: la.today,
    });
    expect(first.outcomes.find((o) => o.personId === 'ARRIVED-1')).toMatchObject({
      outcome: 'auto_matched',
      username: 'asked.ahead',
    });
    expect(await getMatch(db, school.dfeNumber, 'ARRIVED-1')).toMatchObject({
      status: 'matched',
      resolvedBy: 'sync',
      username: 'asked.ahead',
    });
    // the run's new accounts (and its login slips) hold the account it moved in, and the summary counts as many
    const { newAccountsOfRun } = await import('../../src/sync/people.js');
    const { rows } = await newAccountsOfRun(db, first.runId);
    expect(rows.find((r) => r.account.username === 'asked.ahead')).toMatchObject({ how: 'moved_in' });
    const { summaryOf, runFactsOf } = await import('../../src/bot/actions.js');
    const { getRun } = await import('../../src/store/runs.js');
    const { render } = await import('../../src/bot/views/blocks.js');
    const summary = render(await summaryOf(db, runFactsOf((await getRun(db, first.runId))!)));
    expect(JSON.stringify(summary)).toContain(`${rows.length} new accounts`);

    process.env.MONGODB_URI = `${inject('mongoUri').replace(/\/?$/, '/')}${db.databaseName}`;
    try {
      const undone = await uso('unmatch', school.dfeNumber, 'ARRIVED-1');
      expect(undone.err).toBe('');
      expect(undone.code).toBe(0);
    } finally {
      delete process.env.MONGODB_URI;
    }
    const back = (await getAccount(db, 'asked.ahead'))!;
    expect(back.associations).toEqual([
      expect.objectContaining({ dfeNumber: school.dfeNumber, source: 'manual', status: 'active' }),
    ]);
    expect(await getMatch(db, school.dfeNumber, 'ARRIVED-1')).toMatchObject({ status: 'open', keepHeld: true });

    // the next night holds the person beside the account instead of linking them again
    const second = await syncSchool({ db, logger }, school.dfeNumber, {
      trigger: 'file',
      file: night(19),
      today: la.today,
    });
    expect(second.outcomes.find((o) => o.personId === 'ARRIVED-1')).toMatchObject({ outcome: 'held_for_matching' });
    expect((await getAccount(db, 'asked.ahead'))!.associations).toEqual([
      expect.objectContaining({ source: 'manual', status: 'active' }),
    ]);
    expect(await getMatch(db, school.dfeNumber, 'ARRIVED-1')).toMatchObject({ status: 'open', keepHeld: true });
  });
});
