// The look-alike rules one by one, each as the candidate an admin would see: its score, whether it is certain
// enough to link without asking, and the reasons shown beside the buttons. Part of the mutation-tested set.
import { describe, expect, it } from 'vitest';
import { LOOKALIKE_THRESHOLD, findCandidates, scoreCandidate } from '../../src/sync/match.js';
import type { MatchablePerson } from '../../src/domain/blocking.js';

const amelia: MatchablePerson = {
  kind: 'pupil',
  legalForename: 'Amelia',
  legalSurname: 'Hughes',
  dateOfBirth: '2015-04-12',
  gender: 'F',
};
const SAME = ['same forename', 'same surname', 'same date of birth', 'same gender'];
const TWIN = 'same surname and birthday, forename not the same: could be a twin or sibling';

/** The MIS record with `person` changed, against the account with `account` changed. */
const score = (person: Partial<MatchablePerson>, account: Partial<MatchablePerson> = {}) =>
  scoreCandidate({ ...amelia, ...person }, { ...amelia, ...account, username: 'u' });

const seen = (s: number, certain: boolean, reasons: string[]) => ({ username: 'u', score: s, certain, reasons });

describe('forenames', () => {
  it.each<[string, Partial<MatchablePerson>, Partial<MatchablePerson>, number, string]>([
    [
      'one letter apart, even when short',
      { legalForename: 'Eva' },
      { legalForename: 'Ava' },
      0.96,
      'forename differs by one letter',
    ],
    [
      'one letter apart, close by Jaro-Winkler',
      { legalForename: 'Harriot' },
      { legalForename: 'Harriet' },
      0.977,
      'forename differs by one letter',
    ],
    [
      'a short form',
      { legalForename: 'Liz' },
      { legalForename: 'Elizabeth' },
      0.98,
      'forename is a short form (liz/elizabeth)',
    ],
    ['given only as its initial', { legalForename: 'A' }, {}, 0.92, 'forename given only as its initial'],
    ['an initial on the account', {}, { legalForename: 'A' }, 0.92, 'forename given only as its initial'],
    [
      'an initial of a short name',
      { legalForename: 'A' },
      { legalForename: 'Amy' },
      0.92,
      'forename given only as its initial',
    ],
    ['missing on one side', { legalForename: '' }, {}, 0.9, 'forename missing on one side (could be a sibling: check)'],
  ])('%s: a candidate to decide, flagged as a possible twin', (_, person, account, s, reason) => {
    expect(score(person, account)).toEqual(
      seen(s, false, [reason, 'same surname', 'same date of birth', TWIN, 'same gender']),
    );
  });

  it('an initial that is not the first letter of the other forename, or two letters, is somebody else', () => {
    expect(score({ legalForename: 'B' })).toBeUndefined();
    expect(score({ legalForename: 'Al' }, { legalForename: 'Alexandra' })).toBeUndefined();
    expect(score({ legalForename: 'Isla' })).toBeUndefined();
  });

  it('takes the best pair of legal and preferred forenames', () => {
    expect(score({ legalForename: 'Bethany', preferredForename: 'Amelia' })).toEqual(
      seen(1, false, ['preferred forename matches', 'same surname', 'same date of birth', 'same gender']),
    );
    expect(score({ preferredForename: 'Millie' })).toEqual(seen(1, true, SAME));
    expect(score({}, { preferredForename: 'Millie' })).toEqual(seen(1, true, SAME));
  });

  it('a stray space or hyphen inside a forename does not hide it', () => {
    expect(score({ legalForename: 'Ame lia' })?.reasons[0]).toBe('same forename');
    expect(score({ legalForename: 'Mary Jane' }, { legalForename: 'Maryjane' })?.score).toBe(1);
  });
});

describe('surnames', () => {
  it.each<[string, Partial<MatchablePerson>, Partial<MatchablePerson>, number, string]>([
    ['one letter apart', { legalSurname: 'Hughs' }, {}, 0.988, 'surname differs by one letter'],
    ['similar', { legalSurname: 'Hughson' }, {}, 0.968, 'surname is similar'],
    [
      'a part of a double-barrelled one',
      { legalSurname: 'Hughes-Smith' },
      {},
      0.965,
      'surname shares a part (double-barrelled)',
    ],
    [
      'spacing only',
      { legalSurname: 'SmithJones' },
      { legalSurname: 'Smith Jones' },
      1,
      'same surname but for spacing or hyphens',
    ],
    [
      'a change of name on the same birthday',
      { legalSurname: 'Hewes' },
      {},
      0.895,
      'surname differs (possibly a change of name)',
    ],
    [
      'a one-letter part in common is no shared part',
      { legalSurname: 'X Brown' },
      { legalSurname: 'X Green' },
      0.895,
      'surname differs (possibly a change of name)',
    ],
  ])('%s', (_, person, account, s, reason) => {
    expect(score(person, account)).toEqual(
      seen(s, false, ['same forename', reason, 'same date of birth', 'same gender']),
    );
  });

  it('a hyphen for a space is the same name, and says so', () => {
    expect(score({ legalSurname: 'Smith-Jones' }, { legalSurname: 'Smith Jones' })).toEqual(
      seen(1, true, [...SAME, 'names differ only in accents or punctuation']),
    );
  });

  it('a preferred surname counts as the surname', () => {
    expect(score({ legalSurname: 'Jones', preferredSurname: 'Hughes' })).toEqual(seen(1, false, SAME));
  });

  it('a change of name needs the whole forename', () => {
    expect(
      score({ kind: 'staff', legalForename: 'Tom', legalSurname: 'Jones' }, { kind: 'staff', legalForename: 'Thomas' }),
    ).toEqual(
      seen(0.875, false, [
        'forename is a short form (tom/thomas)',
        'surname differs (possibly a change of name)',
        'same date of birth',
        'same gender',
      ]),
    );
    expect(score({ legalForename: 'Amelja', legalSurname: 'Okonkwo' })).toBeUndefined();
    expect(score({ legalSurname: 'Okonkwo', dateOfBirth: '2015-04-13' })).toBeUndefined();
  });

  it('an initial with a surname one letter apart still agrees', () => {
    expect(score({ legalForename: 'A', legalSurname: 'Lea' }, { legalSurname: 'Lee' })).toEqual(
      seen(0.892, false, [
        'forename given only as its initial',
        'surname differs by one letter',
        'same date of birth',
        'same gender',
      ]),
    );
  });

  it('names given the wrong way round', () => {
    expect(score({ legalForename: 'Hughes', legalSurname: 'Amelia' })).toEqual(
      seen(0.962, false, [
        'forename and surname given the wrong way round',
        'names swapped',
        'same date of birth',
        'same gender',
      ]),
    );
    expect(score({ legalForename: 'Hughes', legalSurname: 'Amelie' })?.reasons[0]).toBe(
      'forename and surname given the wrong way round',
    );
    expect(score({ legalForename: 'Hughes', legalSurname: 'Isla' })).toBeUndefined();
  });
});

describe('dates of birth', () => {
  it.each<[string, string | undefined, string | undefined, number, string]>([
    ['known for neither', undefined, undefined, 0.875, 'date of birth known for neither'],
    ['missing from the MIS record', undefined, '2015-04-12', 0.875, 'the MIS record has no date of birth'],
    ['one digit off', '2015-04-13', '2015-04-12', 0.925, 'date of birth differs by one digit'],
    ['day and month swapped', '2015-12-04', '2015-04-12', 0.963, 'day and month of birth swapped'],
    [
      'two neighbouring digits transposed',
      '2015-04-21',
      '2015-04-12',
      0.925,
      'two digits of the date of birth transposed',
    ],
  ])('%s', (_, mis, account, s, reason) => {
    expect(score({ dateOfBirth: mis }, { dateOfBirth: account })).toEqual(
      seen(s, false, ['same forename', 'same surname', reason, 'same gender']),
    );
  });

  it('an account without one, under the same names, is marked so a request made here can be linked', () => {
    expect(score({}, { dateOfBirth: undefined })).toEqual({
      ...seen(0.875, false, ['same forename', 'same surname', 'the account has no date of birth', 'same gender']),
      sameNamesNoBirthDate: true,
    });
    expect(score({ dateOfBirth: undefined }, { dateOfBirth: undefined })).not.toHaveProperty('sameNamesNoBirthDate');
    expect(score({ legalSurname: 'Hughs' }, { dateOfBirth: undefined })).not.toHaveProperty('sameNamesNoBirthDate');
  });

  it('anything more than a slip is another birthday', () => {
    for (const other of ['2015-04-23', '2015-04-31', '2015-02-14', '2016-05-12', '2012-09-30'])
      expect(score({ dateOfBirth: other }), other).toBeUndefined();
  });
});

describe('kind, UPN and gender', () => {
  it('a kind or UPN on one side only decides nothing', () => {
    expect(score({ kind: undefined })).toEqual(seen(1, true, SAME));
    expect(score({}, { kind: undefined })).toEqual(seen(1, true, SAME));
    expect(score({ upn: 'B801200005001' })).toEqual(seen(1, true, SAME));
    expect(score({}, { upn: 'B801200005001' })).toEqual(seen(1, true, SAME));
  });

  it('the same UPN is certain whatever the names; two different UPNs are two pupils', () => {
    expect(score({ upn: 'B801200005001', legalForename: 'Zed' }, { upn: 'B801200005001' })).toEqual(
      seen(1, true, ['same UPN']),
    );
    expect(score({ upn: 'B801200005001' }, { upn: 'A801200005002' })).toBeUndefined();
    expect(score({ kind: 'staff', upn: 'B801200005001' }, { upn: 'B801200005001' })).toBeUndefined();
  });

  it('a recorded gender that differs costs a tenth; U or nothing is unknown', () => {
    expect(score({ gender: 'M' })).toEqual(
      seen(0.9, true, ['same forename', 'same surname', 'same date of birth', 'recorded gender differs']),
    );
    const noGender = ['same forename', 'same surname', 'same date of birth'];
    expect(score({ gender: 'U' })).toEqual(seen(1, true, noGender));
    expect(score({}, { gender: 'U' })).toEqual(seen(1, true, noGender));
    expect(score({ gender: undefined })).toEqual(seen(1, true, noGender));
    expect(score({}, { gender: undefined })).toEqual(seen(1, true, noGender));
  });

  it('a score exactly at the threshold is a look-alike', () => {
    const c = score({ legalForename: 'A', gender: 'M' });
    expect(c?.score).toBe(LOOKALIKE_THRESHOLD);
    expect(c?.reasons).toEqual([
      'forename given only as its initial',
      'same surname',
      'same date of birth',
      TWIN,
      'recorded gender differs',
    ]);
    expect(score({ legalForename: 'A', gender: 'M', legalSurname: 'Hughs' })).toBeUndefined();
  });

  it('accents and punctuation alone are the same names, and certain', () => {
    expect(score({ legalForename: 'Amélia' })).toEqual(
      seen(1, true, [...SAME, 'names differ only in accents or punctuation']),
    );
    expect(score({ legalSurname: "Hughe's" })).toEqual(
      seen(1, true, [...SAME, 'names differ only in accents or punctuation']),
    );
  });
});

describe('findCandidates', () => {
  it('orders best first, then by username; leaves out who is not a look-alike', () => {
    const found = findCandidates(amelia, [
      { ...amelia, legalSurname: 'Hughs', username: 'typo' },
      { ...amelia, username: 'b.exact' },
      { ...amelia, legalForename: 'Isla', username: 'twin' },
      { ...amelia, username: 'a.exact' },
    ]);
    expect(found.map((c) => [c.username, c.score])).toEqual([
      ['a.exact', 1],
      ['b.exact', 1],
      ['typo', 0.988],
    ]);
    expect(findCandidates(amelia, [])).toEqual([]);
  });
});
