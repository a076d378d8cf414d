// The weighed look-alikes (Fellegi-Sunter): each field's agreement level, names weighed by how common they are in the
// LA, twins allowed for, and what the planner does with a candidate found only by weight (hold it, never link it).
import { describe, expect, it } from 'vitest';
import { findCandidates, matchContextOf, WEIGHED_THRESHOLD } from '../../src/sync/match.js';
import { defaultModel, levelsOf, matchProbability, matchWeight } from '../../src/sync/match-weights.js';
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

  it('the bigger the population, the less a given weight is worth', () => {
    expect(matchProbability(20, 1000)).toBeGreaterThan(matchProbability(20, 1_000_000));
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
