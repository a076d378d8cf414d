// On a first night the schools already run wait to be filed in the look-alike index, and a newcomer's look-alikes
// there are read from their rosters by the index's own keys: the matcher must be given every account the older
// search (every account under the newcomer's block keys) gave it that it could take for the newcomer, far fewer
// accounts in all, and the LA's counts of surnames and birth dates the weights need; rosters saved before they
// kept the index's keys too.
import { describe, expect, it } from 'vitest';
import { deflateRawSync } from 'node:zlib';
import { Binary } from 'mongodb';
import type { MatchablePerson } from '../../src/domain/blocking.js';
import { firstForename, wholeSurname } from '../../src/domain/lookalike-keys.js';
import type { Account } from '../../src/domain/model.js';
import { allAccounts } from '../../src/store/account-scans.js';
import { markLookalikeIndex, pendingSchools } from '../../src/store/lookalikes.js';
import { readRoster, type RosterDoc } from '../../src/store/rosters.js';
import { generateLocalAuthority } from '../../src/sync/integris/sim/generator.js';
import { lookalikesElsewhere } from '../../src/sync/lookalike-search.js';
import { lookalikeKind } from '../../src/sync/match.js';
import { syncSchool, type SyncDeps } from '../../src/sync/process.js';
import { exportOf } from '../../bench/lib.js';
import { registerSchools } from '../helpers/integris.js';
import { captureLogger } from '../helpers/log.js';
import { useTestStore } from '../helpers/store.js';

const ctx = useTestStore();

describe('a first night: look-alikes in schools waiting to be filed', () => {
  it('reads their rosters by the index keys: the same look-alikes, fewer accounts, the LA counts', async () => {
    const db = ctx.store.db;
    const la = generateLocalAuthority({ seed: 31, schools: 4, laCode: '802', sizeFactor: 0.5 });
    const { logger } = captureLogger();
    const deps: SyncDeps = { db, logger };
    await registerSchools(db, la);
    const [first, second, third, last] = la.schools as [
      (typeof la.schools)[0],
      (typeof la.schools)[0],
      (typeof la.schools)[0],
      (typeof la.schools)[0],
    ];
    for (const school of [first, second, third])
      await syncSchool(deps, school.dfeNumber, {
        trigger: 'file',
        file: exportOf(school, `${la.today}T18:00:00Z`),
        today: la.today,
      });
    expect((await pendingSchools(db, la.laCode)).size).toBe(3);

    // the last school's pupils, some of them with a slip, a new surname or no birth date, and one copied from the
    // first school (a pupil registered at both)
    const newcomers: MatchablePerson[] = last.students.slice(0, 120).map((s, i) => ({
      kind: 'pupil',
      legalForename: s.legalForename,
      legalSurname: i % 7 === 0 ? `${s.legalSurname}-Moore` : s.legalSurname,
      ...(i % 11 === 0 ? {} : { dateOfBirth: s.dateOfBirth }),
      ...(s.upn ? { upn: s.upn } : {}),
    }));
    const twice = first.students[3]!;
    newcomers.push({
      kind: 'pupil',
      legalForename: twice.legalForename,
      legalSurname: twice.legalSurname,
      dateOfBirth: twice.dateOfBirth,
    });

    const narrow = await lookalikesElsewhere(db, la.laCode, last.dfeNumber, newcomers, new Set());
    await markLookalikeIndex(db, false);
    const older = await lookalikesElsewhere(db, la.laCode, last.dfeNumber, newcomers, new Set());
    await markLookalikeIndex(db, true);

    const compared = (list: readonly Account[]) =>
      newcomers.map((p) =>
        list
          .filter((a) => lookalikeKind(p, a))
          .map((a) => a.username)
          .sort(),
      );
    expect(compared(narrow.accounts)).toEqual(compared(older.accounts));
    expect(compared(narrow.accounts).flat().length).toBeGreaterThan(0);
    expect(narrow.accounts.length * 3).toBeLessThan(older.accounts.length);

    // each newcomer's surname and birth date counted as the index counts them: an account once a school it is at
    const all: Account[] = [];
    for await (const { account } of allAccounts(db)) all.push(account);
    const atSchools = (a: Account) => new Set(a.associations.map((x) => x.dfeNumber)).size;
    for (const p of newcomers) {
      const surname = wholeSurname(p);
      const namesakes = all.filter((a) => firstForename(a) && wholeSurname(a) === surname);
      expect(narrow.counts?.surnames.get(surname) ?? 0).toBe(namesakes.reduce((n, a) => n + atSchools(a), 0));
      if (!p.dateOfBirth) continue;
      const born = all.filter((a) => a.dateOfBirth === p.dateOfBirth && a.legalForename.trim());
      expect(narrow.counts?.births.get(p.dateOfBirth) ?? 0).toBe(born.reduce((n, a) => n + atSchools(a), 0));
    }

    // rosters saved before they kept the index's keys (block keys only): their keys are worked out again
    for (const school of [first, second, third]) {
      const doc = (await db.collection<RosterDoc>('rosters').findOne({ _id: school.dfeNumber }))!;
      const accounts = all.filter((a) => a.associations.some((x) => x.dfeNumber === school.dfeNumber));
      expect(doc.size).toBe(accounts.length);
      const blockOnly = await blockKeysInRosterOrder(db, school.dfeNumber);
      await db.collection<RosterDoc>('rosters').updateOne(
        { _id: school.dfeNumber },
        {
          $set: { keys: new Binary(deflateRawSync(Buffer.from(JSON.stringify(blockOnly)))) },
          $unset: { keysRule: '' },
        },
      );
    }
    const fromOlderRosters = await lookalikesElsewhere(db, la.laCode, last.dfeNumber, newcomers, new Set());
    expect(compared(fromOlderRosters.accounts)).toEqual(compared(narrow.accounts));
    expect(fromOlderRosters.counts).toEqual(narrow.counts);
  });
});

/** A roster's accounts' block keys, in the roster's order (as a roster saved before kept them). */
async function blockKeysInRosterOrder(db: typeof ctx.store.db, dfeNumber: string): Promise<string[][]> {
  const read = await readRoster(db, dfeNumber);
  return (read.entries ?? []).map((e) => (e as { blockKeys?: string[] }).blockKeys ?? []);
}
