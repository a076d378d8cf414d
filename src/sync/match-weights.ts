// Fellegi-Sunter weights for a person and one account: each field's agreement level, and how much more likely that
// level is between records of the same person (m) than between two people (u). u for exact agreement is the value's
// own frequency (a shared "Smith" says less than a shared "Abbondandola"), read from the candidates themselves: every
// account with the person's surname, or birth date, is among them, because those are block keys.
import { isShortFormOf, jaroWinkler, levenshtein, nameParts, normaliseName } from '../domain/names.js';
import { swapDayMonth, type MatchablePerson } from '../domain/blocking.js';
import { firstForename, wholeSurname } from '../domain/lookalike-keys.js';

export type ForenameLevel = 'exact' | 'nickname' | 'close' | 'similar' | 'initial' | 'differs' | 'unknown';
export type SurnameLevel = 'exact' | 'close' | 'part' | 'similar' | 'differs' | 'unknown';
export type BirthLevel = 'exact' | 'swapped' | 'slip' | 'year' | 'differs' | 'unknown';

export interface Levels {
  forename: ForenameLevel;
  surname: SurnameLevel;
  dateOfBirth: BirthLevel;
}

interface LevelTable {
  forename: Record<ForenameLevel, number>;
  surname: Record<SurnameLevel, number>;
  dateOfBirth: Record<BirthLevel, number>;
}

/** Probability of each level between two records of one person (m), and between two people (u). */
export interface MatchModel {
  m: LevelTable;
  u: LevelTable;
  /** Share of people with a twin (same surname and birth date, another forename) in the population matched. */
  twinRate: number;
}

/**
 * The weights used. Not fitted to any labelled set: m is what studies of linked administrative records report in
 * round figures (a name agrees exactly for most true pairs, one in twenty or so has a typing slip, a few in a hundred
 * have a forename or birth date that is simply different), and u for a non-exact level is its rate between two
 * unrelated people of one LA. Exact agreement's u is the value's own frequency (see `Frequencies`). A birth date
 * within two years that is not a slip says "a classmate with the same name" (schools have them), so it all but rules
 * a match out, as the rules do. The twin rate is the published one for children (about 1 in 60 maternities in England
 * and Wales are multiple, ONS "Births in England and Wales"): some 3% of pupils have a twin.
 */
export const defaultModel: MatchModel = {
  m: {
    forename: { exact: 0.86, nickname: 0.03, close: 0.05, similar: 0.02, initial: 0.01, differs: 0.03, unknown: 1 },
    surname: { exact: 0.88, close: 0.06, part: 0.01, similar: 0.02, differs: 0.03, unknown: 1 },
    dateOfBirth: { exact: 0.9, swapped: 0.01, slip: 0.05, year: 0.00001, differs: 0.03, unknown: 1 },
  },
  u: {
    forename: { exact: 0.01, nickname: 0.002, close: 0.003, similar: 0.03, initial: 0.04, differs: 0.92, unknown: 1 },
    surname: { exact: 0.005, close: 0.002, part: 0.0005, similar: 0.02, differs: 0.97, unknown: 1 },
    dateOfBirth: { exact: 0.0003, swapped: 0.0003, slip: 0.003, year: 0.25, differs: 0.75, unknown: 1 },
  },
  twinRate: 0.03,
};

/**
 * The forms a forename is compared in: its first word, and the whole with its spaces and hyphens taken out
 * ("Mary-Jane", "mary jane" and "Maryjane" agree; a stray space inside one does not hide it).
 */
export const forenameForms = (f: string | undefined) => {
  const n = normaliseName(f);
  return n ? [n.split(' ')[0]!, n.replace(/ /g, '')] : [];
};

/**
 * A slip in keying a birth date: one digit off, or two neighbouring digits the wrong way round (03-21 for 03-12).
 * Anything more is another birthday.
 */
export function birthDateSlip(a: string, b: string): 'one digit' | 'transposed' | undefined {
  const differ = [...a].flatMap((c, i) => (c !== b[i] ? [i] : []));
  if (differ.length === 1) return 'one digit';
  const [i, j] = differ as [number, number];
  if (differ.length === 2 && j === i + 1 && a[i] === b[j] && a[j] === b[i]) return 'transposed';
  return undefined;
}

function forenameLevel(a: MatchablePerson, b: MatchablePerson): ForenameLevel {
  const x = [...forenameForms(a.legalForename), ...forenameForms(a.preferredForename)];
  const y = [...forenameForms(b.legalForename), ...forenameForms(b.preferredForename)];
  if (!x.length || !y.length) return 'unknown';
  const rank: ForenameLevel[] = ['exact', 'nickname', 'close', 'similar', 'initial', 'differs'];
  let best = 5;
  for (const p of x)
    for (const q of y) {
      let l: number;
      if (p === q) l = p.length === 1 ? 4 : 0;
      else if (isShortFormOf(p, q)) l = 1;
      else if (p.length === 1 || q.length === 1) l = p[0] === q[0] ? 4 : 5;
      else if (levenshtein(p, q) === 1 || jaroWinkler(p, q) >= 0.92) l = 2;
      else if (jaroWinkler(p, q) >= 0.8) l = 3;
      else l = 5;
      best = Math.min(best, l);
    }
  return rank[best]!;
}

function surnameLevel(a: MatchablePerson, b: MatchablePerson): SurnameLevel {
  const x = [a.legalSurname, a.preferredSurname].map(normaliseName).filter(Boolean);
  const y = [b.legalSurname, b.preferredSurname].map(normaliseName).filter(Boolean);
  if (!x.length || !y.length) return 'unknown';
  const rank: SurnameLevel[] = ['exact', 'close', 'part', 'similar', 'differs'];
  let best = 4;
  for (const p of x)
    for (const q of y) {
      const ps = p.replace(/ /g, '');
      const qs = q.replace(/ /g, '');
      let l: number;
      if (ps === qs) l = 0;
      else if (levenshtein(ps, qs) === 1 || jaroWinkler(ps, qs) >= 0.92) l = 1;
      else if (nameParts(p).some((s) => s.length > 1 && nameParts(q).includes(s))) l = 2;
      else if (jaroWinkler(ps, qs) >= 0.8) l = 3;
      else l = 4;
      best = Math.min(best, l);
    }
  return rank[best]!;
}

function birthLevel(a?: string, b?: string): BirthLevel {
  if (!a || !b) return 'unknown';
  if (a === b) return 'exact';
  if (swapDayMonth(a) === b) return 'swapped';
  if (birthDateSlip(a, b)) return 'slip';
  // born within two years of each other: a classmate's birthday, not a slip of the keyboard
  const apart = Math.abs(Date.parse(a) - Date.parse(b)) / 86_400_000;
  if (!(apart > 2 * 366)) return 'year';
  return 'differs';
}

export function levelsOf(person: MatchablePerson, account: MatchablePerson): Levels {
  return {
    forename: forenameLevel(person, account),
    surname: surnameLevel(person, account),
    dateOfBirth: birthLevel(person.dateOfBirth, account.dateOfBirth),
  };
}

/** How often each exact value occurs among a population of `size` accounts. */
export interface Frequencies {
  size: number;
  surname(name: string): number | undefined;
  dateOfBirth(day: string): number | undefined;
  forename(name: string): number | undefined;
}

const clamp = (p: number) => Math.min(0.5, Math.max(1e-7, p));

/**
 * The match weight (log2 of the Bayes factor) of these levels, with exact agreement weighed by how common the value
 * is, and agreement on surname and birth date allowed for twins (who share both and are two people: independence of
 * the fields would call that a coincidence, which it is not).
 */
export function matchWeight(model: MatchModel, levels: Levels, person: MatchablePerson, freq?: Frequencies): number {
  const exactly = (level: string, count: () => number | undefined, fallback: number) => {
    if (level !== 'exact' || !freq || freq.size <= 0) return fallback;
    const n = count();
    return n === undefined ? fallback : clamp(n / freq.size);
  };
  const uf = exactly(levels.forename, () => freq?.forename(firstForename(person)), model.u.forename[levels.forename]);
  const us = exactly(levels.surname, () => freq?.surname(wholeSurname(person)), model.u.surname[levels.surname]);
  const ud = exactly(
    levels.dateOfBirth,
    () => (person.dateOfBirth ? freq?.dateOfBirth(person.dateOfBirth) : undefined),
    model.u.dateOfBirth[levels.dateOfBirth],
  );
  let usd = us * ud;
  if (levels.surname === 'exact' && levels.dateOfBirth === 'exact' && levels.forename !== 'exact')
    usd += model.twinRate / Math.max(1, freq?.size ?? 1);
  const mf = model.m.forename[levels.forename];
  const msd = model.m.surname[levels.surname] * model.m.dateOfBirth[levels.dateOfBirth];
  return Math.log2(mf / uf) + Math.log2(msd / usd);
}

/** The probability that two records are one person, from their weight and the number of accounts matched against. */
export function matchProbability(weight: number, population: number): number {
  const w = weight - Math.log2(Math.max(1, population));
  return 1 / (1 + 2 ** -w);
}

/** How many of the accounts have each value: surnames and birth dates (complete in a block) and forenames. */
export function countValues(accounts: readonly MatchablePerson[]) {
  const forenames = new Map<string, number>();
  const surnames = new Map<string, number>();
  const births = new Map<string, number>();
  const add = (m: Map<string, number>, k: string) => k && m.set(k, (m.get(k) ?? 0) + 1);
  for (const a of accounts) {
    add(forenames, firstForename(a));
    add(surnames, wholeSurname(a));
    if (a.dateOfBirth) add(births, a.dateOfBirth);
  }
  return { forenames, surnames, births, size: accounts.length };
}

/**
 * The share of these accounts who have a twin among them: two or more with one surname and birth date and different
 * forenames.
 */
export function twinShare(accounts: readonly MatchablePerson[]): number {
  const forenamesOf = new Map<string, Set<string>>();
  for (const a of accounts) {
    if (!a.dateOfBirth || !wholeSurname(a)) continue;
    const key = `${wholeSurname(a)}|${a.dateOfBirth}`;
    const set = forenamesOf.get(key) ?? new Set<string>();
    set.add(normaliseName(a.legalForename));
    forenamesOf.set(key, set);
  }
  let twins = 0;
  for (const set of forenamesOf.values()) if (set.size > 1) twins += set.size;
  return accounts.length ? twins / accounts.length : 0;
}
