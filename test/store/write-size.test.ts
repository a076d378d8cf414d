// Writes that touch a whole LA at once stay within the embedded store's statement limit: an accounts import over
// 150 schools, the start-up re-derivations (rosters, block keys) over as many. The suite-wide guard
// (test/setup/write-guard.ts) refuses any command over the limit on the wire; here the paths that would send one
// are driven at that size, and the store still answers afterwards.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { accountsForSchool } from '../../src/store/accounts.js';
import { ensureBlockKeys, ensureRosters } from '../../src/store/account-scans.js';
import { uso } from '../helpers/cli.js';
import { useTestStore } from '../helpers/store.js';

const ctx = useTestStore();
const dir = mkdtempSync(join(tmpdir(), 'uso-write-size-'));
const schools = Array.from({ length: 150 }, (_, i) => `209${String(3000 + i)}`);

beforeAll(() => {
  process.env.MONGODB_URI = `${inject('mongoUri').replace(/\/?$/, '/')}${ctx.store.db.databaseName}`;
});
afterAll(() => {
  delete process.env.MONGODB_URI;
  rmSync(dir, { recursive: true, force: true });
});

describe('writes across a whole LA', () => {
  it('imports accounts spread over 150 schools, and the store answers afterwards', async () => {
    const schoolsFile = join(dir, 'schools.json');
    writeFileSync(
      schoolsFile,
      JSON.stringify(schools.map((dfeNumber) => ({ dfeNumber, name: `School ${dfeNumber}`, laCode: '209' }))),
    );
    expect((await uso('schools', 'import', schoolsFile)).code).toBe(0);
    const lines = schools.flatMap((dfeNumber, i) => [
      {
        username: `pupil${i}`,
        kind: 'pupil',
        legalForename: 'Pupil',
        legalSurname: `N${i}`,
        associations: [{ dfeNumber, source: 'manual' }],
      },
      // a member of staff at this school and the next: one account, two schools
      {
        username: `staff${i}`,
        kind: 'staff',
        legalForename: 'Staff',
        legalSurname: `N${i}`,
        associations: [
          { dfeNumber, source: 'manual' },
          { dfeNumber: schools[(i + 1) % schools.length], source: 'manual' },
        ],
      },
    ]);
    const file = join(dir, 'accounts.jsonl');
    writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n'));
    const imported = await uso('accounts', 'import', file, '--json');
    expect(imported.code, imported.err).toBe(0);
    await ctx.store.ping(5000);
    expect((await uso('status', '--json')).code).toBe(0);
    expect((await accountsForSchool(ctx.store.db, schools[149]!)).map((a) => a.username).sort()).toEqual([
      'pupil149',
      'staff148',
      'staff149',
    ]);
  });

  it('re-derives rosters and block keys of 150 schools at start-up in commands the store takes', async () => {
    const db = ctx.store.db;
    await db.collection('rosters').deleteMany({});
    await db.collection('globals').deleteMany({ _id: { $in: ['rosters', 'blockKeys'] } } as never);
    await db.collection('accounts').updateMany({}, { $set: { blockKeys: [] } });
    expect(await ensureBlockKeys(db)).toBe(300);
    await ensureRosters(db);
    await ctx.store.ping(5000);
    expect(await db.collection('rosters').countDocuments()).toBeGreaterThanOrEqual(150);
  });
});
