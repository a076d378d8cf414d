// Stored derived keys: block keys made by an older rule are re-derived once, at start-up, and then left alone.
import { describe, expect, it } from 'vitest';
import { BLOCK_KEYS_VERSION } from '../../src/domain/blocking.js';
import { ensureBlockKeys } from '../../src/store/account-scans.js';
import { insertAccounts } from '../../src/store/account-inserts.js';
import { useTestStore } from '../helpers/store.js';

const ctx = useTestStore();

describe('account block keys', () => {
  it('re-derives keys stored under an older rule, once', async () => {
    const db = ctx.store.db;
    await insertAccounts(db, [
      {
        username: 'kit.vale',
        kind: 'pupil',
        legalForename: 'Kit',
        legalSurname: 'Vale',
        dateOfBirth: '2016-05-04',
        associations: [
          {
            dfeNumber: '2096000',
            laCode: '209',
            role: 'pupil',
            status: 'active',
            source: 'mis',
            misPersonId: 'K1',
            since: '2021-09-01',
          },
        ],
        status: 'active',
        createdAt: 'x',
        updatedAt: 'x',
        latestMoveOrCreateAt: 'x',
        version: 0,
      },
    ]);
    const accounts = db.collection<{ _id: string; blockKeys: string[] }>('accounts');
    const right = (await accounts.findOne({ _id: 'kit.vale' }))!.blockKeys;
    expect(right).toContain('209|d|2016-05-04');
    // keys as an older rule made them, and the version that rule had
    await accounts.updateOne({ _id: 'kit.vale' }, { $set: { blockKeys: ['old-rule-key'] } });
    await db
      .collection<{ _id: string; version: number }>('globals')
      .replaceOne({ _id: 'blockKeys' }, { version: BLOCK_KEYS_VERSION - 1 }, { upsert: true });
    expect(await ensureBlockKeys(db)).toBe(1);
    expect((await accounts.findOne({ _id: 'kit.vale' }))!.blockKeys).toEqual(right);
    await accounts.updateOne({ _id: 'kit.vale' }, { $set: { blockKeys: ['old-rule-key'] } });
    expect(await ensureBlockKeys(db)).toBe(0); // the version is current now: nothing is read or rewritten
  });
});
