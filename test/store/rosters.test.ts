// A school's roster is what its runs read instead of querying every account of the LA: it must always equal the
// accounts read straight from their collection, after runs, after other writers, after a writer that planned from
// an older version, and after a writer that died between its write and its second epoch move.
import { beforeAll, describe, expect, it } from 'vitest';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { Binary, BSON, type Db } from 'mongodb';
import {
  accountsForSchool,
  fromDoc,
  getAccount,
  rosterKeys,
  toDoc,
  updateAccounts,
  type AccountDoc,
} from '../../src/store/accounts.js';
import { moveEpochs, readRoster, type RosterDoc } from '../../src/store/rosters.js';
import { accountsUnderKeys } from '../../src/store/roster-search.js';
import { restoreAccount, unallocatedAccounts } from '../../src/sync/admin.js';
import { ageOneNight } from '../../src/sync/integris/sim/generator.js';
import { syncSchool, type SyncDeps } from '../../src/sync/process.js';
import type { Account } from '../../src/domain/model.js';
import { registerSchools, simulatedIntegris } from '../helpers/integris.js';
import { silentLogger, useTestStore } from '../helpers/store.js';

const ctx = useTestStore();
const { la, client } = simulatedIntegris({ schools: 3, seed: 33 });
let deps: SyncDeps;

/** The school's accounts read straight from the collection: what its roster must hold. */
async function direct(db: Db, dfeNumber: string): Promise<Account[]> {
  const docs = await db.collection<AccountDoc>('accounts').find({ schools: dfeNumber }).toArray();
  return docs
    .filter((d) => Object.values(d.assoc).some((a) => a.dfeNumber === dfeNumber))
    .map(fromDoc)
    .sort((a, b) => a.username.localeCompare(b.username));
}
const byName = (xs: Account[]) => [...xs].sort((a, b) => a.username.localeCompare(b.username));

async function expectRostersTrue(): Promise<void> {
  for (const s of la.schools) {
    expect(byName(await accountsForSchool(ctx.store.db, s.dfeNumber))).toEqual(await direct(ctx.store.db, s.dfeNumber));
    // each account's keys as the rule gives them, those kept from an earlier save included
    const doc = await ctx.store.db.collection<RosterDoc>('rosters').findOne({ _id: s.dfeNumber });
    const entries = (await readRoster(ctx.store.db, s.dfeNumber)).entries ?? [];
    expect(doc?.keysRule).toBe(rosterKeys.rule);
    expect(JSON.parse(inflateRawSync(doc!.keys!.buffer).toString('utf8'))).toEqual(entries.map(rosterKeys.of));
  }
}

beforeAll(async () => {
  deps = { db: ctx.store.db, logger: await silentLogger(), integris: client };
  await registerSchools(ctx.store.db, la);
});

describe('school rosters', () => {
  it('a run keeps its school current from its own writes, night after night, equal to the accounts', async () => {
    for (let night = 0; night < 4; night++) {
      if (night > 0) ageOneNight(la);
      for (const s of la.schools) {
        const run = await syncSchool(deps, s.dfeNumber, { trigger: 'cli', today: la.today });
        expect(run.status).toBe('succeeded');
        // the run's roster is current: the next run reads it in one lookup, not from the accounts
        expect((await readRoster(ctx.store.db, s.dfeNumber)).entries).toBeDefined();
      }
      await expectRostersTrue();
      // and every roster is current after the night, those of schools whose accounts another school's run wrote to
      // (dual registrations) too
      for (const s of la.schools) expect((await readRoster(ctx.store.db, s.dfeNumber)).entries).toBeDefined();
    }
    // a night with no change writes no roster and keeps it current
    const before = await readRoster(ctx.store.db, la.schools[0]!.dfeNumber);
    const again = await syncSchool(deps, la.schools[0]!.dfeNumber, { trigger: 'cli', today: la.today });
    expect(again.accountWrites).toBe(0);
    expect((await readRoster(ctx.store.db, la.schools[0]!.dfeNumber)).epoch).toBe(before.epoch);
  });

  it("look-alikes from the LA's rosters are the accounts the indexed query finds", async () => {
    const [a] = la.schools.map((s) => s.dfeNumber) as [string];
    const keys = [...new Set((await accountsForSchool(ctx.store.db, a)).flatMap((x) => toDoc(x).blockKeys))];
    const viaRosters = await accountsUnderKeys(ctx.store.db, la.laCode, keys, a);
    const viaQuery = await ctx.store.db
      .collection<AccountDoc>('accounts')
      .find({ blockKeys: { $in: keys }, schools: { $ne: a } })
      .toArray();
    expect(viaRosters.length).toBeGreaterThan(0);
    expect(byName(viaRosters)).toEqual(byName(viaQuery.map(fromDoc)));
  });

  it('another writer makes the rosters it touches stale, and the next read builds them again', async () => {
    const dfe = la.schools[0]!.dfeNumber;
    const [gone] = await unallocatedAccounts(ctx.store.db, dfe);
    expect(gone).toBeDefined();
    await restoreAccount(ctx.store.db, gone!.username, dfe, 'test');
    expect((await readRoster(ctx.store.db, dfe)).entries).toBeUndefined();
    await expectRostersTrue();
    expect((await readRoster(ctx.store.db, dfe)).entries).toBeDefined();
  });

  it('a write planned from an older version moves the schools the account has gained since', async () => {
    const [a, b] = la.schools.map((s) => s.dfeNumber) as [string, string];
    const account = (await accountsForSchool(ctx.store.db, a))[0]!;
    await accountsForSchool(ctx.store.db, b); // b's roster current, without this account
    // a writer adds school b to the account
    const atB = {
      ...account,
      associations: [...account.associations, { ...account.associations[0]!, dfeNumber: b, misPersonId: 'B-1' }],
    };
    await updateAccounts(ctx.store.db, [{ before: account, after: atB }], {
      stamp: { actor: 'test', at: new Date() },
    });
    expect((await accountsForSchool(ctx.store.db, b)).map((x) => x.username)).toContain(account.username);
    // another writer, still holding the version before, renames the account (and one it read as it still is): b's
    // roster must see the new name, and each account is written once
    const other = (await accountsForSchool(ctx.store.db, a)).find((x) => x.username !== account.username)!;
    const written = await updateAccounts(
      ctx.store.db,
      [
        { before: account, after: { ...account, legalSurname: 'Renamed' } },
        { before: other, after: { ...other, legalSurname: 'Renamed too' } },
      ],
      { stamp: { actor: 'test2', at: new Date() } },
    );
    expect(written).toBe(2);
    expect(await getAccount(ctx.store.db, other.username)).toMatchObject({
      legalSurname: 'Renamed too',
      version: other.version + 1,
    });
    const stored = (await getAccount(ctx.store.db, account.username))!;
    expect(stored.legalSurname).toBe('Renamed');
    expect(stored.version).toBe(account.version + 2);
    expect(stored.associations.map((x) => x.dfeNumber)).toEqual(expect.arrayContaining([a, b]));
    await expectRostersTrue();
    expect((await accountsForSchool(ctx.store.db, b)).find((x) => x.username === account.username)?.legalSurname).toBe(
      'Renamed',
    );
  });

  it('reads a roster packed as BSON (as saved before), and keeps it as JSON from the next save', async () => {
    const db = ctx.store.db;
    const dfe = la.schools[0]!.dfeNumber;
    const read = await readRoster(db, dfe);
    expect(read.entries!.length).toBeGreaterThan(0);
    const bson = Buffer.concat(read.entries!.map((e) => BSON.serialize(e)));
    await db
      .collection<RosterDoc>('rosters')
      .updateOne({ _id: dfe }, { $set: { data: new Binary(deflateRawSync(bson)) }, $unset: { format: '' } });
    expect((await readRoster(db, dfe)).entries).toEqual(read.entries);
    await expectRostersTrue();
    await syncSchool(deps, dfe, { trigger: 'cli', today: la.today });
    expect((await db.collection<RosterDoc>('rosters').findOne({ _id: dfe }))?.format).toBe('json');
    await expectRostersTrue();
  });

  it('a writer that died after its write and before its second move leaves the roster stale, never trusted', async () => {
    const dfe = la.schools[1]!.dfeNumber;
    await accountsForSchool(ctx.store.db, dfe);
    // a writer moves every school the account is at first; this one is at one school only
    const victim = (await accountsForSchool(ctx.store.db, dfe)).find((x) =>
      x.associations.every((y) => y.dfeNumber === dfe),
    )!;
    await moveEpochs(ctx.store.db, [dfe]);
    await ctx.store.db
      .collection<AccountDoc>('accounts')
      .updateOne({ _id: victim.username }, { $set: { legalForename: 'Halfway' }, $inc: { version: 1 } });
    expect((await readRoster(ctx.store.db, dfe)).entries).toBeUndefined();
    expect(
      (await accountsForSchool(ctx.store.db, dfe)).find((x) => x.username === victim.username)?.legalForename,
    ).toBe('Halfway');
    await expectRostersTrue();
  });
});
