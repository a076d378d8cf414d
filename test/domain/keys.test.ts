// Block keys, identity keys and usernames: the derived keys the store claims and looks people up by.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accountBlockKeys, lookupBlockKeys, swapDayMonth } from '../../src/domain/blocking.js';
import { accountIdentityKeys, identityKeys, nameBirthKey, upnKey } from '../../src/domain/identity.js';
import { soundex } from '../../src/domain/names.js';
import type { Association, PersonFields } from '../../src/domain/model.js';
import {
  USERNAME_MAX,
  candidateNumber,
  candidatePrefix,
  usernameBase,
  usernameCandidate,
  usernameCandidates,
} from '../../src/domain/usernames.js';

const person: PersonFields = {
  kind: 'pupil',
  legalForename: 'Amelia',
  legalSurname: 'Hughes',
  dateOfBirth: '2015-04-12',
  upn: 'B801200005001',
};

const at = (dfeNumber: string, laCode = dfeNumber.slice(0, 3)): Association => ({
  dfeNumber,
  laCode,
  role: 'pupil',
  status: 'active',
  source: 'mis',
  since: '2020-09-03',
});

describe('block keys', () => {
  it('swaps day and month only when that is another real date', () => {
    expect(swapDayMonth('2015-04-12')).toBe('2015-12-04');
    expect(swapDayMonth('2015-04-04')).toBeUndefined();
    expect(swapDayMonth('2015-04-13')).toBeUndefined();
    expect(swapDayMonth('2015-04-12')).not.toBe('2015-04-12');
    expect(swapDayMonth('2015-10-12')).toBe('2015-12-10');
    expect(swapDayMonth('2015-04')).toBeUndefined();
    expect(swapDayMonth('')).toBeUndefined();
  });

  it('stores an account under its birth date, surname sounds and UPN in each LA', () => {
    const keys = accountBlockKeys({ ...person, preferredSurname: 'Hughes-Smith' }, ['801', '802']);
    expect(keys.sort()).toEqual(
      [
        '801|d|2015-04-12',
        '802|d|2015-04-12',
        `801|s|${soundex('hughes')}`,
        `802|s|${soundex('hughes')}`,
        `801|s|${soundex('hughessmith')}`,
        `802|s|${soundex('hughessmith')}`,
        `801|s|${soundex('smith')}`,
        `802|s|${soundex('smith')}`,
        'u|B801200005001',
      ].sort(),
    );
  });

  it('leaves out what a person does not have', () => {
    const bare = { legalForename: 'A', legalSurname: '' };
    expect(accountBlockKeys(bare, ['801'])).toEqual([]);
    expect(accountBlockKeys(person, [])).toEqual([]);
  });

  it('looks a person up by the stored keys and the day/month swap of the birth date', () => {
    expect(lookupBlockKeys(person, '801').sort()).toEqual(
      [...accountBlockKeys(person, ['801']), '801|d|2015-12-04'].sort(),
    );
    const noSwap = { ...person, dateOfBirth: '2015-04-20' };
    expect(lookupBlockKeys(noSwap, '801').sort()).toEqual(accountBlockKeys(noSwap, ['801']).sort());
    const noDob = { ...person, dateOfBirth: undefined };
    expect(lookupBlockKeys(noDob, '801').sort()).toEqual(accountBlockKeys(noDob, ['801']).sort());
  });

  it("a typo'd day/month swap is found: the swapped record's lookup meets the account's keys", () => {
    const swapped = { ...person, dateOfBirth: '2015-12-04', legalSurname: 'Zzz', upn: undefined };
    const stored = new Set(accountBlockKeys(person, ['801']));
    expect(lookupBlockKeys(swapped, '801').some((k) => stored.has(k))).toBe(true);
  });
});

describe('identity keys', () => {
  it('keys a UPN the same however it is written, and never as text', () => {
    expect(upnKey(' b801200005001 ')).toBe(upnKey('B801200005001'));
    expect(upnKey('B801200005001')).not.toBe(upnKey('B801200005002'));
    expect(upnKey('B801200005001')).toMatch(/^u:[A-Za-z0-9_-]{32}$/);
    expect(upnKey('B801200005001')).not.toContain('801200005001');
    // the store holds these keys: they must read the same in every version
    expect(upnKey('b801200005001')).toBe('u:MwjnTx4UCgW87j4iOxetkF60KNVZxWQX');
  });

  it('keys names and birth date within an LA, folding case and accents; none without all three', () => {
    const k = nameBirthKey(person, '801');
    expect(k).toMatch(/^n:[A-Za-z0-9_-]{32}$/);
    expect(nameBirthKey({ ...person, legalForename: 'AMÉLIA', legalSurname: ' hughes ' }, '801')).toBe(k);
    expect(nameBirthKey(person, '802')).not.toBe(k);
    expect(nameBirthKey({ ...person, dateOfBirth: '2015-04-13' }, '801')).not.toBe(k);
    expect(nameBirthKey({ ...person, legalForename: 'Amelie' }, '801')).not.toBe(k);
    expect(nameBirthKey({ ...person, legalSurname: 'Hughs' }, '801')).not.toBe(k);
    expect(nameBirthKey({ ...person, dateOfBirth: undefined }, '801')).toBeUndefined();
    expect(nameBirthKey({ ...person, legalForename: '' }, '801')).toBeUndefined();
    expect(nameBirthKey({ ...person, legalSurname: '--' }, '801')).toBeUndefined();
    // The parts are separated: moving a letter from one name to the other is another person.
    expect(nameBirthKey({ ...person, legalForename: 'Ameliah', legalSurname: 'ughes' }, '801')).not.toBe(k);
  });

  it("lists a person's keys sorted, the names key only when asked for", () => {
    const keys = identityKeys(person, '801');
    expect(keys).toEqual([upnKey(person.upn!), nameBirthKey(person, '801')!].sort());
    expect(identityKeys(person, '801', { names: false })).toEqual([upnKey(person.upn!)]);
    expect(identityKeys(person, '801', { names: true })).toEqual(keys);
    expect(identityKeys({ ...person, upn: '  ' }, '801')).toEqual([nameBirthKey(person, '801')]);
    expect(identityKeys({ ...person, upn: undefined, dateOfBirth: undefined }, '801')).toEqual([]);
  });

  it("an account's keys cover each LA it is at once, and its UPN when it is at none", () => {
    const account = { ...person, associations: [at('8012000'), at('8012001'), at('8022000')] };
    expect(accountIdentityKeys(account)).toEqual(
      [upnKey(person.upn!), nameBirthKey(person, '801')!, nameBirthKey(person, '802')!].sort(),
    );
    expect(accountIdentityKeys({ ...person, associations: [] })).toEqual([upnKey(person.upn!)]);
    expect(accountIdentityKeys({ ...person, upn: ' ', associations: [] })).toEqual([]);
    expect(accountIdentityKeys({ ...person, upn: undefined, associations: [at('8012000')] })).toEqual([
      nameBirthKey(person, '801'),
    ]);
  });

  it('keys are sorted so claimers of overlapping keys take them in one order', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), fc.string(), (f, s, upn) => {
        const keys = identityKeys({ ...person, legalForename: f, legalSurname: s, upn }, '801');
        expect(keys).toEqual([...keys].sort());
      }),
    );
  });
});

describe('usernames', () => {
  it('takes preferred names when the school says so, else legal names', () => {
    const p: PersonFields = { ...person, preferredForename: 'Millie', preferredSurname: "O'Neil" };
    expect(usernameBase(p, 'preferred')).toBe('millie.oneil');
    expect(usernameBase(p, 'legal')).toBe('amelia.hughes');
    expect(usernameBase(person, 'preferred')).toBe('amelia.hughes');
    expect(usernameBase({ ...person, preferredForename: '' }, 'preferred')).toBe('amelia.hughes');
  });

  it('romanises, drops what is not a letter, and fills in what is missing', () => {
    expect(usernameBase({ ...person, legalForename: 'Zoë', legalSurname: 'Łukasz-Ní' }, 'legal')).toBe('zoe.lukaszni');
    expect(usernameBase({ ...person, legalForename: '王', legalSurname: 'Олег' }, 'legal')).toBe('wang.oleg');
    expect(usernameBase({ ...person, legalForename: '123', legalSurname: '!!' }, 'legal')).toBe('user.x');
  });

  it('keeps a forename to 12 letters and the base to 18, leaving room for a suffix', () => {
    const long = { ...person, legalForename: 'Maximilianusjohannes', legalSurname: 'Wolfeschlegelstein' };
    expect(usernameBase(long, 'legal')).toBe('maximilianus.wolfe');
    expect(usernameBase(long, 'legal')).toHaveLength(USERNAME_MAX - 2);
    expect(usernameBase({ ...person, legalForename: 'Abcdefghijklm' }, 'legal')).toBe('abcdefghijkl.hughe');
  });

  it('numbers the candidates from 2, shortening the base so each fits', () => {
    expect(usernameCandidate('amelia.hughes', 1)).toBe('amelia.hughes');
    expect(usernameCandidate('amelia.hughes', 0)).toBe('amelia.hughes');
    expect(usernameCandidate('amelia.hughes', 2)).toBe('amelia.hughes2');
    const base = 'abcdefghijklmnopqr';
    expect(usernameCandidate(`${base}stuv`, 1)).toBe(`${base}st`);
    expect(usernameCandidate(base, 9)).toBe(`${base}9`);
    expect(usernameCandidate(base, 123)).toBe('abcdefghijklmnopq123');
    expect(usernameCandidate(base, 123456)).toHaveLength(USERNAME_MAX);
    expect(usernameCandidates('a.b', 3)).toEqual(['a.b', 'a.b2', 'a.b3']);
    expect(usernameCandidates('a.b')).toHaveLength(30);
  });

  it('knows which candidate of a base a username is', () => {
    expect(candidateNumber('amelia.hughes', 'amelia.hughes')).toBe(1);
    expect(candidateNumber('amelia.hughes', 'amelia.hughes2')).toBe(2);
    expect(candidateNumber('amelia.hughes', 'amelia.hughes17')).toBe(17);
    expect(candidateNumber('amelia.hughes', 'amelia.hughes1')).toBeUndefined();
    expect(candidateNumber('amelia.hughes', 'amelia.hughes02')).toBeUndefined();
    expect(candidateNumber('amelia.hughes', 'amelia.hughe2')).toBeUndefined();
    expect(candidateNumber('amelia.hughes', 'amelia.hughesx')).toBeUndefined();
    expect(candidateNumber('amelia.hughes2', 'amelia.hughes2')).toBe(1);
    expect(candidateNumber('amelia.hughes', 'amelia.hughes0')).toBeUndefined();
  });

  it('every candidate is numbered back to itself and starts with the prefix', () => {
    const base = fc.stringMatching(/^[a-z]{1,12}\.[a-z]{1,17}$/).map((b) => b.slice(0, USERNAME_MAX - 2));
    fc.assert(
      fc.property(base, fc.integer({ min: 1, max: 100_000 }), (b, n) => {
        const name = usernameCandidate(b, n);
        expect(name.length).toBeLessThanOrEqual(USERNAME_MAX);
        expect(candidateNumber(b, name)).toBe(n);
        expect(name.startsWith(candidatePrefix(b))).toBe(true);
      }),
    );
    expect(candidatePrefix('amelia.hughes')).toBe('amelia.hughes');
    expect(candidatePrefix('abcdefghijklmnopqr')).toBe('abcdefghijklmn');
  });
});
