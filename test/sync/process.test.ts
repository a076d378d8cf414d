// The sync against the real store (FerretDB here): export through the simulator, process, re-process, age a night.
import { beforeAll, describe, expect, it } from 'vitest';
import { getAccount, accountsForSchool } from '../../src/store/accounts.js';
import { letGo, takeLease } from '../../src/store/leases.js';
import { openMatches } from '../../src/store/matches.js';
import { getRun } from '../../src/store/runs.js';
import { attendanceOf, contactsOfPupil, groupsOf } from '../../src/store/schoolData.js';
import { setGlobalPause } from '../../src/store/schools.js';
import { decideHeldChanges, restoreAccount, unallocatedAccounts } from '../../src/sync/admin.js';
import { ageOneNight } from '../../src/sync/integris/sim/generator.js';
import { processExport, syncSchool, takeExport, type SyncDeps } from '../../src/sync/process.js';
import { registerSchools, simulatedIntegris } from '../helpers/integris.js';
import { captureLogger } from '../helpers/log.js';
import { useTestStore } from '../helpers/store.js';

const ctx = useTestStore();
const { la, client, sim } = simulatedIntegris({ schools: 3, seed: 21 });
const [first, second, third] = la.schools as [(typeof la.schools)[0], (typeof la.schools)[0], (typeof la.schools)[0]];
const log = captureLogger();
let deps: SyncDeps;

beforeAll(async () => {
  deps = { db: ctx.store.db, logger: log.logger, integris: client };
  await registerSchools(ctx.store.db, la);
});

describe('processing exports into the store', () => {
  it('creates every pupil and member of staff on the first run, and stores contacts, groups and attendance', async () => {
    const run = await syncSchool(deps, first.dfeNumber, { trigger: 'cli', today: la.today });
    const people = first.students.length + first.staff.length;
    expect(run.status).toBe('succeeded');
    expect(run.counts.created).toBe(people);
    expect(run.accountWrites).toBe(people);
    const pupil = first.students[0]!;
    const account = (await accountsForSchool(ctx.store.db, first.dfeNumber)).find((a) =>
      a.associations.some((x) => x.misPersonId === pupil.personId),
    )!;
    expect(account).toMatchObject({ legalForename: pupil.legalForename, upn: pupil.upn, status: 'active' });
    expect(account.associations[0]!.groups).toEqual(expect.arrayContaining([pupil.registrationGroup]));
    expect((await groupsOf(ctx.store.db, first.dfeNumber)).length).toBe(first.groups.length);
    expect((await contactsOfPupil(ctx.store.db, first.dfeNumber, pupil.personId)).length).toBeGreaterThan(0);
    expect((await attendanceOf(ctx.store.db, first.dfeNumber, pupil.personId)).length).toBe(10);
    // no personal data in the logs
    expect(log.text()).not.toContain(pupil.legalSurname);
    expect(log.text()).toContain('school run finished');
  });

  it('re-running the same export reports every record unchanged and writes nothing', async () => {
    const run = await processExport(deps, first.dfeNumber, { trigger: 'cli', today: la.today });
    expect(run.counts.unchanged).toBe(first.students.length + first.staff.length);
    expect(run.outcomes.every((o) => o.outcome === 'unchanged')).toBe(true);
    expect(run.accountWrites).toBe(0);
  });

  it('keeps two runs of one school apart, and a repeated job key does nothing', async () => {
    const held = await takeLease(ctx.store.db, `run:${first.dfeNumber}`, 'someone-else', 60_000);
    expect(held).toBeDefined();
    await expect(processExport(deps, first.dfeNumber, { trigger: 'cli', today: la.today })).rejects.toMatchObject({
      code: 'run_in_progress',
    });
    await letGo(ctx.store.db, held!, 'clean');
    const once = await processExport(deps, first.dfeNumber, {
      trigger: 'nightly',
      today: la.today,
      runKey: `${first.dfeNumber}:night-1`,
    });
    const twice = await processExport(deps, first.dfeNumber, {
      trigger: 'nightly',
      today: la.today,
      runKey: `${first.dfeNumber}:night-1`,
    });
    expect(once.status).toBe('succeeded');
    expect(twice).toMatchObject({ status: 'skipped', runId: '' });
  });

  it('skips paused runs and says why', async () => {
    await setGlobalPause(ctx.store.db, true, 'summer rollover');
    const run = await processExport(deps, first.dfeNumber, { trigger: 'nightly', today: la.today });
    expect(run).toMatchObject({ status: 'skipped', note: 'all runs are paused (summer rollover)' });
    await setGlobalPause(ctx.store.db, false);
  });

  it('stores no partial export when Integris fails, and runs nothing', async () => {
    sim.setFaults({ truncateLastPage: true });
    await expect(takeExport(deps, second.dfeNumber, { today: la.today })).rejects.toMatchObject({
      code: 'export_incomplete',
    });
    sim.setFaults({});
    await expect(processExport(deps, second.dfeNumber, { trigger: 'cli', today: la.today })).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('ages a night: moves re-use accounts, leavers are unallocated and restorable, look-alikes wait', async () => {
    await syncSchool(deps, second.dfeNumber, { trigger: 'cli', today: la.today });
    await syncSchool(deps, third.dfeNumber, { trigger: 'cli', today: la.today });
    const changes = ageOneNight(la);
    const runs = [];
    for (const s of la.schools) runs.push(await syncSchool(deps, s.dfeNumber, { trigger: 'nightly', today: la.today }));
    const moved = changes.find((c) => c.kind === 'moved_school')!;
    const movedRun = runs.find((r) => r.dfeNumber === moved.dfeNumber)!;
    const movedOutcome = movedRun.outcomes.find((o) => o.personId === moved.personId)!;
    expect(movedOutcome).toMatchObject({ outcome: 'auto_matched', reason: 'same UPN' });
    const movedAccount = (await getAccount(ctx.store.db, movedOutcome.username!))!;
    expect(movedAccount.associations.find((x) => x.dfeNumber === moved.otherDfeNumber)?.status).toBe('ended');
    expect(movedAccount.associations.find((x) => x.dfeNumber === moved.dfeNumber)?.status).toBe('active');

    const secondPost = changes.find((c) => c.kind === 'staff_second_school')!;
    expect(
      runs.find((r) => r.dfeNumber === secondPost.dfeNumber)!.outcomes.find((o) => o.personId === secondPost.personId)
        ?.outcome,
    ).toBe('auto_matched');

    const twins = changes.filter((c) => c.kind === 'twins');
    for (const t of twins)
      expect(
        runs.find((r) => r.dfeNumber === t.dfeNumber)!.outcomes.find((o) => o.personId === t.personId)?.outcome,
      ).toBe('created');

    const leaver = changes.find((c) => c.kind === 'leaver' && c.dfeNumber === first.dfeNumber)!;
    const left = runs[0]!.outcomes.find((o) => o.personId === leaver.personId)!;
    expect(left.outcome).toBe('unallocated');
    expect((await unallocatedAccounts(ctx.store.db, first.dfeNumber)).map((a) => a.username)).toContain(left.username);
    const restored = await restoreAccount(ctx.store.db, left.username!, first.dfeNumber, 'cli:test');
    expect(restored.status).toBe('active');
    await expect(restoreAccount(ctx.store.db, left.username!, first.dfeNumber, 'cli:test')).rejects.toMatchObject({
      code: 'stale_action',
    });
    // the restored account is kept by hand: the next run does not end it again
    const again = await processExport(deps, first.dfeNumber, { trigger: 'cli', today: la.today });
    expect(again.outcomes.find((o) => o.username === left.username)).toBeUndefined();
    expect((await getAccount(ctx.store.db, left.username!))!.status).toBe('active');
  });

  it('holds a mass unallocation for approval; approval applies it once, a second decision is stale', async () => {
    const school = la.schools[2]!;
    const removed = school.students.splice(0, Math.ceil(school.students.length * 0.2));
    const run = await syncSchool(deps, school.dfeNumber, { trigger: 'nightly', today: la.today });
    const active = removed.filter((p) => !p.leavingDate && p.enrolmentStatus !== 'S');
    expect(run.counts.held_unallocation).toBe(active.length);
    expect(run.counts.unallocated).toBe(0);
    const stored = await getRun(ctx.store.db, run.runId);
    expect(stored?.heldState).toBe('pending');
    const result = await decideHeldChanges(ctx.store.db, run.runId, 'approved', 'cli:head');
    expect(result.applied).toBe(active.length);
    // each applied change has its own entry naming the approver, beside the decision's summary
    const entries = await ctx.store.db.collection('audit').find({ runId: run.runId, actor: 'cli:head' }).toArray();
    expect(entries.filter((e) => e.action === 'account.unallocated')).toHaveLength(active.length);
    expect(new Set(entries.filter((e) => e.action === 'account.unallocated').map((e) => e.username)).size).toBe(
      active.length,
    );
    expect(entries.filter((e) => e.action === 'held.approved')).toHaveLength(1);
    await expect(decideHeldChanges(ctx.store.db, run.runId, 'rejected', 'cli:other')).rejects.toMatchObject({
      code: 'stale_action',
    });
    expect((await unallocatedAccounts(ctx.store.db, school.dfeNumber)).length).toBeGreaterThanOrEqual(active.length);
    school.students.push(...removed);
  });

  it('holds a look-alike for matching instead of creating a duplicate', async () => {
    const school = la.schools[1]!;
    const existing = school.students[3]!;
    school.students.push({
      ...existing,
      personId: 'LOOKALIKE-1',
      upn: undefined,
      legalSurname: `${existing.legalSurname}e`,
      admissionDate: la.today,
    });
    delete school.students[school.students.length - 1]!.upn;
    const run = await syncSchool(deps, school.dfeNumber, { trigger: 'cli', today: la.today });
    expect(run.outcomes.find((o) => o.personId === 'LOOKALIKE-1')).toMatchObject({ outcome: 'held_for_matching' });
    const open = await openMatches(ctx.store.db, school.dfeNumber);
    expect(open.map((m) => m.misPersonId)).toContain('LOOKALIKE-1');
  });
});
