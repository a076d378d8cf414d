// "Latest move or create" is a school's own: a member of staff taking a second post at another school has moved in
// there, not at the school she was already at; the school's user list shows it and filters by it.
import { describe, expect, it } from 'vitest';
import { getAccount } from '../../src/store/accounts.js';
import { upsertSchool } from '../../src/store/schools.js';
import { ageOneNight, generateLocalAuthority } from '../../src/sync/integris/sim/generator.js';
import { exportOf } from '../../src/sync/integris/sim/export-file.js';
import { newAccountsSince, schoolAccountList } from '../../src/sync/people.js';
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

    // the school's user list shows each school's own stamp, and filters by it
    const rowAt = async (dfe: string) =>
      (await schoolAccountList(db, dfe)).find((r) => r.username === account.username)!;
    expect(await rowAt(second.dfeNumber)).toMatchObject({
      role: 'staff',
      source: 'mis',
      latestMoveOrCreate: movedInAt(account, second.dfeNumber),
    });
    expect((await rowAt(second.otherDfeNumber!)).latestMoveOrCreate).toBe(movedInAt(account, second.otherDfeNumber!));
    const day = movedInAt(account, second.dfeNumber).slice(0, 10);
    const here = await schoolAccountList(db, second.dfeNumber, { since: day });
    expect(here.map((r) => r.username)).toContain(account.username);
    const nextDay = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    expect(await schoolAccountList(db, second.dfeNumber, { since: nextDay })).toEqual([]);
    const all = await schoolAccountList(db, second.dfeNumber);
    expect(all.length).toBeGreaterThanOrEqual(here.length);
    expect(all.map((r) => r.latestMoveOrCreate)).toEqual([...all.map((r) => r.latestMoveOrCreate)].sort().reverse());
    expect((await schoolAccountList(db, second.dfeNumber, { kind: 'pupil' })).every((r) => r.role === 'pupil')).toBe(
      true,
    );
    const byName = await schoolAccountList(db, second.dfeNumber, { query: account.legalSurname });
    expect(byName.map((r) => r.username)).toContain(account.username);
    expect(byName.length).toBeLessThan(all.length);
  });
});
