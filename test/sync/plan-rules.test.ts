// The planner's edges, one rule at a time: the exact day a leaver goes and a starter starts, who counts toward a
// guard's base and what the guard reports, exclusions by every name a person has, when an automatic link is safe,
// and a plan that does not depend on the order people come in. Part of the mutation-tested set.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { overThreshold, plan } from '../../src/sync/plan.js';
import { addDays } from '../../src/domain/dates.js';
import { personNameKey } from '../../src/domain/names.js';
import type { Account } from '../../src/domain/model.js';
import type { Plan } from '../../src/sync/plan-types.js';
import {
  NOW,
  TODAY,
  input,
  linkedAccount,
  manualAccount,
  outcomeOf,
  pupil,
  school,
  staffMember,
} from '../helpers/people.js';

const here = school('2092000');
const other = school('2092001');

const roster = (n: number, prefix = 'R') =>
  Array.from({ length: n }, (_, i) =>
    pupil({ personId: `${prefix}${i}`, legalForename: `Name${prefix}${i}`, legalSurname: `Family${prefix}${i}` }),
  );
const staffRoster = (n: number) =>
  Array.from({ length: n }, (_, i) =>
    staffMember({ personId: `T${i}`, legalForename: `Staff${i}`, legalSurname: `Member${i}` }),
  );

describe('the threshold edge', () => {
  it('exactly the threshold share is not over it; one more is', () => {
    const t = { percent: 10, min: 5 };
    expect(overThreshold(5, 50, t)).toBe(false);
    expect(overThreshold(6, 50, t)).toBe(true);
    expect(overThreshold(5, 49, t)).toBe(true);
    expect(overThreshold(4, 0, { percent: 10, min: 4 })).toBe(true);
    expect(overThreshold(0, 0, { percent: 10, min: 0 })).toBe(false);
  });
});

describe('leavers: the day they go', () => {
  const p = pupil({ personId: 'L1' });
  const account = linkedAccount('l1', p, here);

  it('goes on the leaving date when there is no grace; not the day before', () => {
    const gone = plan(input({ school: here, people: [{ ...p, endDate: TODAY }], accounts: [account] }));
    expect(outcomeOf(gone, 'L1')).toEqual({
      report: 'students',
      personId: 'L1',
      outcome: 'unallocated',
      username: 'l1',
      reason: `left on ${TODAY}`,
    });
    const ended = gone.updates[0]!.after.associations[0]!;
    expect(ended).toMatchObject({ status: 'ended', until: TODAY, leftAs: { at: NOW } });
    expect(ended.leftAs!.fields).toMatchObject({ legalForename: p.fields.legalForename });
    expect(gone.updates[0]!.after.status).toBe('unallocated');
    const tomorrow = plan(input({ school: here, people: [{ ...p, endDate: addDays(TODAY, 1) }], accounts: [account] }));
    expect(outcomeOf(tomorrow, 'L1')?.outcome).not.toBe('unallocated');
    expect(tomorrow.updates.every((u) => u.after.status === 'active')).toBe(true);
  });

  it('keeps a leaver for exactly the grace days after the leaving date', () => {
    const graced = school(here.dfeNumber, { graceDays: 3 });
    const at = (endDate: string) =>
      outcomeOf(plan(input({ school: graced, people: [{ ...p, endDate }], accounts: [account] })), 'L1')?.outcome;
    expect(at(addDays(TODAY, -3))).toBe('unallocated');
    expect(at(addDays(TODAY, -2))).not.toBe('unallocated');
  });

  it('applies the leaver record itself as it ends the association, from the school that leads', () => {
    const renamed = { ...p, endDate: TODAY, fields: { ...p.fields, legalSurname: 'Newname' } };
    const gone = plan(input({ school: here, people: [renamed], accounts: [account] }));
    expect(gone.updates[0]!.after.legalSurname).toBe('Newname');
    expect(gone.updates[0]!.after.associations[0]!.leftAs!.fields.legalSurname).toBe('Newname');
  });

  it('someone whose association has already ended stays gone, unchanged', () => {
    const left = linkedAccount('l1', p, here, { status: 'ended', until: '2026-10-01' });
    const again = plan(
      input({
        school: here,
        people: [{ ...p, endDate: '2026-10-01' }],
        accounts: [{ ...left, status: 'unallocated' }],
      }),
    );
    expect(outcomeOf(again, 'L1')).toEqual({
      report: 'students',
      personId: 'L1',
      outcome: 'unchanged',
      username: 'l1',
      reason: 'has left',
    });
    expect(again.updates).toEqual([]);
  });

  it('someone back at the school is moved in again now', () => {
    const left = {
      ...linkedAccount('l1', p, here, { status: 'ended', until: '2026-10-01' }),
      status: 'unallocated' as const,
    };
    const back = plan(input({ school: here, people: [p], accounts: [left] }));
    expect(outcomeOf(back, 'L1')).toMatchObject({ outcome: 'updated', username: 'l1' });
    const after = back.updates[0]!.after;
    expect(after.status).toBe('active');
    expect(after.associations[0]).toMatchObject({ status: 'active', movedInAt: NOW });
    expect(after.latestMoveOrCreateAt).toBe(NOW);
    // an ordinary change is not a move
    const renamed = plan(
      input({ school: here, people: [{ ...p, fields: { ...p.fields, legalSurname: 'X' } }], accounts: [account] }),
    );
    expect(renamed.updates[0]!.after.associations[0]!.movedInAt).toBeUndefined();
    expect(renamed.updates[0]!.after.latestMoveOrCreateAt).toBe(account.latestMoveOrCreateAt);
  });

  it('a newcomer who left on or before the cutoff gets no account; a later leaving date still does', () => {
    const q = pupil({ personId: 'N1', legalForename: 'Quentin' });
    const gone = plan(input({ school: here, people: [{ ...q, endDate: TODAY }] }));
    expect(outcomeOf(gone, 'N1')).toEqual({
      report: 'students',
      personId: 'N1',
      outcome: 'unchanged',
      reason: 'left before an account was made',
    });
    expect(gone.creates).toEqual([]);
    const leaving = plan(input({ school: here, people: [{ ...q, endDate: addDays(TODAY, 1) }] }));
    expect(outcomeOf(leaving, 'N1')?.outcome).toBe('created');
  });
});

describe('absence from the export', () => {
  const pupils = roster(3);
  const staff = staffRoster(2);
  const accounts = [
    ...pupils.map((p, i) => linkedAccount(`p${i}`, p, here)),
    ...staff.map((s, i) => linkedAccount(`t${i}`, s, here)),
  ];

  it('a full report decides about its own kind only', () => {
    const onlyStudents = plan(
      input({ school: here, people: [...pupils.slice(1)], accounts, fullReports: new Set(['students']) }),
    );
    expect(outcomeOf(onlyStudents, 'R0')).toEqual({
      report: 'students',
      personId: 'R0',
      outcome: 'unallocated',
      username: 'p0',
      reason: 'absent from the export',
    });
    expect(onlyStudents.outcomes.filter((o) => o.outcome === 'unallocated')).toHaveLength(1);
    const onlyStaff = plan(input({ school: here, people: [staff[1]!], accounts, fullReports: new Set(['staff']) }));
    expect(outcomeOf(onlyStaff, 'T0')).toMatchObject({ report: 'staff', outcome: 'unallocated', username: 't0' });
    expect(onlyStaff.outcomes.filter((o) => o.outcome === 'unallocated')).toHaveLength(1);
    const gone = onlyStaff.updates.find((u) => u.after.username === 't0')!.after.associations[0]!;
    expect(gone).toMatchObject({ status: 'ended', until: TODAY, absentSince: TODAY, leftAs: { at: NOW } });
  });

  it("other schools' associations, manual ones and ended ones are not this export's to end", () => {
    const elsewhere = linkedAccount('e0', pupil({ personId: 'E0', legalForename: 'Else' }), other);
    const manual = manualAccount('m0', { at: here });
    const ended = {
      ...linkedAccount('x0', pupil({ personId: 'X0', legalForename: 'Ex' }), here, { status: 'ended' }),
      status: 'unallocated' as const,
    };
    const result = plan(
      input({ school: here, people: pupils, accounts: [...accounts.slice(0, 3), elsewhere, manual, ended] }),
    );
    expect(result.outcomes.filter((o) => o.outcome !== 'unchanged')).toEqual([]);
    expect(result.updates).toEqual([]);
  });

  it('after a change of MIS, everyone missing from the first export is held, with the reason', () => {
    const changing = school(here.dfeNumber, {}, { misChangePending: { from: 'sims', at: '2026-11-01' } });
    const result = plan(input({ school: changing, people: pupils.slice(1), accounts: accounts.slice(0, 3) }));
    expect(outcomeOf(result, 'R0')).toEqual({
      report: 'students',
      personId: 'R0',
      outcome: 'held_unallocation',
      username: 'p0',
      reason: 'not found in the first Integris export after the MIS change',
    });
    expect(result.guards).toEqual([{ change: 'unallocation', role: 'pupil', cause: 'mis_change', count: 1, base: 3 }]);
  });
});

describe('the guard: who counts and what it reports', () => {
  const pupils = roster(10);
  const mine = pupils.map((p, i) => linkedAccount(`p${i}`, p, here));
  const crowd: Account[] = [
    ...roster(20, 'M').map((_, i) => manualAccount(`m${i}`, { at: here })),
    ...roster(20, 'O').map((p, i) => linkedAccount(`o${i}`, p, other)),
    ...roster(20, 'E').map((p, i) => ({
      ...linkedAccount(`x${i}`, p, here, { status: 'ended' }),
      status: 'unallocated' as const,
    })),
    ...staffRoster(20).map((s, i) => linkedAccount(`t${i}`, s, here)),
  ];
  const staff = staffRoster(20);

  it("counts only this school's active MIS accounts of the kind leaving", () => {
    const result = plan(input({ school: here, people: [...pupils.slice(5), ...staff], accounts: [...mine, ...crowd] }));
    expect(result.guards).toEqual([
      { change: 'unallocation', role: 'pupil', cause: 'threshold', count: 5, base: 10, percent: 10 },
    ]);
    expect(outcomeOf(result, 'R0')).toMatchObject({
      outcome: 'held_unallocation',
      reason: "5 of 10 accounts would be unallocated, over the school's threshold",
    });
    expect(result.held.map((h) => [h.kind, h.username, h.personId])).toEqual(
      ['p0', 'p1', 'p2', 'p3', 'p4'].map((u, i) => ['unallocation', u, `R${i}`]),
    );
    expect(result.held[0]!.before).toBe(mine[0]);
    expect(result.held[0]!.after.status).toBe('unallocated');
  });

  it('an incomplete export reports its guard without a percentage', () => {
    const result = plan(input({ school: here, people: pupils.slice(1), accounts: mine, complete: false }));
    expect(result.guards).toEqual([{ change: 'unallocation', role: 'pupil', cause: 'incomplete', count: 1, base: 10 }]);
  });

  it('no guard is reported when nobody leaves, or when leavers are under the threshold', () => {
    expect(plan(input({ school: here, people: pupils, accounts: mine, complete: false })).guards).toEqual([]);
    const few = plan(input({ school: here, people: pupils.slice(1), accounts: mine }));
    expect(few.guards).toEqual([]);
    expect(outcomeOf(few, 'R0')?.outcome).toBe('unallocated');
  });

  it('updates are held per kind, with the guard and a reason, and never twice for one person', () => {
    const renamedStaff = staff.map((s) => ({ ...s, fields: { ...s.fields, legalSurname: 'Renamed' } }));
    const result = plan(input({ school: here, people: [...pupils, ...renamedStaff], accounts: [...mine, ...crowd] }));
    expect(result.guards).toEqual([
      { change: 'update', role: 'staff', cause: 'threshold', count: 20, base: 20, percent: 75 },
    ]);
    expect(outcomeOf(result, 'T0')).toEqual({
      report: 'staff',
      personId: 'T0',
      outcome: 'held_update',
      username: 't0',
      reason: "20 of 20 accounts would change, over the school's threshold",
    });
    expect(result.held.every((h) => h.kind === 'update')).toBe(true);
    expect(result.updates).toEqual([]);
    // pupils' few updates are not held on account of the staff's many
    const onePupil = { ...pupils[0]!, fields: { ...pupils[0]!.fields, legalSurname: 'Renamed' } };
    const mixed = plan(
      input({ school: here, people: [onePupil, ...pupils.slice(1), ...renamedStaff], accounts: [...mine, ...crowd] }),
    );
    expect(outcomeOf(mixed, 'R0')).toMatchObject({ outcome: 'updated', username: 'p0' });
    expect(mixed.updates.map((u) => u.after.username)).toEqual(['p0']);
    expect(mixed.updates[0]!.after.updatedAt).toBe(NOW);
  });

  it('someone held as a leaver is not held again as an update', () => {
    const renamedLeavers = pupils
      .slice(0, 5)
      .map((p) => ({ ...p, endDate: TODAY, fields: { ...p.fields, legalSurname: 'Gone' } }));
    const lax = school(here.dfeNumber, { updateThresholdPercent: 0, heldChangesMin: 1 });
    const result = plan(input({ school: lax, people: [...renamedLeavers, ...pupils.slice(5)], accounts: mine }));
    const held = result.held.map((h) => `${h.kind}:${h.username}`);
    expect(new Set(held).size).toBe(held.length);
  });
});

describe('exclusions', () => {
  const p = pupil({ personId: 'X1', legalForename: 'Jonathan', legalSurname: 'Smith', dateOfBirth: '2015-05-05' });
  const excluded = (keys: string[], person = p) =>
    outcomeOf(plan(input({ school: here, people: [person], exclusions: new Set(keys) })), person.personId);

  it('by legal names, by preferred names, and by one birth date only', () => {
    expect(excluded([personNameKey('Jonathan', 'Smith')])).toEqual({
      report: 'students',
      personId: 'X1',
      outcome: 'excluded',
      reason: 'name is on the school exclusion list',
    });
    const jon = { ...p, fields: { ...p.fields, preferredForename: 'Jon' } };
    expect(excluded([personNameKey('Jon', 'Smith')], jon)?.outcome).toBe('excluded');
    const married = { ...p, fields: { ...p.fields, preferredSurname: 'Jones' } };
    expect(excluded([personNameKey('Jonathan', 'Jones')], married)?.outcome).toBe('excluded');
    expect(excluded([personNameKey('Jon', 'Smith')])?.outcome).toBe('created');
    expect(excluded([`${personNameKey('Jonathan', 'Smith')}|2015-05-05`])?.outcome).toBe('excluded');
    expect(excluded([`${personNameKey('Jonathan', 'Smith')}|2015-05-06`])?.outcome).toBe('created');
    expect(excluded([`${personNameKey('Jonathan', 'Smith')}|`])?.outcome).toBe('created');
  });

  it('an exclusion for one birth date leaves out a namesake whose birth date is unknown', () => {
    const noDob = staffMember({
      personId: 'X2',
      legalForename: 'Jonathan',
      legalSurname: 'Smith',
      dateOfBirth: undefined,
    });
    expect(excluded([`${personNameKey('Jonathan', 'Smith')}|2015-05-05`], noDob)?.outcome).toBe('created');
  });
});

describe('starters', () => {
  const p = pupil({ personId: 'S1', legalForename: 'Zara' });

  it('start on their start date, or that many days early when the school pre-provisions', () => {
    const on = (startDate: string, preProvisionDays = 0) =>
      outcomeOf(
        plan(input({ school: school(here.dfeNumber, { preProvisionDays }), people: [{ ...p, startDate }] })),
        'S1',
      );
    expect(on(TODAY)?.outcome).toBe('created');
    expect(on(addDays(TODAY, 1))).toEqual({
      report: 'students',
      personId: 'S1',
      outcome: 'future_starter',
      reason: `starts on ${addDays(TODAY, 1)}`,
    });
    expect(on(addDays(TODAY, 5), 5)?.outcome).toBe('created');
    expect(on(addDays(TODAY, 6), 5)?.outcome).toBe('future_starter');
  });

  it('a deliberate create says so; an ordinary one does not', () => {
    const made = plan(input({ school: here, people: [p], createAnyway: new Set(['S1']) }));
    expect(made.creates[0]).toMatchObject({ personId: 'S1', usernameBase: 'zara.hughes', deliberate: true });
    const plain = plan(input({ school: here, people: [p] }));
    expect(plain.creates[0]).not.toHaveProperty('deliberate');
    expect(plain.creates[0]!.account.associations[0]).toMatchObject({ dfeNumber: here.dfeNumber, movedInAt: NOW });
  });
});

describe('automatic links', () => {
  const p = pupil({ personId: 'A1', legalForename: 'Orla', legalSurname: 'Quinn', dateOfBirth: '2014-01-20' });
  const elsewhere = linkedAccount('orla.quinn', { ...p, personId: 'Z9' }, other);

  it('links the one certain account and says why', () => {
    const result = plan(input({ school: here, people: [p], accounts: [elsewhere] }));
    expect(outcomeOf(result, 'A1')).toEqual({
      report: 'students',
      personId: 'A1',
      outcome: 'auto_matched',
      username: 'orla.quinn',
      reason: 'same forename; same surname; same date of birth; same gender',
    });
    expect(result.autoLinked).toEqual([
      expect.objectContaining({ personId: 'A1', report: 'students', username: 'orla.quinn', before: elsewhere }),
    ]);
    expect(result.autoLinked[0]!.candidates).toHaveLength(1);
    expect(result.matches).toEqual([]);
    const after = result.updates[0]!.after;
    expect(after.associations.map((x) => [x.dfeNumber, x.misPersonId, x.status])).toEqual([
      [other.dfeNumber, 'Z9', 'active'],
      [here.dfeNumber, 'A1', 'active'],
    ]);
  });

  it('never links an account another MIS person of this school is on; an ended link there does not count', () => {
    const takenHere = {
      ...elsewhere,
      associations: [...elsewhere.associations, linkedAccount('-', { ...p, personId: 'B2' }, here).associations[0]!],
    };
    const held = plan(input({ school: here, people: [p], accounts: [takenHere] }));
    expect(outcomeOf(held, 'A1')).toMatchObject({
      outcome: 'held_for_matching',
      reason: 'looks like 1 existing account(s)',
    });
    expect(held.matches).toEqual([
      expect.objectContaining({ personId: 'A1', report: 'students', startDate: p.startDate }),
    ]);
    const endedHere = {
      ...elsewhere,
      associations: [
        ...elsewhere.associations,
        linkedAccount('-', { ...p, personId: 'B2' }, here, { status: 'ended' }).associations[0]!,
      ],
    };
    expect(outcomeOf(plan(input({ school: here, people: [p], accounts: [endedHere] })), 'A1')?.outcome).toBe(
      'auto_matched',
    );
    const manualHere = {
      ...elsewhere,
      associations: [...elsewhere.associations, { ...manualAccount('-', { at: here }).associations[0]! }],
    };
    expect(outcomeOf(plan(input({ school: here, people: [p], accounts: [manualHere] })), 'A1')?.outcome).toBe(
      'auto_matched',
    );
  });

  it('two look-alikes, even one certain, wait for a person', () => {
    const namesake = linkedAccount(
      'orla.quinn2',
      { ...p, personId: 'Z8', fields: { ...p.fields, legalSurname: 'Quin' } },
      other,
    );
    const result = plan(input({ school: here, people: [p], accounts: [elsewhere, namesake] }));
    expect(outcomeOf(result, 'A1')).toMatchObject({
      outcome: 'held_for_matching',
      reason: 'looks like 2 existing account(s)',
    });
    expect(result.matches[0]!.candidates.map((c) => c.username)).toEqual(['orla.quinn', 'orla.quinn2']);
  });

  it('the same UPN links even beside another look-alike', () => {
    const upn = 'B801200005001';
    const byUpn = linkedAccount(
      'by.upn',
      { ...p, personId: 'Z7', fields: { ...p.fields, upn, legalForename: 'Orlagh' } },
      other,
    );
    const result = plan(
      input({ school: here, people: [{ ...p, fields: { ...p.fields, upn } }], accounts: [elsewhere, byUpn] }),
    );
    expect(outcomeOf(result, 'A1')).toMatchObject({ outcome: 'auto_matched', username: 'by.upn', reason: 'same UPN' });
  });

  it('a request without a birth date is linked only when it was made at this school and is still open', () => {
    const request = (at = here, status: 'active' | 'ended' = 'active') => {
      const m = manualAccount('orla.q', { at, legalForename: 'Orla', legalSurname: 'Quinn', gender: 'F' });
      return { ...m, associations: [{ ...m.associations[0]!, status }] };
    };
    const outcome = (account: Account) =>
      outcomeOf(plan(input({ school: here, people: [p], accounts: [account] })), 'A1')?.outcome;
    expect(outcome(request())).toBe('auto_matched');
    expect(outcome(request(other))).toBe('held_for_matching');
    expect(outcome(request(here, 'ended'))).toBe('held_for_matching');
  });

  it('someone an admin unlinked waits for a person however sure the match', () => {
    const result = plan(input({ school: here, people: [p], accounts: [elsewhere], keepHeld: new Set(['A1']) }));
    expect(outcomeOf(result, 'A1')?.outcome).toBe('held_for_matching');
  });
});

describe('order independence', () => {
  const people = [
    ...roster(6),
    ...staffRoster(3),
    pupil({ personId: 'A1', legalForename: 'Orla', legalSurname: 'Quinn' }),
  ];
  const accounts = [
    ...roster(6)
      .slice(0, 4)
      .map((p, i) => linkedAccount(`p${i}`, p, here)),
    linkedAccount('gone', pupil({ personId: 'G1', legalForename: 'Gone' }), here),
    linkedAccount('orla.quinn', pupil({ personId: 'Z9', legalForename: 'Orla', legalSurname: 'Quinn' }), other),
  ];
  const canonical = (p: Plan) => ({
    ...p,
    outcomes: [...p.outcomes].sort((a, b) => `${a.report}${a.personId}`.localeCompare(`${b.report}${b.personId}`)),
    updates: [...p.updates].sort((a, b) => a.after.username.localeCompare(b.after.username)),
  });

  it('gives the same plan whatever order the export lists people in', () => {
    const reference = plan(input({ school: here, people, accounts }));
    // staff before students, then by MIS id
    expect(reference.outcomes.map((o) => o.personId).slice(0, 5)).toEqual(['T0', 'T1', 'T2', 'A1', 'R0']);
    fc.assert(
      fc.property(fc.shuffledSubarray(people, { minLength: people.length }), (shuffled) => {
        expect(plan(input({ school: here, people: shuffled, accounts }))).toEqual(reference);
      }),
      { numRuns: 30 },
    );
  });

  it('and whatever order the accounts are read in', () => {
    const reference = canonical(plan(input({ school: here, people, accounts })));
    fc.assert(
      fc.property(fc.shuffledSubarray(accounts, { minLength: accounts.length }), (shuffled) => {
        expect(canonical(plan(input({ school: here, people, accounts: shuffled })))).toEqual(reference);
      }),
      { numRuns: 30 },
    );
  });
});
