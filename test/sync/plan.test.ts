// Every rule the sync must keep (DESIGN.md), as planner cases: each would fail without its rule.
import { describe, expect, it } from 'vitest';
import { overThreshold, plan } from '../../src/sync/plan.js';
import { personNameKey } from '../../src/domain/names.js';
import {
  applyInMemory,
  input,
  linkedAccount,
  manualAccount,
  outcomeOf,
  pupil,
  school,
  staffMember,
  TODAY,
} from '../helpers/people.js';

const here = school('2092000');
const nearby = school('2092001');
const elsewhereLa = school('3302000');

describe('plan: starters', () => {
  it('creates accounts for people whose start date has passed', () => {
    const p = pupil({ legalForename: 'Zoë', legalSurname: "O'Brien" });
    const result = plan(input({ school: here, people: [p] }));
    expect(outcomeOf(result, p.personId)?.outcome).toBe('created');
    expect(result.creates[0]).toMatchObject({
      usernameBase: 'zoe.obrien',
      account: { legalForename: 'Zoë', status: 'active' },
    });
    expect(result.creates[0]!.account.associations[0]).toMatchObject({
      dfeNumber: here.dfeNumber,
      source: 'mis',
      misPersonId: p.personId,
      seenAt: TODAY,
    });
  });

  it('holds future starters and lists them, unless pre-provisioning reaches their start', () => {
    const p = pupil({ startDate: '2026-12-10' });
    expect(outcomeOf(plan(input({ school: here, people: [p] })), p.personId)).toMatchObject({
      outcome: 'future_starter',
      reason: 'starts on 2026-12-10',
    });
    const early = plan(input({ school: school(here.dfeNumber, { preProvisionDays: 14 }), people: [p] }));
    expect(outcomeOf(early, p.personId)?.outcome).toBe('created');
  });

  it('creates twins as two accounts: a shared surname and birthday is not a look-alike', () => {
    const a = pupil({ legalForename: 'Oliver', legalSurname: 'Patel', dateOfBirth: '2016-01-09' });
    const b = pupil({ legalForename: 'Harry', legalSurname: 'Patel', dateOfBirth: '2016-01-09' });
    const first = plan(input({ school: here, people: [a] }));
    const accounts = applyInMemory([], first);
    const second = plan(input({ school: here, people: [a, b], accounts }));
    expect(outcomeOf(second, b.personId)?.outcome).toBe('created');
  });
});

describe('plan: look-alikes are held for matching, not duplicated', () => {
  it.each([
    ['a nickname in the same school', { legalForename: 'Thomas' }, { legalForename: 'Tom' }, here, /short form/],
    [
      'a typo in the surname at a nearby school',
      { legalSurname: 'Hughes' },
      { legalSurname: 'Hughs' },
      nearby,
      /surname differs by one letter/,
    ],
    [
      'day and month of birth swapped',
      { dateOfBirth: '2015-04-12' },
      { dateOfBirth: '2015-12-04' },
      nearby,
      /day and month of birth swapped/,
    ],
    [
      'a double-barrelled surname',
      { legalSurname: 'Hughes' },
      { legalSurname: 'Hughes-Whitfield' },
      here,
      /shares a part/,
    ],
    [
      'accents dropped',
      { legalForename: 'Zoe', legalSurname: 'Muller' },
      { legalForename: 'Zoë', legalSurname: 'Müller', dateOfBirth: '2015-04-13' },
      here,
      /forename|surname/,
    ],
  ])('%s', (_name, existingFields, incomingFields, at, reason) => {
    const existing = manualAccount('existing.one', {
      at,
      kind: 'pupil',
      legalForename: 'Amelia',
      legalSurname: 'Hughes',
      dateOfBirth: '2015-04-12',
      ...existingFields,
    });
    const p = pupil(incomingFields);
    const result = plan(input({ school: here, people: [p], accounts: [existing] }));
    const outcome = outcomeOf(result, p.personId)!;
    expect(outcome.outcome).toBe('held_for_matching');
    expect(outcome.candidates?.[0]?.username).toBe('existing.one');
    expect(outcome.candidates?.[0]?.reasons.join('; ')).toMatch(reason);
    expect(result.creates).toHaveLength(0);
    expect(result.matches[0]).toMatchObject({ personId: p.personId });
  });

  it('ignores accounts of other local authorities and people with a different birthday', () => {
    const far = manualAccount('far.away', {
      at: elsewhereLa,
      legalForename: 'Amelia',
      legalSurname: 'Hughes',
      dateOfBirth: '2015-04-12',
    });
    const sameNameOtherDob = manualAccount('other.amelia', {
      at: here,
      legalForename: 'Amelia',
      legalSurname: 'Hughes',
      dateOfBirth: '2011-07-30',
    });
    const p = pupil({ legalForename: 'Amelia', legalSurname: 'Hughes', dateOfBirth: '2015-04-12' });
    expect(
      outcomeOf(plan(input({ school: here, people: [p], accounts: [far, sameNameOtherDob] })), p.personId)?.outcome,
    ).toBe('created');
  });
});

describe('plan: linked people are updated, never duplicated', () => {
  it('applies a name change and a class change to the same account; the username stays', () => {
    const p = pupil({ legalSurname: 'Hughes' });
    const account = linkedAccount('amelia.hughes', p, here);
    const changed = {
      ...p,
      fields: { ...p.fields, legalSurname: 'Hughes-Khan' },
      association: { ...p.association, registrationGroup: '6B' },
    };
    const result = plan(input({ school: here, people: [changed], accounts: [account] }));
    expect(outcomeOf(result, p.personId)).toMatchObject({ outcome: 'updated', username: 'amelia.hughes' });
    expect(result.creates).toHaveLength(0);
    expect(result.updates[0]!.after).toMatchObject({ username: 'amelia.hughes', legalSurname: 'Hughes-Khan' });
    expect(result.updates[0]!.after.associations[0]!.registrationGroup).toBe('6B');
  });

  it('reports an unchanged person as unchanged and plans no write', () => {
    const p = pupil();
    const result = plan(input({ school: here, people: [p], accounts: [linkedAccount('amelia.hughes', p, here)] }));
    expect(outcomeOf(result, p.personId)?.outcome).toBe('unchanged');
    expect(result.updates).toHaveLength(0);
  });
});

describe('plan: leavers', () => {
  it('ends the association of a person absent from a complete export, to the unallocated pool', () => {
    const gone = pupil();
    const result = plan(input({ school: here, people: [], accounts: [linkedAccount('gone.pupil', gone, here)] }));
    expect(outcomeOf(result, gone.personId)).toMatchObject({ outcome: 'unallocated', username: 'gone.pupil' });
    expect(result.updates[0]!.after).toMatchObject({ status: 'unallocated' });
    expect(result.updates[0]!.after.associations[0]).toMatchObject({ status: 'ended', until: TODAY });
  });

  it('ends the association when the leaving date has passed, keeping other schools', () => {
    const p = pupil();
    const atNearby = {
      dfeNumber: nearby.dfeNumber,
      laCode: '209',
      role: 'pupil' as const,
      status: 'active' as const,
      source: 'mis' as const,
      misPersonId: 'X9',
      since: '2020-09-01',
      seenAt: '2026-11-01',
    };
    const account = linkedAccount('dual.pupil', p, here);
    account.associations.push(atNearby);
    const left = { ...p, endDate: '2026-11-26' };
    const result = plan(input({ school: here, people: [left], accounts: [account] }));
    expect(outcomeOf(result, p.personId)?.outcome).toBe('unallocated');
    expect(result.updates[0]!.after.status).toBe('active');
    expect(result.updates[0]!.after.associations.find((x) => x.dfeNumber === nearby.dfeNumber)?.status).toBe('active');
  });

  it('never unallocates someone no earlier processed export contained', () => {
    const p = pupil();
    const imported = linkedAccount('imported.only', p, here, { seenAt: undefined });
    delete imported.associations[0]!.seenAt;
    const result = plan(input({ school: here, people: [], accounts: [imported] }));
    expect(result.outcomes).toHaveLength(0);
    expect(result.updates).toHaveLength(0);
  });

  it('keeps a leaver for the grace period, counting from the first absence', () => {
    const graced = school(here.dfeNumber, { graceDays: 10 });
    const p = pupil();
    const first = plan(input({ school: graced, people: [], accounts: [linkedAccount('grace.pupil', p, here)] }));
    expect(first.outcomes).toHaveLength(0);
    expect(first.updates[0]!.after.associations[0]).toMatchObject({ status: 'active', absentSince: TODAY });
    const later = plan(input({ school: graced, people: [], accounts: [first.updates[0]!.after], today: '2026-12-08' }));
    expect(outcomeOf(later, p.personId)?.outcome).toBe('unallocated');
    const leavingDate = plan(
      input({
        school: graced,
        people: [{ ...p, endDate: '2026-11-25' }],
        accounts: [linkedAccount('grace.pupil', p, here)],
      }),
    );
    expect(outcomeOf(leavingDate, p.personId)?.outcome).toBe('unchanged');
  });

  it('never unallocates accounts created by hand, and a manual request is matched when the MIS record arrives', () => {
    const manual = manualAccount('by.hand', {
      at: here,
      legalForename: 'Priya',
      legalSurname: 'Sharma',
      dateOfBirth: '2014-06-01',
    });
    const nobody = plan(input({ school: here, people: [], accounts: [manual] }));
    expect(nobody.updates).toHaveLength(0);
    const p = pupil({ legalForename: 'Priya', legalSurname: 'Sharma', dateOfBirth: '2014-06-01' });
    const arrived = plan(input({ school: here, people: [p], accounts: [manual] }));
    expect(outcomeOf(arrived, p.personId)).toMatchObject({ outcome: 'auto_matched', username: 'by.hand' });
    expect(arrived.updates[0]!.after.associations).toEqual([
      expect.objectContaining({ source: 'mis', misPersonId: p.personId, status: 'active' }),
    ]);
  });

  it('links a request made without a birth date when the names agree, it was made at this school and nobody else looks alike', () => {
    const asked = (username: string, at = here) =>
      manualAccount(username, { at, legalForename: 'Priya', legalSurname: 'Sharma' });
    const p = pupil({ legalForename: 'Priya', legalSurname: 'Sharma', dateOfBirth: '2014-06-01' });
    const linked = plan(input({ school: here, people: [p], accounts: [asked('asked.here')] }));
    expect(outcomeOf(linked, p.personId)).toMatchObject({ outcome: 'auto_matched', username: 'asked.here' });
    expect(linked.updates[0]!.after).toMatchObject({ dateOfBirth: '2014-06-01' });
    // asked for at another school: a person decides, told which side has no birth date
    const elsewhere = plan(input({ school: here, people: [p], accounts: [asked('asked.nearby', nearby)] }));
    expect(outcomeOf(elsewhere, p.personId)).toMatchObject({ outcome: 'held_for_matching' });
    expect(elsewhere.matches[0]!.candidates[0]!.reasons).toContain('the account has no date of birth');
    // two requests alike: a person decides
    const two = plan(input({ school: here, people: [p], accounts: [asked('asked.one'), asked('asked.two')] }));
    expect(outcomeOf(two, p.personId)).toMatchObject({ outcome: 'held_for_matching' });
    // a different forename is never linked by itself, birth date or not
    const other = pupil({ legalForename: 'Priyanka', legalSurname: 'Sharma', dateOfBirth: '2014-06-01' });
    expect(
      outcomeOf(plan(input({ school: here, people: [other], accounts: [asked('asked.x')] })), other.personId)?.outcome,
    ).not.toBe('auto_matched');
  });

  it('treats an invalid record as present: bad input never unallocates', () => {
    const p = pupil({ personId: 'S-bad' });
    const result = plan(
      input({
        school: here,
        people: [],
        invalid: [{ report: 'students', id: 'S-bad', field: 'dateOfBirth', reason: 'is required' }],
        accounts: [linkedAccount('kept.pupil', p, here)],
      }),
    );
    expect(result.outcomes).toEqual([
      { report: 'students', personId: 'S-bad', outcome: 'invalid', reason: 'dateOfBirth: is required' },
    ]);
    expect(result.updates).toHaveLength(0);
  });
});

describe('plan: the unallocation guard', () => {
  const roster = Array.from({ length: 40 }, (_, i) =>
    pupil({
      personId: `R${i}`,
      legalForename: `Pupil${String.fromCharCode(65 + (i % 26))}${i}`,
      dateOfBirth: `2015-01-${String((i % 28) + 1).padStart(2, '0')}`,
    }),
  );
  const accounts = roster.map((p, i) => linkedAccount(`p${i}`, p, here));

  it('holds every unallocation of an incomplete export and still applies the rest', () => {
    const starter = pupil({ legalForename: 'New', legalSurname: 'Starter' });
    const result = plan(input({ school: here, people: [...roster.slice(1), starter], accounts, complete: false }));
    expect(outcomeOf(result, 'R0')).toMatchObject({ outcome: 'held_unallocation', reason: 'the export is incomplete' });
    expect(outcomeOf(result, starter.personId)?.outcome).toBe('created');
    expect(result.updates).toHaveLength(0);
    expect(result.held).toEqual([expect.objectContaining({ kind: 'unallocation', username: 'p0' })]);
  });

  it('holds unallocations over the threshold (more than 10% and at least 5), not under it', () => {
    const five = plan(input({ school: here, people: roster.slice(5), accounts }));
    expect(five.counts.held_unallocation).toBe(5);
    expect(five.counts.unallocated).toBe(0);
    const four = plan(input({ school: here, people: roster.slice(4), accounts }));
    expect(four.counts.unallocated).toBe(4);
    const tight = plan(
      input({
        school: school(here.dfeNumber, { unallocationThresholdPercent: 5, heldChangesMin: 2 }),
        people: roster.slice(3),
        accounts,
      }),
    );
    expect(tight.counts.held_unallocation).toBe(3);
  });

  it('needs both halves of the threshold: 5 of 100 leaving (5%) and 3 of 10 (30%, under 5) are not held', () => {
    const hundred = Array.from({ length: 100 }, (_, i) =>
      pupil({ personId: `H${i}`, legalForename: `Hun${i}`, legalSurname: `Dred${i}`, dateOfBirth: '2014-02-03' }),
    );
    const hundredAccounts = hundred.map((p, i) => linkedAccount(`h${i}`, p, here));
    const fiveOfHundred = plan(input({ school: here, people: hundred.slice(5), accounts: hundredAccounts }));
    expect(fiveOfHundred.counts.unallocated).toBe(5);
    expect(fiveOfHundred.counts.held_unallocation).toBe(0);
    const elevenOfHundred = plan(input({ school: here, people: hundred.slice(11), accounts: hundredAccounts }));
    expect(elevenOfHundred.counts.held_unallocation).toBe(11);
    const threeOfTen = plan(input({ school: here, people: roster.slice(3, 10), accounts: accounts.slice(0, 10) }));
    expect(threeOfTen.counts.unallocated).toBe(3);
    expect(threeOfTen.counts.held_unallocation).toBe(0);
  });

  it('states the threshold as both a share and a minimum', () => {
    const t = { percent: 10, min: 5 };
    expect(overThreshold(5, 40, t)).toBe(true); // 12.5%, 5
    expect(overThreshold(4, 40, t)).toBe(false); // 10%: not over
    expect(overThreshold(5, 100, t)).toBe(false); // 5 but only 5%
    expect(overThreshold(3, 10, t)).toBe(false); // 30% but only 3
    expect(overThreshold(11, 100, t)).toBe(true);
  });

  it('holds updates over 75% of the school', () => {
    const renamed = roster.map((p) => ({ ...p, fields: { ...p.fields, legalSurname: 'Renamed' } }));
    const result = plan(input({ school: here, people: renamed, accounts }));
    expect(result.counts.held_update).toBe(40);
    expect(result.updates).toHaveLength(0);
  });
});

describe('plan: exclusions, moves, dual registration and staff', () => {
  it('never creates a name on the exclusion list', () => {
    const p = pupil({ legalForename: 'Test', legalSurname: 'Pupil' });
    const result = plan(input({ school: here, people: [p], exclusions: new Set([personNameKey('Test', 'Pupil')]) }));
    expect(outcomeOf(result, p.personId)?.outcome).toBe('excluded');
    expect(result.creates).toHaveLength(0);
  });

  it('re-uses the account of a pupil moving within the LA (a move, not a create)', () => {
    const p = pupil({ upn: 'B801200005001' });
    const atNearby = linkedAccount('moving.pupil', p, nearby);
    const arrived = { ...p, personId: 'NEW1' };
    const result = plan(input({ school: here, people: [arrived], accounts: [atNearby] }));
    expect(outcomeOf(result, 'NEW1')).toMatchObject({
      outcome: 'auto_matched',
      username: 'moving.pupil',
      reason: 'same UPN',
    });
    expect(result.updates[0]!.after.latestMoveOrCreateAt).not.toBe(atNearby.latestMoveOrCreateAt);
    expect(result.updates[0]!.after.associations.map((x) => x.dfeNumber).sort()).toEqual([
      here.dfeNumber,
      nearby.dfeNumber,
    ]);
  });

  it("takes a dual-registered pupil's details from the main registration: the subsidiary school's spelling never overwrites them, so each school's re-run is a no-op", () => {
    const main = pupil({ upn: 'B801200005001', enrolmentStatus: 'M', legalForename: 'Zoë' });
    const subsidiary = { ...main, personId: 'SUB1', fields: { ...main.fields, legalForename: 'Zoe' } };
    subsidiary.association = { ...main.association, enrolmentStatus: 'S' };
    const account = linkedAccount('dual.reg', main, nearby);
    const linked = applyInMemory([account], plan(input({ school: here, people: [subsidiary], accounts: [account] })));
    const atBoth = linked.find((a) => a.username === 'dual.reg')!;
    expect(atBoth.associations).toHaveLength(2);
    expect(atBoth.legalForename).toBe('Zoë');
    // each school's run again: nothing to write, whichever goes first
    expect(plan(input({ school: here, people: [subsidiary], accounts: [atBoth] })).updates).toEqual([]);
    expect(plan(input({ school: nearby, people: [main], accounts: [atBoth] })).updates).toEqual([]);
    // the main registration's own change of spelling is still applied
    const renamed = { ...main, fields: { ...main.fields, legalForename: 'Zoey' } };
    expect(plan(input({ school: nearby, people: [renamed], accounts: [atBoth] })).updates[0]!.after.legalForename).toBe(
      'Zoey',
    );
  });

  it('keeps both associations of a dual-registered pupil; a guest never displaces the main one', () => {
    const main = pupil({ upn: 'B801200005001', enrolmentStatus: 'M' });
    const account = linkedAccount('dual.reg', main, nearby);
    for (const status of ['S', 'G'] as const) {
      const other = pupil({ personId: `X${status}`, upn: 'B801200005001', enrolmentStatus: status });
      const result = plan(input({ school: here, people: [other], accounts: [account] }));
      expect(outcomeOf(result, `X${status}`)?.outcome).toBe('auto_matched');
      const after = result.updates[0]!.after;
      expect(after.associations.find((x) => x.dfeNumber === nearby.dfeNumber)).toMatchObject({
        status: 'active',
        enrolmentStatus: 'M',
      });
      expect(after.associations.find((x) => x.dfeNumber === here.dfeNumber)).toMatchObject({
        status: 'active',
        enrolmentStatus: status,
      });
    }
  });

  it('links a member of staff starting at a second school by names and date of birth', () => {
    const t = staffMember();
    const result = plan(
      input({
        school: here,
        people: [{ ...t, personId: 'T-second' }],
        accounts: [linkedAccount('daniel.okafor', t, nearby)],
      }),
    );
    expect(outcomeOf(result, 'T-second')).toMatchObject({ outcome: 'auto_matched', username: 'daniel.okafor' });
  });

  it('re-keys accounts after a change of MIS instead of creating or unallocating', () => {
    const old = pupil({ personId: 'SIMS-1', upn: 'B801200005001' });
    const gone = pupil({ personId: 'SIMS-2', legalForename: 'Gone', legalSurname: 'Away', dateOfBirth: '2014-01-01' });
    const switching = school(here.dfeNumber, {}, { misChangePending: { from: 'sims', at: '2026-11-01' } });
    const accounts = [linkedAccount('rekey.me', old, here), linkedAccount('not.found', gone, here)];
    const result = plan(input({ school: switching, people: [{ ...old, personId: 'INT-1' }], accounts }));
    expect(outcomeOf(result, 'INT-1')).toMatchObject({ outcome: 'auto_matched', username: 'rekey.me' });
    expect(outcomeOf(result, 'SIMS-2')?.outcome).toBe('held_unallocation');
    const rekeyed = result.updates.find((u) => u.after.username === 'rekey.me')!.after;
    expect(rekeyed.associations).toEqual([expect.objectContaining({ misPersonId: 'INT-1', status: 'active' })]);
  });

  it('creates a held person anyway once an admin says so', () => {
    const existing = manualAccount('look.alike', {
      at: here,
      legalForename: 'Thomas',
      legalSurname: 'Hughes',
      dateOfBirth: '2015-04-12',
    });
    const p = pupil({ legalForename: 'Tom', legalSurname: 'Hughes' });
    const result = plan(
      input({ school: here, people: [p], accounts: [existing], createAnyway: new Set([p.personId]) }),
    );
    expect(outcomeOf(result, p.personId)?.outcome).toBe('created');
  });
});

describe('plan: right the first time', () => {
  it('brings an auto-matched account fully up to date in the same run: re-running changes nothing', () => {
    const teacher = staffMember({
      legalForename: 'Grace',
      legalSurname: 'Adeyemi',
      dateOfBirth: '1985-07-09',
      startDate: '2024-09-01',
    });
    const requested = manualAccount('grace.adeyemi', {
      at: here,
      kind: 'staff',
      legalForename: 'Grace',
      legalSurname: 'Adeyemi',
      dateOfBirth: '1985-07-09',
    });
    const first = plan(input({ school: here, people: [teacher], accounts: [requested] }));
    expect(outcomeOf(first, teacher.personId)?.outcome).toBe('auto_matched');
    const again = plan(input({ school: here, people: [teacher], accounts: applyInMemory([requested], first) }));
    expect(again.outcomes.map((o) => o.outcome)).toEqual(['unchanged']);
    expect(again.updates).toHaveLength(0);
  });

  it('holds a second MIS record of a linked person in a delta export, as a full export does', () => {
    const a1 = pupil({ personId: 'A1', legalForename: 'Isla', legalSurname: 'Moreno', dateOfBirth: '2016-10-10' });
    const a2 = { ...a1, personId: 'A2' };
    const accounts = [linkedAccount('isla.moreno', a1, here)];
    const full = plan(input({ school: here, people: [a1, a2], accounts }));
    expect(outcomeOf(full, 'A2')?.outcome).toBe('held_for_matching');
    // a delta export (records.changed) names only A2: no full report, A1 is not in it
    const delta = plan(input({ school: here, people: [a2], accounts, fullReports: new Set() }));
    expect(outcomeOf(delta, 'A2')?.outcome).toBe('held_for_matching');
    expect(delta.updates).toHaveLength(0);
  });
});
