// Matches an operator or admin makes by hand: an account that does not look like the person is refused unless the
// operator forces it with a reason (audited), and undoing a match after the next run has written the person's
// details over the account puts the account's own details back.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { getAccount } from '../../src/store/accounts.js';
import { allAccounts } from '../../src/store/account-scans.js';
import { auditFor } from '../../src/store/audit.js';
import { getMatch } from '../../src/store/matches.js';
import { upsertSchool } from '../../src/store/schools.js';
import { unmatchPerson } from '../../src/sync/corrections.js';
import { matchPerson } from '../../src/sync/admin.js';
import { generateLocalAuthority } from '../../src/sync/integris/sim/generator.js';
import { syncSchool, type SyncDeps } from '../../src/sync/process.js';
import type { ExportFile } from '../../src/domain/records.js';
import { uso } from '../helpers/cli.js';
import { captureLogger } from '../helpers/log.js';
import { useTestStore } from '../helpers/store.js';

const ctx = useTestStore();
const la = generateLocalAuthority({ seed: 31, schools: 2, sizeFactor: 0.15 });
const [a, b] = la.schools as [(typeof la.schools)[0], (typeof la.schools)[0]];
let deps: SyncDeps;

const exportOf = (school: typeof a, students = school.students): ExportFile => ({
  dfeNumber: school.dfeNumber,
  exportedAt: `${la.today}T18:00:00Z`,
  source: 'integris',
  reports: { students, staff: school.staff },
  completeness: {},
});
const sync = (school: typeof a, students?: typeof a.students) =>
  syncSchool(deps, school.dfeNumber, { trigger: 'cli', file: exportOf(school, students), today: la.today });

async function accountOf(school: typeof a, personId: string) {
  for await (const { account } of allAccounts(ctx.store.db))
    if (account.associations.some((x) => x.dfeNumber === school.dfeNumber && x.misPersonId === personId))
      return account;
  throw new Error(`no account for ${personId}`);
}

// a pupil who left school b (unallocated there), and one who arrives at school a looking like them: one letter off
const leaver = b.students[0]!;
const arriving = { ...leaver, personId: 'ARRIVING', legalForename: `${leaver.legalForename}x` };
delete (arriving as { upn?: string }).upn;

beforeAll(async () => {
  deps = { db: ctx.store.db, logger: captureLogger().logger };
  for (const s of la.schools)
    await upsertSchool(ctx.store.db, {
      dfeNumber: s.dfeNumber,
      name: s.name,
      laCode: s.laCode,
      acceptedReports: ['students', 'staff'],
    });
  await sync(b);
  await sync(b, b.students.slice(1));
  const run = await sync(a, [...a.students, arriving]);
  expect(run.outcomes.find((o) => o.personId === 'ARRIVING')?.outcome).toBe('held_for_matching');
  process.env.MONGODB_URI = `${inject('mongoUri').replace(/\/?$/, '/')}${ctx.store.db.databaseName}`;
});

afterAll(() => {
  delete process.env.MONGODB_URI;
});

describe('operator matches', () => {
  it('refuses to link an account that does not look like the person, unless forced with a reason, which is audited', async () => {
    const other = await accountOf(b, b.students[3]!.personId);
    const refused = await uso('match', a.dfeNumber, 'ARRIVING', '--to', other.username);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/does not look like MIS person ARRIVING/);
    expect(refused.err).not.toContain(other.legalSurname);
    expect((await uso('match', a.dfeNumber, 'ARRIVING', '--to', other.username, '--force')).code).toBe(2);
    expect((await uso('match', a.dfeNumber, 'ARRIVING', '--create', '--reason', 'x')).code).toBe(2);
    expect((await getMatch(ctx.store.db, a.dfeNumber, 'ARRIVING'))?.status).toBe('open');
    // chat has no way round it: the same rule without force
    await expect(
      matchPerson(ctx.store.db, a.dfeNumber, 'ARRIVING', other.username, 'slack:T1:U1', () => true),
    ).rejects.toMatchObject({ code: 'not_alike' });
    const forced = await uso(
      'match',
      a.dfeNumber,
      'ARRIVING',
      '--to',
      other.username,
      '--force',
      '--reason',
      'confirmed with the school office: records merged',
    );
    expect(forced.code).toBe(0);
    const entry = (await auditFor(ctx.store.db, { username: other.username }, 5)).find(
      (e) => e.action === 'match.linked',
    );
    expect(entry?.detail).toContain('forced although not alike: confirmed with the school office');
    expect((await uso('unmatch', a.dfeNumber, 'ARRIVING')).code).toBe(0);
  });

  it("undo after the next run has written the person's details over the account puts the account's own back", async () => {
    const original = await accountOf(b, leaver.personId);
    expect(original.status).toBe('unallocated');
    await matchPerson(ctx.store.db, a.dfeNumber, 'ARRIVING', original.username, 'cli:operator');
    // the next run of school a writes the arriving pupil's details over the account
    await sync(a, [...a.students, arriving]);
    const overwritten = await getAccount(ctx.store.db, original.username);
    expect(overwritten?.legalForename).toBe(arriving.legalForename);
    await unmatchPerson(ctx.store.db, a.dfeNumber, 'ARRIVING', 'cli:operator');
    const restored = (await getAccount(ctx.store.db, original.username))!;
    expect(restored.legalForename).toBe(original.legalForename);
    expect(restored.dateOfBirth).toBe(original.dateOfBirth);
    expect(restored.upn).toBe(original.upn);
    expect(restored.associations.map((x) => x.dfeNumber)).toEqual([b.dfeNumber]);
    expect(restored.status).toBe('unallocated');
    expect((await getMatch(ctx.store.db, a.dfeNumber, 'ARRIVING'))?.status).toBe('open');
  });
});
