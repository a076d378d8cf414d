// `uso doctor`: a store that already breaks one person, one account (written before the identity claims, or by
// hand) is found, and --fix merges the duplicates or holds the extra person, every step audited.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { getAccount } from '../../src/store/accounts.js';
import { insertAccounts } from '../../src/store/account-inserts.js';
import { auditFor } from '../../src/store/audit.js';
import { getMatch } from '../../src/store/matches.js';
import { checkStore, identityProblemsByLa } from '../../src/sync/doctor.js';
import { grantRole } from '../../src/bot/access.js';
import { queueLaDigests } from '../../src/bot/notify.js';
import { upsertSchool } from '../../src/store/schools.js';
import { uso } from '../helpers/cli.js';
import { linkedAccount, pupil, school } from '../helpers/people.js';
import { useTestStore } from '../helpers/store.js';

const ctx = useTestStore();
const first = school('2092000');
const second = school('2092001');
const moved = pupil({ upn: 'B801200005001', legalForename: 'Nia', legalSurname: 'Owusu' });
const twin = pupil({ legalForename: 'Ada', legalSurname: 'Owusu' });
const other = pupil({ legalForename: 'Ben', legalSurname: 'Owusu' });

beforeAll(async () => {
  const older = linkedAccount('nia.owusu', moved, first);
  const newer = {
    ...linkedAccount('nia.owusu2', { ...moved, personId: 'P-AT-SECOND' }, second),
    createdAt: '2026-11-27T18:00:00.000Z',
  };
  const doubled = linkedAccount('ada.owusu', twin, first);
  doubled.associations.push({ ...linkedAccount('x', other, first).associations[0]!, since: '2024-09-01' });
  await insertAccounts(ctx.store.db, [older, newer, doubled]);
  process.env.MONGODB_URI = `${inject('mongoUri').replace(/\/?$/, '/')}${ctx.store.db.databaseName}`;
});

afterAll(() => {
  delete process.env.MONGODB_URI;
});

describe('uso doctor', () => {
  it('lists each account that breaks the rules, without names, and exits 1', async () => {
    const res = await uso('doctor');
    expect(res.code).toBe(1);
    expect(res.out).toContain('one UPN on two or more accounts: nia.owusu, nia.owusu2 (2092000, 2092001)');
    expect(res.out).toContain('one account carrying two MIS persons of one school: ada.owusu (2092000)');
    expect(res.out).not.toMatch(/Nia|Owusu/);
  });

  it("says what it finds in the LA admins' morning digest", async () => {
    const db = ctx.store.db;
    for (const s of [first, second])
      await upsertSchool(db, { dfeNumber: s.dfeNumber, name: s.name, laCode: s.laCode, acceptedReports: ['students'] });
    await grantRole(db, { platform: 'cli', userId: 'ops', displayName: 'ops' }, first.dfeNumber, 'slack:T8:ULA', 'la');
    const found = await checkStore(db);
    expect(await queueLaDigests(db, '2026-12-01', identityProblemsByLa(found.violations))).toBe(1);
    const digest = await db.collection('outbox').findOne({ _id: 'digest:2026-12-01:slack:T8:ULA' as never });
    expect(digest?.message.text).toContain(
      'one UPN on two or more accounts: 1, one account carrying two MIS persons of one school: 1',
    );
    expect(digest?.message.text).toContain('uso doctor --fix');
    expect(digest?.message.text).not.toMatch(/Nia|Owusu/);
  });

  it('--fix merges the duplicate into the older account and holds the extra person, audited; then all is well', async () => {
    const res = await uso('doctor', '--fix', '--json');
    expect(res.json().left, res.out).toEqual([]);
    expect(res.code).toBe(0);
    const survivor = (await getAccount(ctx.store.db, 'nia.owusu'))!;
    expect(survivor.associations.map((x) => x.dfeNumber).sort()).toEqual(['2092000', '2092001']);
    expect(survivor.status).toBe('active');
    const merged = (await getAccount(ctx.store.db, 'nia.owusu2'))!;
    expect(merged.status).toBe('unallocated');
    expect((await auditFor(ctx.store.db, { username: 'nia.owusu2' }))[0]).toMatchObject({
      action: 'identity.merged',
      actor: expect.stringMatching(/^cli:/),
    });
    const kept = (await getAccount(ctx.store.db, 'ada.owusu'))!;
    // the longest-standing link stays; the one made later is held beside the account
    expect(kept.associations.filter((x) => x.status === 'active').map((x) => x.misPersonId)).toEqual([twin.personId]);
    expect(await getMatch(ctx.store.db, '2092000', other.personId)).toMatchObject({
      status: 'open',
      candidates: [expect.objectContaining({ username: 'ada.owusu', certain: false })],
    });
    expect((await checkStore(ctx.store.db)).violations).toEqual([]);
    expect((await uso('doctor')).code).toBe(0);
  });
});
