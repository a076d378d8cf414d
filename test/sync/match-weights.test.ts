// The weighed look-alikes (Fellegi-Sunter): each field's agreement level, names weighed by how common they are in the
// LA, twins allowed for, and what the planner does with a candidate found only by weight (hold it, never link it).
import { describe, expect, it } from 'vitest';
import { findCandidates, matchContextOf, WEIGHED_THRESHOLD } from '../../src/sync/match.js';
import {
  countValues,
  defaultModel,
  levelsOf,
  matchProbability,
  matchWeight,
  twinShare,
  type Frequencies,
} from '../../src/sync/match-weights.js';
import type { MatchablePerson } from '../../src/domain/blocking.js';
import { plan } from '../../src/sync/plan.js';
import { input, linkedAccount, school, staffMember } from '../helpers/people.js';

const rare: MatchablePerson = {
  kind: 'staff',
  legalForename: 'Xanthe',
  legalSurname: 'Abbondandola',
  dateOfBirth: '1969-02-18',
};
const account = (over: Partial<MatchablePerson>, username = 'acc') => ({ ...rare, ...over, username });

/** A population of `size` staff with common names, and the given accounts among them. */
function population(size: number, extra: (MatchablePerson & { username: string })[] = []) {
  const forenames = ['Daniel', 'Sarah', 'James', 'Emma', 'Oliver', 'Grace'];
  const crowd = Array.from({ length: size - extra.length }, (_, i) => ({
    username: `c${i}`,
    kind: 'staff' as const,
    legalForename: forenames[i % forenames.length]!,
    legalSurname: 'Smith',
    dateOfBirth: `19${50 + (i % 40)}-0${1 + (i % 9)}-1${i % 10}`,
  }));
  return [...crowd, ...extra];
}

describe('agreement levels', () => {
  it.each<[string, Partial<MatchablePerson>, keyof ReturnType<typeof levelsOf>, string]>([
    ['same forename', {}, 'forename', 'exact'],
    ['a shorter form not in the list', { legalForename: 'Xan' }, 'forename', 'similar'],
    ['a letter dropped', { legalForename: 'Xanhe' }, 'forename', 'close'],
    ['an initial', { legalForename: 'X' }, 'forename', 'initial'],
    ['no forename', { legalForename: '' }, 'forename', 'unknown'],
    ['a letter swapped in the surname', { legalSurname: 'Abbondanodla' }, 'surname', 'close'],
    ['a double-barrelled surname', { legalSurname: 'Reyes-Abbondandola' }, 'surname', 'part'],
    ['another surname', { legalSurname: 'Okafor' }, 'surname', 'differs'],
    ['day and month swapped', { dateOfBirth: '1969-18-02' }, 'dateOfBirth', 'swapped'],
    ['one digit off', { dateOfBirth: '1969-02-19' }, 'dateOfBirth', 'slip'],
    ['born the year after, on another day', { dateOfBirth: '1970-07-01' }, 'dateOfBirth', 'year'],
    ['born decades apart', { dateOfBirth: '1931-07-01' }, 'dateOfBirth', 'differs'],
    ['no birth date', { dateOfBirth: undefined }, 'dateOfBirth', 'unknown'],
  ])('%s', (_, change, field, level) => {
    expect(levelsOf({ ...rare, ...change }, rare)[field]).toBe(level);
  });

  it.each<[string, Partial<MatchablePerson>, Partial<MatchablePerson>, string]>([
    ['a preferred forename agreeing', { legalForename: 'Imogen', preferredForename: 'Xanthe' }, {}, 'exact'],
    [
      'agreeing with the preferred forename of the account',
      {},
      { legalForename: 'Imogen', preferredForename: 'Xanthe' },
      'exact',
    ],
    ['a stray space inside a forename', { legalForename: 'Xan The' }, {}, 'exact'],
    ['an initial that is not of the forename', { legalForename: 'Q' }, {}, 'differs'],
    ['an initial on the account', {}, { legalForename: 'X' }, 'initial'],
    ['the same initial on both', { legalForename: 'X' }, { legalForename: 'X' }, 'initial'],
    ['a letter changed (Levenshtein 1)', { legalForename: 'Xanthy' }, {}, 'close'],
    ['close by Jaro-Winkler, two letters off', { legalForename: 'Xanthea' }, { legalForename: 'Xanthiae' }, 'close'],
    [
      'two letters off, Jaro-Winkler 0.907: similar, not close',
      { legalForename: 'Peter' },
      { legalForename: 'Petra' },
      'similar',
    ],
    ['two letters off, Jaro-Winkler 0.867', { legalForename: 'Xantia' }, {}, 'similar'],
    ['Jaro-Winkler under 0.8', { legalForename: 'Kelvin' }, { legalForename: 'Kelly' }, 'differs'],
  ])('forename: %s', (_, person, acc, level) => {
    expect(levelsOf({ ...rare, ...person }, { ...rare, ...acc }).forename).toBe(level);
  });

  it.each<[string, Partial<MatchablePerson>, Partial<MatchablePerson>, string]>([
    ['a preferred surname agreeing', { legalSurname: 'Reyes', preferredSurname: 'Abbondandola' }, {}, 'exact'],
    ['a space or hyphen inside it', { legalSurname: 'Abbon Dandola' }, {}, 'exact'],
    ['missing on the account', {}, { legalSurname: '' }, 'unknown'],
    ['missing on the person', { legalSurname: '' }, {}, 'unknown'],
    ['close by Jaro-Winkler, three letters off', { legalSurname: 'Abbondanza' }, {}, 'close'],
    ['similar, not close', { legalSurname: 'Abondanzia' }, {}, 'similar'],
    ['a part of one letter is no shared part', { legalSurname: 'A Okafor' }, { legalSurname: 'A Reyes' }, 'differs'],
  ])('surname: %s', (_, person, acc, level) => {
    expect(levelsOf({ ...rare, ...person }, { ...rare, ...acc }).surname).toBe(level);
  });

  it.each<[string, string, string]>([
    ['two neighbouring digits the wrong way round', '1969-02-81', 'slip'],
    ['two digits apart changed', '1968-02-19', 'year'],
    ['two digits changed decades apart', '1929-02-28', 'differs'],
    ['exactly two years apart (732 days)', '1971-02-18', 'year'],
    ['a day over two years of 366 days', '1971-02-21', 'differs'],
    ['born the year before', '1968-07-01', 'year'],
  ])('birth date: %s', (_, day, level) => {
    expect(levelsOf({ ...rare, dateOfBirth: day }, rare).dateOfBirth).toBe(level);
    expect(levelsOf(rare, { ...rare, dateOfBirth: day }).dateOfBirth).toBe(level);
  });

  it('a nickname from the list is its own level', () => {
    expect(levelsOf({ ...rare, legalForename: 'Bob' }, { ...rare, legalForename: 'Robert' }).forename).toBe('nickname');
  });
});

describe('weights', () => {
  const levels = { forename: 'exact', surname: 'exact', dateOfBirth: 'differs' } as const;
  const freq = (surnames: number) => ({
    size: 10_000,
    surname: () => surnames,
    dateOfBirth: () => 1,
    forename: () => 10,
  });

  it('a rare surname agreeing weighs more than a common one', () => {
    const rareWeight = matchWeight(defaultModel, levels, rare, freq(1));
    const commonWeight = matchWeight(defaultModel, levels, rare, freq(800));
    expect(rareWeight).toBeGreaterThan(commonWeight);
    expect(rareWeight - commonWeight).toBeCloseTo(Math.log2(800), 6);
  });

  it('a twin (surname and birth date, another forename) is a coincidence only where twins are rare', () => {
    const twinLevels = { forename: 'differs', surname: 'exact', dateOfBirth: 'exact' } as const;
    const f = { ...freq(1), size: 5000 };
    const whereTwinsAreRare = matchProbability(
      matchWeight({ ...defaultModel, twinRate: 0.001 }, twinLevels, rare, f),
      5000,
    );
    const amongPupils = matchProbability(matchWeight(defaultModel, twinLevels, rare, f), 5000);
    expect(whereTwinsAreRare).toBeGreaterThan(WEIGHED_THRESHOLD);
    expect(amongPupils).toBeLessThan(0.5);
  });

  it('each exact field is weighed by its own frequency, and a missing count or population falls back to the model', () => {
    const all = { forename: 'exact', surname: 'exact', dateOfBirth: 'exact' } as const;
    const base: Frequencies = { size: 10_000, surname: () => 10, dateOfBirth: () => 10, forename: () => 10 };
    const w = (f: Frequencies | undefined) => matchWeight(defaultModel, all, rare, f);
    expect(w({ ...base, forename: () => 1 }) - w(base)).toBeCloseTo(Math.log2(10), 6);
    expect(w({ ...base, surname: () => 1 }) - w(base)).toBeCloseTo(Math.log2(10), 6);
    expect(w({ ...base, dateOfBirth: () => 1 }) - w(base)).toBeCloseTo(Math.log2(10), 6);
    const { m, u } = defaultModel;
    const fromModel =
      Math.log2(m.forename.exact / u.forename.exact) +
      Math.log2((m.surname.exact * m.dateOfBirth.exact) / (u.surname.exact * u.dateOfBirth.exact));
    expect(w(undefined)).toBeCloseTo(fromModel, 6);
    expect(w({ ...base, size: 0 })).toBeCloseTo(fromModel, 6);
    expect(
      w({ ...base, forename: () => undefined, surname: () => undefined, dateOfBirth: () => undefined }),
    ).toBeCloseTo(fromModel, 6);
    // a frequency is never taken as more than one in two, nor as zero
    expect(Number.isFinite(w({ ...base, surname: () => 0 }))).toBe(true);
    expect(w({ ...base, surname: () => 9000 })).toBeCloseTo(w({ ...base, surname: () => 5000 }), 6);
    // the person's own values are what is counted
    const asked: string[] = [];
    w({
      ...base,
      forename: (n) => (asked.push(n), 10),
      surname: (n) => (asked.push(n), 10),
      dateOfBirth: (d) => (asked.push(d), 10),
    });
    expect(asked.sort()).toEqual(['1969-02-18', 'abbondandola', 'xanthe']);
  });

  it('twins are allowed for only when surname and birth date agree exactly and the forename does not', () => {
    const f = { size: 5000, surname: () => 1, dateOfBirth: () => 1, forename: () => 1 };
    const weigh = (levels: Parameters<typeof matchWeight>[1], twinRate: number) =>
      matchWeight({ ...defaultModel, twinRate }, levels, rare, f);
    const twin = { forename: 'differs', surname: 'exact', dateOfBirth: 'exact' } as const;
    expect(weigh(twin, 0.03)).toBeLessThan(weigh(twin, 0));
    for (const levels of [
      { forename: 'exact', surname: 'exact', dateOfBirth: 'exact' },
      { forename: 'differs', surname: 'close', dateOfBirth: 'exact' },
      { forename: 'differs', surname: 'exact', dateOfBirth: 'slip' },
    ] as const)
      expect(weigh(levels, 0.03)).toBeCloseTo(weigh(levels, 0), 9);
  });

  it('the bigger the population, the less a given weight is worth', () => {
    expect(matchProbability(20, 1000)).toBeGreaterThan(matchProbability(20, 1_000_000));
  });
});

describe('what is counted in a population', () => {
  const twins = [
    { legalForename: 'Ava', legalSurname: 'Hughes', dateOfBirth: '2015-04-12' },
    { legalForename: 'Isla', legalSurname: 'Hughes', dateOfBirth: '2015-04-12' },
    { legalForename: 'Ava', legalSurname: 'Hughes', dateOfBirth: '2016-04-12' },
    { legalForename: 'Leo', legalSurname: 'Okafor', dateOfBirth: '2015-04-12' },
  ];

  it('twins: different forenames under one surname and birth date; a namesake or a record twice is not a twin', () => {
    expect(twinShare(twins)).toBe(0.5);
    expect(twinShare([twins[0]!, { ...twins[0]! }])).toBe(0);
    expect(twinShare([])).toBe(0);
    // nobody is a twin by a missing surname or birth date
    const unknown = [
      { legalForename: 'Ava', legalSurname: '', dateOfBirth: '2015-04-12' },
      { legalForename: 'Isla', legalSurname: '', dateOfBirth: '2015-04-12' },
      { legalForename: 'Ava', legalSurname: 'Hughes' },
      { legalForename: 'Isla', legalSurname: 'Hughes' },
    ];
    expect(twinShare(unknown)).toBe(0);
  });

  it('values are counted in the form they are compared in, and a missing birth date is not counted', () => {
    const counted = countValues([
      ...twins,
      { legalForename: 'AVA  Rose', legalSurname: 'hughes', dateOfBirth: undefined },
    ]);
    expect(counted.size).toBe(5);
    expect(counted.forenames.get('ava')).toBe(3);
    expect(counted.surnames.get('hughes')).toBe(4);
    expect(counted.births.get('2015-04-12')).toBe(3);
    expect([...counted.births.keys()].sort()).toEqual(['2015-04-12', '2016-04-12']);
  });
});

describe('weighed candidates', () => {
  it('rare names agreeing with a birth date decades apart: proposed to decide, never certain, with its reasons', () => {
    const accounts = population(2000, [account({ dateOfBirth: '1931-07-01' })]);
    const context = matchContextOf(accounts.length, accounts);
    const [c] = findCandidates(rare, accounts, context);
    expect(c).toMatchObject({ username: 'acc', certain: false });
    expect(c!.score).toBeGreaterThanOrEqual(WEIGHED_THRESHOLD);
    expect(c!.reasons.slice(0, 3)).toEqual(['same forename', 'same surname', 'date of birth differs']);
    expect(c!.reasons.at(-1)).toMatch(/^names rare in the LA: \d+% likely the same person by their weights$/);
    // the rules alone do not find it
    expect(findCandidates(rare, accounts)).toEqual([]);
  });

  it('common names with a birth date decades apart are two people', () => {
    const smith = { ...rare, legalForename: 'Daniel', legalSurname: 'Smith' };
    const accounts = population(2000, [{ ...smith, dateOfBirth: '1931-07-01', username: 'acc' }]);
    expect(findCandidates(smith, accounts, matchContextOf(accounts.length, accounts))).toEqual([]);
  });

  it('a classmate of the same rare name, born within two years, is never weighed into a match', () => {
    const accounts = population(2000, [account({ dateOfBirth: '1970-07-01' })]);
    expect(findCandidates(rare, accounts, matchContextOf(accounts.length, accounts))).toEqual([]);
  });

  it('pupils: a twin is never proposed by weight, however rare the surname', () => {
    const pupil = { ...rare, kind: 'pupil' as const, dateOfBirth: '2015-04-12' };
    const accounts = [{ ...pupil, legalForename: 'Zebedee', username: 'twin' }];
    expect(findCandidates(pupil, accounts, matchContextOf(5000, []))).toEqual([]);
  });

  it('where twins are rare among the accounts, a forename replaced is proposed and labelled as a possible twin', () => {
    const accounts = population(3000, [account({ legalForename: 'Imogen' })]);
    const [c] = findCandidates(rare, accounts, matchContextOf(accounts.length, accounts));
    expect(c).toMatchObject({ username: 'acc', certain: false });
    expect(c!.reasons).toContain('same surname and birthday, forename not the same: could be a twin or sibling');
  });

  it('only one field agreeing exactly is never enough, and kinds or UPNs that differ rule it out', () => {
    const accounts = population(2000, [account({ legalForename: 'Xanth', dateOfBirth: '1931-07-01' })]);
    expect(findCandidates(rare, accounts, matchContextOf(accounts.length, accounts))).toEqual([]);
    const pupilAccount = population(2000, [account({ kind: 'pupil', dateOfBirth: '1931-07-01' })]);
    expect(findCandidates(rare, pupilAccount, matchContextOf(2000, pupilAccount))).toEqual([]);
    const upns = population(2000, [account({ upn: 'A1', dateOfBirth: '1931-07-01' })]);
    expect(findCandidates({ ...rare, upn: 'B2' }, upns, matchContextOf(2000, upns))).toEqual([]);
  });
});

describe('the planner with weighed look-alikes', () => {
  it('holds a newcomer whose only candidate is weighed, and never links them', () => {
    const a = school('2092000');
    const b = school('2093000');
    const holder = linkedAccount(
      'xabbondandola',
      staffMember({ legalForename: 'Xanthe', legalSurname: 'Abbondandola', dateOfBirth: '1931-07-01' }),
      b,
    );
    const newcomer = staffMember({ legalForename: 'Xanthe', legalSurname: 'Abbondandola', dateOfBirth: '1969-02-18' });
    const result = plan(input({ school: a, people: [newcomer], accounts: [holder], population: 1000 }));
    expect(result.autoLinked).toEqual([]);
    expect(result.creates).toEqual([]);
    expect(result.matches).toHaveLength(1);
    expect(result.matches[0]!.candidates[0]).toMatchObject({ username: 'xabbondandola', certain: false });
    // without the LA's size the planner does not weigh: the rules alone create a new account
    const rulesOnly = plan(input({ school: a, people: [newcomer], accounts: [holder] }));
    expect(rulesOnly.matches).toEqual([]);
    expect(rulesOnly.creates).toHaveLength(1);
  });
});
