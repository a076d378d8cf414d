// One person, one account across the LA, whatever runs at once: schools sharing people (dual registrations, a
// pupil new at two schools, a member of staff with a second post, twins and namesakes) processed all together.
import { describe, expect, it } from 'vitest';
import { accountsForSchool, getAccount } from '../../src/store/accounts.js';
import { allAccounts } from '../../src/store/account-scans.js';
import { openMatches } from '../../src/store/matches.js';
import { checkStore } from '../../src/sync/doctor.js';
import { generateLocalAuthority } from '../../src/sync/integris/sim/generator.js';
import { processExport, takeExport, type SyncDeps } from '../../src/sync/process.js';
import { simulatedIntegris, registerSchools } from '../helpers/integris.js';
import { captureLogger } from '../helpers/log.js';
import { useFreshStoreEachTest } from '../helpers/store.js';

const ctx = useFreshStoreEachTest();

describe('identity across the LA with runs at once', () => {
  it('a pupil on two schools, a second post and namesakes: every school processed at once gives one account each', async () => {
    const { la, client } = simulatedIntegris({
      la: generateLocalAuthority({ seed: 5, schools: 4, sizeFactor: 1 }),
    });
    const [a, b, c, d] = la.schools as [
      (typeof la.schools)[0],
      (typeof la.schools)[0],
      (typeof la.schools)[0],
      (typeof la.schools)[0],
    ];
    // the same pupil new at a and c (one UPN), a teacher with posts at b and d, and two different pupils with one
    // name and birthday (different UPNs) at c and d
    const pupil = { ...a.students[0]!, personId: 'X-DUAL', enrolmentStatus: 'S' as const };
    delete pupil.registrationGroup;
    c.students.push(pupil);
    const teacher = { ...b.staff[0]!, personId: 'X-POST' };
    d.staff.push(teacher);
    const namesake = { ...c.students[1]!, personId: 'X-NAMESAKE', upn: d.students[0]!.upn };
    d.students[0] = { ...namesake, personId: d.students[0]!.personId };
    const { logger } = captureLogger();
    await registerSchools(ctx.store.db, la);
    const deps: SyncDeps = { db: ctx.store.db, logger, integris: client };
    for (const s of la.schools) await takeExport(deps, s.dfeNumber, { today: la.today });
    const runs = await Promise.all(
      la.schools.map((s) => processExport(deps, s.dfeNumber, { trigger: 'nightly', today: la.today })),
    );
    expect(runs.every((r) => r.status === 'succeeded')).toBe(true);
    const checked = await checkStore(ctx.store.db, { lookalikes: true });
    expect(checked.violations).toEqual([]);
    expect(checked.unaudited).toEqual([]);
    // runs at once kept the look-alike index holding every account as it stands
    expect(checked.unfiled).toEqual([]);
    const accounts: { username: string; upn?: string; schools: string[]; staffAt: string[] }[] = [];
    for await (const { account: x } of allAccounts(ctx.store.db))
      accounts.push({
        username: x.username,
        upn: x.upn,
        schools: x.associations.map((y) => y.dfeNumber).sort(),
        staffAt: x.associations.filter((y) => y.role === 'staff').map((y) => y.dfeNumber),
      });
    // the dual-registered pupil: one account, at both schools (or held at one beside it: never two accounts)
    const dual = accounts.filter((x) => x.upn === pupil.upn);
    expect(dual).toHaveLength(1);
    const heldDual = (await openMatches(ctx.store.db, c.dfeNumber)).filter((m) => m.misPersonId === 'X-DUAL');
    expect(dual[0]!.schools.includes(c.dfeNumber) || heldDual.length === 1).toBe(true);
    // the teacher: one account carrying both posts, or held at one school beside it
    const posts = accounts.filter(
      (x) => x.staffAt.length && (x.staffAt.includes(b.dfeNumber) || x.staffAt.includes(d.dfeNumber)),
    );
    const teacherAccounts = [];
    for (const p of posts) {
      const acc = await getAccount(ctx.store.db, p.username);
      if (acc?.legalForename === teacher.legalForename && acc.legalSurname === teacher.legalSurname)
        teacherAccounts.push(acc);
    }
    const heldTeacher = (await openMatches(ctx.store.db, d.dfeNumber)).filter((m) => m.misPersonId === 'X-POST');
    expect(teacherAccounts.length).toBe(1);
    expect(teacherAccounts[0]!.associations.length === 2 || heldTeacher.length === 1).toBe(true);
    // namesakes with different UPNs are two people: two accounts
    const named = accounts.filter((x) => x.upn === namesake.upn || x.upn === c.students[1]!.upn);
    expect(named).toHaveLength(2);
    // re-running every school's export changes nothing
    const again = await Promise.all(
      la.schools.map((s) => processExport(deps, s.dfeNumber, { trigger: 'cli', today: la.today })),
    );
    expect(again.map((r) => r.accountWrites)).toEqual(la.schools.map(() => 0));
  });

  it("counts each school's accounts into the LA's population as its run leaves them, a first night included", async () => {
    const { la, client } = simulatedIntegris({ la: generateLocalAuthority({ seed: 9, schools: 3, sizeFactor: 1 }) });
    const { logger } = captureLogger();
    await registerSchools(ctx.store.db, la);
    const deps: SyncDeps = { db: ctx.store.db, logger, integris: client };
    for (const s of la.schools) {
      await takeExport(deps, s.dfeNumber, { today: la.today });
      await processExport(deps, s.dfeNumber, { trigger: 'nightly', today: la.today });
    }
    const population = await ctx.store.db
      .collection<{ _id: string; schools: Record<string, number> }>('globals')
      .findOne({ _id: `population:${la.laCode}` });
    for (const s of la.schools)
      expect(population?.schools[s.dfeNumber]).toBe((await accountsForSchool(ctx.store.db, s.dfeNumber)).length);
  });
});
