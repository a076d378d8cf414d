// The look-alike index on a real store: kept a superset of the accounts through every write (new accounts, a
// username taken first, changes, deletes), emptied of a person on erasure, built again from the accounts, and
// finding what the older search found.
import { beforeAll, describe, expect, it } from 'vitest';
import { accountsByUsername, eraseAccount, getAccount, updateAccounts } from '../../src/store/accounts.js';
import { insertAccounts, insertAccountsReporting, insertNewAccounts } from '../../src/store/account-inserts.js';
import { ensureLookalikeIndex } from '../../src/store/account-scans.js';
import {
  clearPending,
  markPending,
  pendingSchools,
  fileAccounts,
  fileAdded,
  indexChanges,
  takeOutGone,
  lookalikeIndexReady,
  lookalikes,
  markLookalikeIndex,
  readKeys,
} from '../../src/store/lookalikes.js';
import { indexEntries, lookupKeys } from '../../src/domain/lookalike-keys.js';
import type { Account } from '../../src/domain/model.js';
import { lookalikesElsewhere } from '../../src/sync/lookalike-search.js';
import { lookalikeKind } from '../../src/sync/match.js';
import { checkStore, fileUnfiled } from '../../src/sync/doctor.js';
import { filePending } from '../../src/sync/lookalike-filing.js';
import { finishRun, startRun } from '../../src/store/runs.js';
import { upsertSchool } from '../../src/store/schools.js';
import { misLink, storedAccount } from '../helpers/people.js';
import { useTestStore } from '../helpers/store.js';

const ctx = useTestStore();
beforeAll(async () => {
  // the older search reads the rosters of the LA's schools
  for (const n of [1, 2, 3, 4, 5, 6, 7, 8, 9, 999])
    await upsertSchool(ctx.store.db, {
      dfeNumber: `8013${String(n).padStart(3, '0')}`,
      name: `School ${n}`,
      laCode: '801',
    });
});
const stamp = { actor: 'test', at: new Date() };

const pupil = (username: string, school: string, over: Partial<Account> = {}) =>
  storedAccount(username, {
    legalForename: 'Amelia',
    legalSurname: 'Hughes',
    dateOfBirth: '2015-04-12',
    associations: [misLink(school, `P-${username}`)],
    ...over,
  });

/** Every entry of the index, as `key -> entries`. */
async function wholeIndex(): Promise<Map<string, string[]>> {
  const docs = await lookalikes(ctx.store.db).find({}).toArray();
  return new Map(docs.map((d) => [d._id, d.e ?? []]));
}

/** Whether every entry the account has as it stands is in the index. */
async function filedAsItStands(username: string): Promise<boolean> {
  const account = (await getAccount(ctx.store.db, username))!;
  const index = await wholeIndex();
  return [...indexEntries(account)].every(([k, e]) => index.get(k)?.includes(e));
}

describe('the look-alike index', () => {
  it('files a new account before it is written, and keeps a username taken first filed as its own account', async () => {
    const db = ctx.store.db;
    // another person holds the username the new one would get first
    await insertAccounts(db, [
      pupil('amelia.hughes', '8013001', { legalForename: 'Amelia', legalSurname: 'Hughes', dateOfBirth: '2011-01-01' }),
    ]);
    const made = await insertNewAccounts(db, [{ key: 'P1', base: 'amelia.hughes', account: pupil('x', '8013002') }], {
      stamp,
    });
    const username = made.assigned.get('P1')!;
    expect(username).toBe('amelia.hughes2');
    expect(await filedAsItStands('amelia.hughes')).toBe(true);
    expect(await filedAsItStands(username)).toBe(true);
    // an import of a line under a username already held: refused, and the holder's entries are only its own
    const imported = await insertAccountsReporting(db, [pupil('amelia.hughes', '8013002')]);
    expect(imported.failed).toHaveLength(1);
    expect(await filedAsItStands('amelia.hughes')).toBe(true);
    const index = await wholeIndex();
    const strays = [...index.values()]
      .flat()
      .filter((e) => e.startsWith('["amelia.hughes",') && e.includes('2015-04-12'));
    expect(strays).toEqual([]);
  });

  it('moves an account to its new keys when its names change, and takes out keys left empty', async () => {
    const db = ctx.store.db;
    await insertAccounts(db, [pupil('zed.quill', '8013003', { legalForename: 'Zed', legalSurname: 'Quill' })]);
    const before = (await getAccount(db, 'zed.quill'))!;
    const oldKeys = [...indexEntries(before).keys()];
    const after = { ...before, legalSurname: 'Quill-Xavier', dateOfBirth: '2015-04-13' };
    expect(await updateAccounts(db, [{ before, after }], { stamp })).toBe(1);
    expect(await filedAsItStands('zed.quill')).toBe(true);
    const index = await wholeIndex();
    // keys only this account had (its old exact names, its old birth date with its initial) are gone
    expect(oldKeys.filter((k) => !indexEntries(after).has(k) && index.has(k))).toEqual([]);
    expect([...index.values()].filter((entries) => entries.length === 0)).toEqual([]);
    expect([...index.values()].flat().filter((e) => e.startsWith('["zed.quill",') && e.includes('"Quill"'))).toEqual(
      [],
    );
  });

  it('adds back an entry it took out when another writer changed the account back meanwhile', async () => {
    const db = ctx.store.db;
    await insertAccounts(db, [pupil('ned.orme', '8013004', { legalForename: 'Ned', legalSurname: 'Orme' })]);
    const stored = (await getAccount(db, 'ned.orme'))!;
    const renamed = { ...stored, legalSurname: 'Orme-Lake' };
    // this writer files the new names, then (its write overtaken) finds the account as it was
    const changes = indexChanges([{ before: stored, after: renamed }]);
    await fileAdded(db, changes);
    await takeOutGone(db, changes, (usernames) => accountsByUsername(db, usernames));
    expect(await filedAsItStands('ned.orme')).toBe(true);
    // and after a rename that did land, the old entries are gone and nothing of the new names is missing
    expect(await updateAccounts(db, [{ before: stored, after: renamed }], { stamp })).toBe(1);
    expect(await filedAsItStands('ned.orme')).toBe(true);
    const left = [...(await wholeIndex()).values()].flat().filter((e) => e.startsWith('["ned.orme",'));
    expect(left.filter((e) => !e.includes('Orme-Lake'))).toEqual([]);
  });

  it('takes out every entry of an erased person, one a crash left behind included, with the keys only they had', async () => {
    const db = ctx.store.db;
    await insertAccounts(db, [
      pupil('yara.vance', '8013004', { legalForename: 'Yara', legalSurname: 'Vance', upn: 'A801300400001' }),
    ]);
    // a crash after filing a change that never reached the account
    await fileAccounts(db, [pupil('yara.vance', '8013004', { legalForename: 'Yara', legalSurname: 'Vancey' })]);
    expect(await eraseAccount(db, 'yara.vance')).toBe(true);
    const index = await wholeIndex();
    expect([...index.values()].flat().filter((e) => e.includes('yara.vance'))).toEqual([]);
    expect([...index.keys()].filter((k) => /Vance|A801300400001/i.test(k))).toEqual([]);
  });

  it('is built again from the accounts when it is not complete, and looked up the older way meanwhile', async () => {
    const db = ctx.store.db;
    await insertAccounts(db, [pupil('wren.ashby', '8013005', { legalForename: 'Wren', legalSurname: 'Ashby' })]);
    await markLookalikeIndex(db, false);
    await lookalikes(db).deleteMany({});
    expect(await lookalikeIndexReady(db)).toBe(false);
    const person = { kind: 'pupil' as const, legalForename: 'Wren', legalSurname: 'Ashby', dateOfBirth: '2015-04-12' };
    const older = await lookalikesElsewhere(db, '801', '8013999', [person], new Set());
    expect(older.accounts.map((a) => a.username)).toContain('wren.ashby');
    expect(await ensureLookalikeIndex(db)).toBeGreaterThan(0);
    expect(await lookalikeIndexReady(db)).toBe(true);
    expect(await filedAsItStands('wren.ashby')).toBe(true);
    const found = await lookalikesElsewhere(db, '801', '8013999', [person], new Set());
    expect(found.accounts.map((a) => a.username)).toContain('wren.ashby');
  });

  it('finds what the older search finds that the matcher would compare, and reads no account of the school', async () => {
    const db = ctx.store.db;
    const people = [
      pupil('sam.okafor', '8013006', { legalForename: 'Samuel', legalSurname: 'Okafor', dateOfBirth: '2013-02-21' }),
      pupil('sam.okafor2', '8013007', { legalForename: 'Sam', legalSurname: 'Okafor', dateOfBirth: '2013-02-12' }),
      pupil('s.okafor', '8013006', { legalForename: 'Samuel', legalSurname: 'Okafor', dateOfBirth: undefined }),
      pupil('ola.okafor', '8013007', { legalForename: 'Ola', legalSurname: 'Okafor', dateOfBirth: '2013-02-21' }),
      pupil('sam.smith', '8013007', { legalForename: 'Samuel', legalSurname: 'Smith', dateOfBirth: '2013-02-21' }),
      pupil('sam.okafor3', '8013008', { legalForename: 'Samuel', legalSurname: 'Okafor', dateOfBirth: '2003-09-30' }),
      pupil('sam.okafor4', '8013009', { legalForename: 'Samuel', legalSurname: 'Okafor', dateOfBirth: '2013-12-21' }),
    ];
    await insertAccounts(db, people);
    const newcomer = {
      kind: 'pupil' as const,
      legalForename: 'Samuel',
      legalSurname: 'Okafor',
      dateOfBirth: '2013-02-21',
    };
    const own = new Set(['sam.okafor4']);
    const viaIndex = await lookalikesElsewhere(db, '801', '8013009', [newcomer], own);
    await markLookalikeIndex(db, false);
    const older = await lookalikesElsewhere(db, '801', '8013009', [newcomer], own);
    await markLookalikeIndex(db, true);
    const compared = (list: readonly Account[]) =>
      list
        .filter((a) => lookalikeKind(newcomer, a))
        .map((a) => a.username)
        .sort();
    expect(compared(viaIndex.accounts)).toEqual(compared(older.accounts));
    expect(compared(viaIndex.accounts)).toEqual(
      ['ola.okafor', 's.okafor', 'sam.okafor', 'sam.okafor2', 'sam.okafor3', 'sam.smith'].sort(),
    );
    expect(viaIndex.accounts.map((a) => a.username)).not.toContain('sam.okafor4');
    // the weights' counts come from the whole LA: six Okafors (the school's own among them), three born that day
    expect(viaIndex.counts?.surnames.get('okafor')).toBe(6);
    expect(viaIndex.counts?.births.get('2013-02-21')).toBe(3);
    // every key the newcomer is looked up by is read in one command's worth of keys
    expect((await readKeys(db, lookupKeys(newcomer, '801')!)).size).toBeGreaterThan(0);
  });

  it('is checked account by account by the doctor, which files what it lacks', async () => {
    const db = ctx.store.db;
    await insertAccounts(db, [pupil('vic.lowe', '8013001', { legalForename: 'Victoria', legalSurname: 'Lowe' })]);
    expect((await checkStore(db, { lookalikes: true })).unfiled).toEqual([]);
    // an entry lost (as a write that bypassed the index would leave it)
    const [key] = [...indexEntries((await getAccount(db, 'vic.lowe'))!).keys()];
    await lookalikes(db).deleteOne({ _id: key! });
    expect((await checkStore(db, { lookalikes: true })).unfiled).toEqual(['vic.lowe']);
    expect(await fileUnfiled(db, ['vic.lowe'])).toBe(1);
    expect((await checkStore(db, { lookalikes: true })).unfiled).toEqual([]);
    // the nightly digest's check leaves the index alone
    expect((await checkStore(db)).unfiled).toBeUndefined();
  });

  it('leaves many new accounts to be filed after their run, searching their school by its roster meanwhile', async () => {
    const db = ctx.store.db;
    const run = (await startRun(db, { dfeNumber: '8013005', trigger: 'file' }))!;
    await markPending(db, '801', '8013005', run._id);
    const made = await insertNewAccounts(
      db,
      [{ key: 'P9', base: 'una.pike', account: pupil('x', '8013005', { legalForename: 'Una', legalSurname: 'Pike' }) }],
      { stamp, file: false },
    );
    const username = made.assigned.get('P9')!;
    expect(await filedAsItStands(username)).toBe(false);
    // not filed yet, and not missing: another school's newcomer finds it through the pending school's roster
    const newcomer = { kind: 'pupil' as const, legalForename: 'Una', legalSurname: 'Pike', dateOfBirth: '2015-04-12' };
    const found = await lookalikesElsewhere(db, '801', '8013009', [newcomer], new Set());
    expect(found.accounts.map((a) => a.username)).toContain(username);
    expect((await checkStore(db, { lookalikes: true })).unfiled).toEqual([]);
    // while its run goes on, it waits; once over, it is filed and taken off the list
    expect(await filePending(db)).toMatchObject({ schools: 0, waiting: 1 });
    await finishRun(db, run._id, { status: 'succeeded' });
    // a later run that lists the school again keeps it listed past the earlier run's filing
    await markPending(db, '801', '8013005', 'a-later-run');
    expect(await clearPending(db, '801', '8013005', run._id)).toBe(false);
    expect(await filePending(db)).toMatchObject({ schools: 1 });
    expect(await filedAsItStands(username)).toBe(true);
    expect((await pendingSchools(db, '801')).size).toBe(0);
  });
});
