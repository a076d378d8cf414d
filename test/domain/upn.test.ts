import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidUpn, makeUpn, upnCheckLetter } from '../../src/domain/upn.js';

describe('UPN check letters', () => {
  it('accepts the contract example and rejects a wrong check letter', () => {
    expect(upnCheckLetter('801200005001')).toBe('B');
    expect(isValidUpn('B801200005001')).toBe(true);
    expect(isValidUpn('C801200005001')).toBe(false);
    expect(isValidUpn('B80120000500')).toBe(false);
    expect(isValidUpn('b801200005001')).toBe(false);
  });

  it('accepts a temporary UPN with a letter in the last position', () => {
    const body = '80120000500A';
    expect(isValidUpn(`${upnCheckLetter(body)}${body}`)).toBe(true);
  });

  it('makes valid UPNs, and any single changed digit is caught', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 999 }),
        fc.integer({ min: 0, max: 9999 }),
        fc.integer({ min: 0, max: 99 }),
        fc.integer({ min: 0, max: 999 }),
        fc.integer({ min: 1, max: 11 }),
        fc.integer({ min: 1, max: 9 }),
        (la, est, year, serial, position, delta) => {
          const upn = makeUpn(String(la).padStart(3, '0'), String(est).padStart(4, '0'), year, serial);
          expect(isValidUpn(upn)).toBe(true);
          const digit = (Number(upn[position]) + delta) % 10;
          const mutated = `${upn.slice(0, position)}${digit}${upn.slice(position + 1)}`;
          expect(isValidUpn(mutated)).toBe(false);
        },
      ),
    );
  });
});

describe('UPN shape', () => {
  it('is the whole string: nothing before or after it', () => {
    expect(isValidUpn(' B801200005001')).toBe(false);
    expect(isValidUpn('B801200005001 ')).toBe(false);
    expect(isValidUpn('XB801200005001')).toBe(false);
    expect(isValidUpn('B8012000050011')).toBe(false);
  });

  it('a check body must be digits but for a letter of the alphabet at the end', () => {
    expect(() => upnCheckLetter('8012000050A1')).toThrow('invalid UPN body');
    expect(() => upnCheckLetter('80120000500I')).toThrow('invalid UPN body');
    expect(() => upnCheckLetter('80120000500a')).toThrow('invalid UPN body');
    // a shape-valid UPN whose last letter is not in the check alphabet is not valid, and does not throw
    expect(isValidUpn('A80120000500O')).toBe(false);
  });
});
