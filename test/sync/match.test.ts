import { describe, expect, it } from 'vitest';
import { findCandidates, scoreCandidate } from '../../src/sync/match.js';
import { isShortFormOf, jaroWinkler, normaliseName, soundex, surnameKeys, toAscii } from '../../src/domain/names.js';
import { usernameBase, usernameCandidates } from '../../src/domain/usernames.js';

const amelia = {
  kind: 'pupil' as const,
  legalForename: 'Amelia',
  legalSurname: 'Hughes',
  dateOfBirth: '2015-04-12',
  gender: 'F',
};

describe('names', () => {
  it('folds accents and special letters to ASCII and normalises punctuation', () => {
    expect(toAscii('Zoë Łukaszewicz Gonçalves Müller Straße')).toBe('Zoe Lukaszewicz Goncalves Muller Strasse');
    expect(normaliseName("  O'Brien-Ní  Bhriain ")).toBe('obrien ni bhriain');
  });

  it('scores similar names high and different names low, with classic Soundex keys', () => {
    expect(jaroWinkler('martha', 'marhta')).toBeCloseTo(0.961, 3);
    expect(jaroWinkler('hughes', 'smith')).toBeLessThan(0.6);
    expect(soundex('robert')).toBe('R163');
    expect(soundex('rupert')).toBe('R163');
    expect(soundex('ashcraft')).toBe('A261');
    expect(surnameKeys('Smith-Jones')).toEqual(['S532', 'S530', 'J520']);
    expect(isShortFormOf('tom', 'thomas')).toBe(true);
    expect(isShortFormOf('bill', 'william')).toBe(true);
    expect(isShortFormOf('tom', 'william')).toBe(false);
  });
});

describe('scoreCandidate on what MIS exports get wrong', () => {
  const account = { ...amelia, username: 'amelia.hughes' };
  it('finds names given the wrong way round, a missing forename, an initial and a stray space, never as certain', () => {
    const cases: [Partial<typeof amelia>, RegExp][] = [
      [{ legalForename: 'HUGHES', legalSurname: 'Amelia' }, /wrong way round/],
      [{ legalForename: '' }, /forename missing on one side \(could be a sibling: check\)/],
      [{ legalForename: 'A' }, /only as its initial/],
      [{ legalForename: 'Ame lia' }, /same forename/],
      [{ legalForename: 'Ame-lia' }, /same forename/],
      [{ dateOfBirth: '2015-04-21' }, /two digits of the date of birth transposed/],
    ];
    for (const [change, reason] of cases) {
      const c = scoreCandidate({ ...amelia, ...change }, account);
      expect(c, JSON.stringify(change)).toMatchObject({ certain: false });
      expect(c!.reasons.join('; ')).toMatch(reason);
    }
  });

  it('keeps twins apart: another forename with the same surname and birthday is no candidate', () => {
    expect(scoreCandidate({ ...amelia, legalForename: 'Isla' }, account)).toBeUndefined();
    // a forename close enough to be a typo is a candidate, and says it could be a twin
    expect(scoreCandidate({ ...amelia, legalForename: 'Amelie' }, account)?.reasons).toContain(
      'same surname and birthday, forename not the same: could be a twin or sibling',
    );
    // a missing forename is not let through on a surname and another birthday, nor a birth date off in two places
    expect(scoreCandidate({ ...amelia, legalForename: '', dateOfBirth: '2015-05-12' }, account)).toBeUndefined();
    expect(scoreCandidate({ ...amelia, dateOfBirth: '2015-06-19' }, account)).toBeUndefined();
  });
});

describe('scoreCandidate', () => {
  it('is certain for the same UPN and rules out different UPNs', () => {
    expect(
      scoreCandidate(
        { ...amelia, upn: 'B801200005001' },
        { ...amelia, legalForename: 'Totally', upn: 'B801200005001', username: 'u' },
      ),
    ).toMatchObject({ certain: true, reasons: ['same UPN'] });
    expect(
      scoreCandidate({ ...amelia, upn: 'B801200005001' }, { ...amelia, upn: 'A801200005002', username: 'u' }),
    ).toBeUndefined();
  });

  it('is certain for the same legal names and birthday, and explains itself', () => {
    expect(scoreCandidate(amelia, { ...amelia, username: 'u' })).toMatchObject({
      certain: true,
      reasons: ['same forename', 'same surname', 'same date of birth', 'same gender'],
    });
  });

  it('matches preferred names to legal ones and a married-name change on the same birthday', () => {
    expect(
      scoreCandidate({ ...amelia, legalForename: 'Bethany', preferredForename: 'Amelia' }, { ...amelia, username: 'u' })
        ?.reasons,
    ).toContain('preferred forename matches');
    expect(
      scoreCandidate({ ...amelia, kind: 'staff', legalSurname: 'Okonkwo' }, { ...amelia, kind: 'staff', username: 'u' })
        ?.reasons,
    ).toContain('surname differs (possibly a change of name)');
  });

  it('never pairs twins, people of another kind, or namesakes born on other days', () => {
    expect(scoreCandidate({ ...amelia, legalForename: 'Isla' }, { ...amelia, username: 'twin' })).toBeUndefined();
    expect(scoreCandidate({ ...amelia, kind: 'staff' }, { ...amelia, username: 'pupil' })).toBeUndefined();
    expect(scoreCandidate(amelia, { ...amelia, dateOfBirth: '2012-09-30', username: 'namesake' })).toBeUndefined();
  });

  it('orders candidates best first', () => {
    const found = findCandidates(amelia, [
      { ...amelia, legalSurname: 'Hughs', username: 'typo' },
      { ...amelia, username: 'exact' },
    ]);
    expect(found.map((c) => c.username)).toEqual(['exact', 'typo']);
  });
});

describe('usernames', () => {
  it('are ASCII, without apostrophes, from preferred or legal names, at most 20 characters', () => {
    const p = {
      kind: 'pupil' as const,
      legalForename: 'Siobhán',
      legalSurname: "O'Súilleabháin-Fitzgerald",
      preferredForename: 'Shiv',
    };
    expect(usernameBase(p, 'legal')).toBe('siobhan.osuilleabh'); // 18: room for a suffix
    expect(usernameBase(p, 'preferred')).toBe('shiv.osuilleabhain');
    for (const u of usernameCandidates(usernameBase(p, 'legal'), 120)) {
      expect(u).toMatch(/^[a-z.0-9]{1,20}$/);
    }
    expect(usernameCandidates('amelia.hughes', 3)).toEqual(['amelia.hughes', 'amelia.hughes2', 'amelia.hughes3']);
  });
});
