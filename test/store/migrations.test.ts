// The store's schema version: a new store starts at this build's, one written before versions were kept is migrated
// once (by one worker of several), what a migration leaves is the current shape, and a build refuses a newer store.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Db } from 'mongodb';
import { MIGRATIONS, SCHEMA_VERSION, migrate, migrationStatus, storeVersion } from '../../src/store/migrations.js';
import { exclusionKeys, listExclusions } from '../../src/store/exclusions.js';
import { getSchool } from '../../src/store/schools.js';
import { coll, getAccount, toDoc } from '../../src/store/accounts.js';
import { misLink } from '../helpers/people.js';
import { isUsoError } from '../../src/errors.js';
import { captureLogger } from '../helpers/log.js';
import { uso } from '../helpers/cli.js';
import { useFreshStoreEachTest } from '../helpers/store.js';

const ctx = useFreshStoreEachTest();
const log = captureLogger();

/** A store as a build before schema versions kept it: a school with the old setting, an account without movedInAt. */
async function storeOfVersion0(db: Db): Promise<void> {
  await db.collection<{ _id: string }>('schools').insertOne({
    _id: '2092000',
    dfeNumber: '2092000',
    name: 'Old School',
    laCode: '209',
    mis: 'integris',
    acceptedReports: ['students'],
    grant: { state: 'granted' },
    settings: { unallocationThresholdPercent: 20, unallocationThresholdMin: 7 },
  } as never);
  // as that build wrote it: the stored shape of today, without an association's own movedInAt
  await coll(db).insertOne(
    toDoc({
      username: 'amelia.hughes',
      kind: 'pupil',
      legalForename: 'Amelia',
      legalSurname: 'Hughes',
      associations: [
        { ...misLink('2092000', 'S1') },
        { ...misLink('2092001', 'S9'), status: 'ended', movedInAt: '2019-09-03T18:00:00.000Z' },
      ],
      status: 'active',
      createdAt: '2020-09-01T00:00:00.000Z',
      updatedAt: '2024-01-01T00:00:00.000Z',
      latestMoveOrCreateAt: '2020-09-03T18:00:00.000Z',
      version: 4,
    }),
  );
  // exclusions as that build kept them: an ObjectId each, unique by school and name
  await db.collection('exclusions').createIndex({ dfeNumber: 1, nameKey: 1 }, { name: 'school_name', unique: true });
  await db.collection('exclusions').insertMany([
    { dfeNumber: '2092000', nameKey: 'test|pupil', name: 'Test Pupil', addedBy: 'admin', addedAt: new Date(0) },
    { dfeNumber: '2092000', nameKey: 'gov|ernor', name: 'Gov Ernor', addedBy: 'admin', addedAt: new Date(0) },
  ]);
}

describe('schema versions', () => {
  it('a store with nothing in it starts at this build’s version, with nothing to apply', async () => {
    const { db } = ctx.store;
    expect(await storeVersion(db)).toEqual({ version: SCHEMA_VERSION, applied: [], recorded: false });
    expect(await migrate(db, log.logger)).toEqual([]);
    expect(await storeVersion(db)).toMatchObject({ version: SCHEMA_VERSION, recorded: true });
    expect((await migrationStatus(db)).pending).toEqual([]);
  });

  it('a store written before versions were kept is migrated to the current shapes, once', async () => {
    const { db } = ctx.store;
    await storeOfVersion0(db);
    const before = await migrationStatus(db);
    expect(before.version).toBe(0);
    expect(before.pending.map((m) => m.version)).toEqual(MIGRATIONS.map((m) => m.version));
    expect((await migrate(db, log.logger)).map((m) => m.name)).toEqual(MIGRATIONS.map((m) => m.name));

    const school = await db.collection('schools').findOne({ _id: '2092000' as never });
    expect(school!.settings).toEqual({ unallocationThresholdPercent: 20, heldChangesMin: 7 });
    expect((await getSchool(db, '2092000'))!.settings.heldChangesMin).toBe(7);
    const account = await getAccount(db, 'amelia.hughes');
    expect(account!.associations.map((x) => x.movedInAt)).toEqual([
      '2020-09-03T18:00:00.000Z',
      '2019-09-03T18:00:00.000Z',
    ]);
    // the shape changed, not the account: a change held against version 4 still applies
    expect(account!.version).toBe(4);
    const after = await migrationStatus(db);
    expect(after).toMatchObject({ version: SCHEMA_VERSION, pending: [] });
    expect(after.applied.map((m) => [m.name, m.changed])).toEqual([
      ['school-settings-held-min', 1],
      ['event-queue-segments', 0],
      ['association-moved-in', 1],
      ['exclusion-ids', 2],
    ]);
    expect(await migrate(db, log.logger)).toEqual([]);
    // a school's exclusions are read by their ids, and adding one again finds it there
    expect((await listExclusions(db, '2092000')).map((e) => [e._id, e.name])).toEqual([
      ['2092000:gov|ernor', 'Gov Ernor'],
      ['2092000:test|pupil', 'Test Pupil'],
    ]);
    expect(await exclusionKeys(db, '2092000')).toEqual(new Set(['gov|ernor', 'test|pupil']));
    expect(await db.collection('exclusions').countDocuments({})).toBe(2);
  });

  it('an exclusion copied under its new id before a stop is kept once', async () => {
    const { db } = ctx.store;
    await storeOfVersion0(db);
    // the stop came after the index went and one copy was made, before its original was deleted
    await db.collection('exclusions').dropIndex('school_name');
    const original = await db.collection('exclusions').findOne({ nameKey: 'test|pupil' });
    const { _id, ...fields } = original!;
    await db.collection<{ _id: string }>('exclusions').insertOne({ ...fields, _id: '2092000:test|pupil' });
    await migrate(db, log.logger);
    expect((await db.collection('exclusions').find({}).toArray()).map((e) => e._id).sort()).toEqual([
      '2092000:gov|ernor',
      '2092000:test|pupil',
    ]);
    expect(_id).not.toBe('2092000:test|pupil');
  });

  it('workers starting together migrate once between them', async () => {
    const { db } = ctx.store;
    await storeOfVersion0(db);
    const done = await Promise.all([migrate(db, log.logger), migrate(db, log.logger), migrate(db, log.logger)]);
    expect(
      done
        .flat()
        .map((m) => m.version)
        .sort(),
    ).toEqual(MIGRATIONS.map((m) => m.version));
    expect((await migrationStatus(db)).applied).toHaveLength(MIGRATIONS.length);
  });

  it('a build refuses a store newer than itself, in one line', async () => {
    const { db } = ctx.store;
    await db
      .collection<{ _id: string; version: number; applied: [] }>('globals')
      .insertOne({ _id: 'schema', version: SCHEMA_VERSION + 1, applied: [] });
    const refused = await migrate(db, log.logger).catch((e: unknown) => e);
    expect(isUsoError(refused, 'store_too_new')).toBe(true);
    expect((refused as Error).message).toBe(
      `the store is at schema version ${SCHEMA_VERSION + 1}, newer than this build's ${SCHEMA_VERSION}: run the build that wrote it or a later one (CHANGELOG.md)`,
    );
    await expect(migrationStatus(db)).rejects.toThrow(/newer than this build/);
  });
});

describe('uso migrate', () => {
  const dbName = `t_migrate_${randomBytes(4).toString('hex')}`;
  let saved: string | undefined;
  beforeAll(() => {
    saved = process.env.MONGODB_URI;
    process.env.MONGODB_URI = `${inject('mongoUri').replace(/\/?$/, '/')}${dbName}`;
  });
  afterAll(async () => {
    if (saved === undefined) delete process.env.MONGODB_URI;
    else process.env.MONGODB_URI = saved;
    await ctx.store.client.db(dbName).dropDatabase();
  });

  it('status looks without changing anything; run applies; status then has nothing to apply', async () => {
    await storeOfVersion0(ctx.store.client.db(dbName));
    const status = await uso('migrate', 'status');
    expect(status.err).toBe('');
    expect(status.code).toBe(0);
    expect(status.out).toContain(`Store schema version 0; this build: ${SCHEMA_VERSION}.`);
    expect(status.out).toContain('school-settings-held-min');
    expect((await uso('migrate', 'status', '--json')).json().pending).toHaveLength(MIGRATIONS.length);
    const run = await uso('migrate', 'run');
    expect(run.out).toBe(
      `Applied ${MIGRATIONS.map((m) => `${m.version} ${m.name}`).join(', ')}; the store is at schema version ${SCHEMA_VERSION}.\n`,
    );
    expect((await uso('migrate', 'status', '--json')).json()).toMatchObject({ version: SCHEMA_VERSION, pending: [] });
    expect((await uso('migrate', 'run')).out).toBe(
      `Nothing to apply: the store is at schema version ${SCHEMA_VERSION}.\n`,
    );
  });

  it('any other command migrates first, and refuses a newer store with one line and exit code 1', async () => {
    const db = ctx.store.client.db(dbName);
    await db
      .collection<{ _id: string }>('globals')
      .replaceOne({ _id: 'schema' }, { version: SCHEMA_VERSION + 2, applied: [] }, { upsert: true });
    const refused = await uso('schools', 'list');
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(
      /^uso schools list: store_too_new: the store is at schema version \d+, newer than this build's \d+: .+\n$/,
    );
  });
});
