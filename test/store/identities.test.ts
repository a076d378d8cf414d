// Identity claims: one winner per key whoever claims at once; a claimer stops at its first loss; a claim whose account
// no longer carries the key is taken over; an erased account's claims go with it.
import { describe, expect, it } from 'vitest';
import { eraseAccount } from '../../src/store/accounts.js';
import { insertAccounts } from '../../src/store/account-inserts.js';
import { claimIdentities } from '../../src/store/identities.js';
import { accountIdentityKeys, identityKeys, nameBirthKey, upnKey } from '../../src/domain/identity.js';
import { linkedAccount, pupil, school } from '../helpers/people.js';
import { useFreshStoreEachTest } from '../helpers/store.js';

const ctx = useFreshStoreEachTest();
const here = school('2092000');
const carries = (owned: Record<string, string[]>) => async (username: string, key: string) =>
  (owned[username] ?? []).includes(key);

describe('identity claims', () => {
  it('keys are hashes of the identity, never its text, and one order for every claimer', () => {
    const p = { legalForename: 'Ada', legalSurname: 'Lovelace', dateOfBirth: '2015-12-10', upn: 'B801200005001' };
    const keys = identityKeys(p, '209');
    expect(keys).toEqual([nameBirthKey(p, '209'), upnKey('b801200005001 ')].sort());
    expect(keys.join(' ')).not.toMatch(/Ada|Lovelace|2015|B8012/i);
    expect(nameBirthKey({ ...p, dateOfBirth: undefined }, '209')).toBeUndefined();
    expect(nameBirthKey({ ...p, legalForename: 'ADA ' }, '209')).toBe(nameBirthKey(p, '209'));
    expect(identityKeys(p, '209', { names: false })).toEqual([upnKey(p.upn)]);
  });

  it('gives each key to one claimer of many at once; a loser names the holder and what it had won', async () => {
    const db = ctx.store.db;
    const both = ['k:a', 'k:b'];
    const results = await Promise.all(
      ['one', 'two', 'three', 'four'].map((u) =>
        claimIdentities(
          db,
          [{ ref: u, username: u, keys: both }],
          carries({ one: both, two: both, three: both, four: both }),
        ),
      ),
    );
    const winners = results.filter((r) => r.size === 0);
    expect(winners).toHaveLength(1);
    for (const r of results.filter((x) => x.size)) {
      const lost = [...r.values()][0]!;
      // each stopped at its first loss: the first key, so nothing was won
      expect(lost).toMatchObject({ key: 'k:a', won: [] });
    }
    expect(await db.collection('identities').countDocuments()).toBe(2);
  });

  it("takes over a claim whose account no longer carries the key, and erasure lets an account's claims go", async () => {
    const db = ctx.store.db;
    const p = pupil({ upn: 'B801200005001' });
    const account = linkedAccount('ada.pupil', p, here);
    await insertAccounts(db, [account]);
    const keys = accountIdentityKeys(account);
    expect(await claimIdentities(db, [{ ref: 'p', username: 'ada.pupil', keys }], carries({}))).toEqual(new Map());
    // another account claims the same keys while ada.pupil carries them: it loses
    const lost = await claimIdentities(db, [{ ref: 'q', username: 'other', keys }], carries({ 'ada.pupil': keys }));
    expect(lost.get('q')).toMatchObject({ holder: 'ada.pupil' });
    // once the holder no longer carries them (renamed, say), they are taken over
    expect(await claimIdentities(db, [{ ref: 'q', username: 'other', keys }], carries({}))).toEqual(new Map());
    expect((await db.collection('identities').find({}).toArray()).map((d) => d.username)).toEqual(
      keys.map(() => 'other'),
    );
    await claimIdentities(db, [{ ref: 'p', username: 'ada.pupil', keys: [upnKey('B801200005001')] }], carries({}));
    await eraseAccount(db, 'ada.pupil');
    expect((await db.collection('identities').find({}).toArray()).map((d) => d.username)).toEqual(['other']);
  });
});
