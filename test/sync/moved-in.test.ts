// "Latest move or create" is a school's own: a member of staff taking a second post at another school has moved in
// there, not at the school she was already at.
import { describe, expect, it } from 'vitest';
import { getAccount } from '../../src/store/accounts.js';
import { upsertSchool } from '../../src/store/schools.js';
import { ageOneNight, generateLocalAuthority } from '../../src/sync/integris/sim/generator.js';
import { exportOf } from '../../src/sync/integris/sim/export-file.js';
import { newAccountsSince } from '../../src/sync/people.js';
import { syncSchool } from '../../src/sync/process.js';
import { movedInAt } from '../../src/domain/model.js';
import { captureLogger } from '../helpers/log.js';
import { useTestStore } from '../helpers/store.js';

const ctx = useTestStore();
const la = generateLocalAuthority({ seed: 9, schools: 3, sizeFactor: 0.1 });

describe('latest move or create, per school', () => {
  it('a second post elsewhere is a move in there, not at the school she was already at', async () => {
    const db = ctx.store.db;
    const logger = captureLogger().logger;
    for (const s of la.schools)
      await upsertSchool(db, {
        dfeNumber: s.dfeNumber,
        name: s.name,
        laCode: s.laCode,
        acceptedReports: ['students', 'staff'],
      });
    const night = async (at: string) => {
      const runs = [];
      for (const s of la.schools)
        runs.push(
          await syncSchool({ db, logger }, s.dfeNumber, { trigger: 'file', file: exportOf(s, at), today: la.today }),
        );
      return runs;
    };
    await night(`${la.today}T18:00:00Z`);
    const second = ageOneNight(la).find((c) => c.kind === 'staff_second_school')!;
    const runs = await night(`${la.today}T19:00:00Z`);
    const outcome = runs
      .find((r) => r.dfeNumber === second.dfeNumber)!
      .outcomes.find((o) => o.personId === second.personId)!;
    expect(outcome).toMatchObject({ outcome: 'auto_matched' });
    const account = (await getAccount(db, outcome.username!))!;
    expect(movedInAt(account, second.dfeNumber) > movedInAt(account, second.otherDfeNumber!)).toBe(true);
    const listed = async (dfe: string) =>
      (await newAccountsSince(db, dfe, la.today, la.today)).filter((r) => r.account.username === account.username);
    expect(await listed(second.dfeNumber)).toEqual([expect.objectContaining({ how: 'moved_in' })]);
    // at her first school she was made the night before, by the same date: listed as made there, never as moved in
    expect((await listed(second.otherDfeNumber!)).map((r) => r.how)).not.toContain('moved_in');
  });
});
