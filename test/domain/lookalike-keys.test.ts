// The look-alike index's keys must find every account the matcher could accept: a person and any account the rules
// or the weights would compare share a key. Checked on the generator's labelled set (every kind of error it makes)
// and on people made at random with the errors the rules allow for.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { labelledSet } from '../../bench/matching.js';
import type { MatchablePerson } from '../../src/domain/blocking.js';
import {
  decodeEntry,
  encodeEntry,
  indexEntries,
  lookupKeys,
  type IndexedPerson,
} from '../../src/domain/lookalike-keys.js';
import type { Account } from '../../src/domain/model.js';
import { lookalikeKind } from '../../src/sync/match.js';

const LA = '801';

function asAccount(p: IndexedPerson): Account {
  return {
    ...p,
    kind: p.kind ?? 'pupil',
    associations: [
      { dfeNumber: '8012000', laCode: LA, role: 'pupil', status: 'active', source: 'mis', since: '2020-09-01' },
    ],
    status: 'active',
    createdAt: '2020-09-01',
    updatedAt: '2020-09-01',
    latestMoveOrCreateAt: '2020-09-01',
    version: 0,
  } as Account;
}

/** Whether the person, looked up, reaches the account through some key. */
function reaches(person: MatchablePerson, account: IndexedPerson): boolean {
  const keys = lookupKeys(person, LA);
  if (!keys) return true; // a person with no birth date is looked up the older way
  const filed = indexEntries(asAccount(account));
  return keys.some((k) => filed.has(k));
}

describe('look-alike keys', () => {
  it('reach every account the matcher would compare, for every error the labelled set makes', () => {
    for (const seed of [3, 11]) {
      const { accounts, probes } = labelledSet(seed, 500);
      let compared = 0;
      for (const { person } of probes)
        for (const account of accounts) {
          if (!lookalikeKind(person, account)) continue;
          compared++;
          expect(reaches(person, account), `${JSON.stringify(person)} -> ${account.username}`).toBe(true);
        }
      expect(compared).toBeGreaterThan(probes.length / 2);
    }
  });

  const forenames = ['William', 'Bill', 'Will', 'Thomas', 'Tom', 'Amelia', 'Amelie', 'Zoë', 'Mohammed', 'Muhammad'];
  const surnames = ['Smith', 'Smyth', 'Okafor', 'Nowak-Smith', "O'Brien", 'Van der Berg', 'Kowalski', 'Kovalski'];
  const day = fc
    .date({ min: new Date('1960-01-01'), max: new Date('2021-12-31'), noInvalidDate: true })
    .map((d) => d.toISOString().slice(0, 10));
  const somePerson = fc.record({
    legalForename: fc.constantFrom(...forenames),
    legalSurname: fc.constantFrom(...surnames),
    preferredForename: fc.option(fc.constantFrom(...forenames), { nil: undefined }),
    dateOfBirth: day,
    kind: fc.constant('pupil' as const),
  });
  /** What the MIS may have made of a person's record: the errors the rules and weights allow for. */
  const slipped = (dob: string, i: number, d: number) => {
    const digits = [0, 1, 2, 3, 5, 6, 8, 9];
    const at = digits[i % digits.length]!;
    return `${dob.slice(0, at)}${d}${dob.slice(at + 1)}`;
  };
  const transposed = (dob: string, i: number) => {
    const at = [0, 1, 2, 5, 8][i % 5]!;
    return `${dob.slice(0, at)}${dob[at + 1]}${dob[at]}${dob.slice(at + 2)}`;
  };

  it('reach an account whose record differs by a slip, a swap, a short form, a new surname or crossed names', () => {
    fc.assert(
      fc.property(
        somePerson,
        fc.nat(20),
        fc.integer({ min: 0, max: 9 }),
        fc.constantFrom('slip', 'transposed', 'swap', 'preferred', 'surname', 'crossed', 'forename', 'none'),
        fc.constantFrom(...forenames),
        fc.constantFrom(...surnames),
        (person, i, d, change, otherForename, otherSurname) => {
          const account: IndexedPerson = { username: 'a', ...person };
          const probe: MatchablePerson = { ...person };
          if (change === 'slip') probe.dateOfBirth = slipped(person.dateOfBirth, i, d);
          if (change === 'transposed') probe.dateOfBirth = transposed(person.dateOfBirth, i);
          if (change === 'swap')
            probe.dateOfBirth = `${person.dateOfBirth.slice(0, 5)}${person.dateOfBirth.slice(8)}-${person.dateOfBirth.slice(5, 7)}`;
          if (change === 'preferred') probe.preferredForename = otherForename;
          if (change === 'surname') probe.legalSurname = otherSurname;
          if (change === 'forename') probe.legalForename = otherForename;
          if (change === 'crossed')
            Object.assign(probe, { legalForename: person.legalSurname, legalSurname: person.legalForename });
          if (!/^\d{4}-\d{2}-\d{2}$/.test(probe.dateOfBirth ?? '')) return;
          if (lookalikeKind(probe, account)) expect(reaches(probe, account)).toBe(true);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('is not reached through keys of another LA, or by a person with no birth date (looked up the older way)', () => {
    const account: IndexedPerson = {
      username: 'a',
      legalForename: 'Amelia',
      legalSurname: 'Hughes',
      dateOfBirth: '2015-04-12',
    };
    const keys = lookupKeys(account, '802')!;
    expect(keys.some((k) => indexEntries(asAccount(account)).has(k))).toBe(false);
    expect(lookupKeys({ ...account, dateOfBirth: undefined }, LA)).toBeUndefined();
  });

  it('writes names in keys with letters and digits only, so a range of keys orders as its text', () => {
    const account: IndexedPerson = {
      username: 'a',
      legalForename: 'Zoë',
      legalSurname: "O'Brien-Ní",
      dateOfBirth: '2015-04-12',
    };
    for (const key of indexEntries(asAccount(account)).keys()) expect(key).toMatch(/^[A-Za-z0-9|%-]+$/);
  });

  it('keeps in an entry exactly what the matcher compares, and reads back what it wrote', () => {
    const account: IndexedPerson = {
      username: 'amelia.hughes2',
      kind: 'pupil',
      legalForename: 'Amelia',
      preferredForename: 'Millie',
      legalSurname: 'Hughes',
      dateOfBirth: '2015-04-12',
      gender: 'F',
      upn: 'B801200005001',
    };
    expect(decodeEntry(encodeEntry(account))).toEqual(account);
    expect(decodeEntry('not json')).toBeUndefined();
    expect(decodeEntry('{"a":1}')).toBeUndefined();
  });
});
