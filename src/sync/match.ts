// Pure candidate finding and scoring: is this MIS person already one of these accounts? Candidates are first
// blocked (same LA and date of birth, its day/month swap, or a phonetic surname key), then scored from names,
// date of birth, gender and UPN, each with the human reasons an admin sees beside the buttons.
import { isShortFormOf, jaroWinkler, levenshtein, nameParts, normaliseName } from '../domain/names.js';
import { swapDayMonth, type Candidate, type MatchablePerson } from '../domain/blocking.js';
import { firstForename, wholeSurname } from '../domain/lookalike-keys.js';
import {
  birthDateSlip,
  countValues,
  defaultModel,
  forenameForms,
  levelsOf,
  matchProbability,
  matchWeight,
  twinShare,
  type Frequencies,
  type Levels,
} from './match-weights.js';

const TWIN_REASON = 'same surname and birthday, forename not the same: could be a twin or sibling';

/** Scores at or above this make a look-alike that is held for a person to decide. */
export const LOOKALIKE_THRESHOLD = 0.82;

/** Every form of the legal and preferred forenames (see `forenameForms`). */
function forenames(p: MatchablePerson): string[] {
  return [...new Set(legalForenameForms(p).concat(forenameForms(p.preferredForename)))];
}
const legalForenameForms = (p: MatchablePerson) => forenameForms(p.legalForename);

/** A forename that is missing, or only an initial: it neither agrees nor disagrees. */
const forenameUnknown = (p: MatchablePerson) => !normaliseName(p.legalForename) && !normaliseName(p.preferredForename);
const initialOf = (p: MatchablePerson) => {
  const n = normaliseName(p.legalForename).replace(/ /g, '');
  return n.length === 1 ? n : undefined;
};

function surnames(p: MatchablePerson): string[] {
  return [...new Set([normaliseName(p.legalSurname), normaliseName(p.preferredSurname)].filter(Boolean))];
}

function forenameSimilarity(a: MatchablePerson, b: MatchablePerson): { score: number; reason: string } {
  let best = { score: 0, reason: 'forename differs' };
  for (const x of forenames(a)) {
    for (const y of forenames(b)) {
      const legalPair = legalForenameForms(a).includes(x) && legalForenameForms(b).includes(y);
      let s: { score: number; reason: string };
      if (x === y) s = { score: 1, reason: legalPair ? 'same forename' : 'preferred forename matches' };
      else if (isShortFormOf(x, y)) s = { score: 0.95, reason: `forename is a short form (${x}/${y})` };
      else if (levenshtein(x, y) === 1)
        s = { score: Math.max(0.9, jaroWinkler(x, y)), reason: 'forename differs by one letter' };
      else s = { score: jaroWinkler(x, y), reason: 'forename is similar' };
      if (s.score > best.score) best = s;
    }
  }
  return best;
}

function surnameSimilarity(a: MatchablePerson, b: MatchablePerson): { score: number; reason: string } {
  let best = { score: 0, reason: 'surname differs' };
  for (const x of surnames(a)) {
    for (const y of surnames(b)) {
      const xs = x.replace(/ /g, '');
      const ys = y.replace(/ /g, '');
      let s: { score: number; reason: string };
      if (xs === ys) s = { score: 1, reason: x === y ? 'same surname' : 'same surname but for spacing or hyphens' };
      else if (levenshtein(xs, ys) === 1)
        s = { score: Math.max(0.92, jaroWinkler(xs, ys)), reason: 'surname differs by one letter' };
      else if (nameParts(x).some((p) => p.length > 1 && nameParts(y).includes(p)))
        s = { score: 0.9, reason: 'surname shares a part (double-barrelled)' };
      else s = { score: jaroWinkler(xs, ys), reason: 'surname is similar' };
      if (s.score > best.score) best = s;
    }
  }
  return best;
}

function dateOfBirthSimilarity(a?: string, b?: string): { score: number; reason?: string } {
  if (!a && !b) return { score: 0.5, reason: 'date of birth known for neither' };
  if (!b) return { score: 0.5, reason: 'the account has no date of birth' };
  if (!a) return { score: 0.5, reason: 'the MIS record has no date of birth' };
  if (a === b) return { score: 1, reason: 'same date of birth' };
  if (swapDayMonth(a) === b) return { score: 0.85, reason: 'day and month of birth swapped' };
  // anything more than a slip is another birthday (a namesake in the same year group is common)
  const slip = birthDateSlip(a, b);
  if (slip === 'one digit') return { score: 0.7, reason: 'date of birth differs by one digit' };
  if (slip === 'transposed') return { score: 0.7, reason: 'two digits of the date of birth transposed' };
  return { score: 0 };
}

/** Forename and surname given the wrong way round ("SMITH John" for John Smith). */
function crossed(person: MatchablePerson, account: MatchablePerson): boolean {
  // a cheap look first: most pairs are not crossed, and the full comparison costs two more
  if (jaroWinkler(normaliseName(person.legalSurname), normaliseName(account.legalForename)) < 0.85) return false;
  const swapped = { ...person, legalForename: person.legalSurname, legalSurname: person.legalForename };
  delete swapped.preferredForename;
  delete swapped.preferredSurname;
  return forenameSimilarity(swapped, account).score >= 0.92 && surnameSimilarity(swapped, account).score >= 0.92;
}

function hadAccents(p: MatchablePerson): string {
  return `${p.legalForename} ${p.legalSurname}`;
}

/** Scores one account against a person; undefined when it is not a look-alike at all. */
export function scoreCandidate(
  person: MatchablePerson,
  account: MatchablePerson & { username: string },
): Candidate | undefined {
  if (person.kind && account.kind && person.kind !== account.kind) return undefined;
  if (person.upn && account.upn) {
    if (person.upn === account.upn)
      return { username: account.username, score: 1, certain: true, reasons: ['same UPN'] };
    return undefined; // a UPN is for life: two different UPNs are two different pupils
  }
  let fore = forenameSimilarity(person, account);
  let sur = surnameSimilarity(person, account);
  const dob = dateOfBirthSimilarity(person.dateOfBirth, account.dateOfBirth);
  if ((fore.score < 0.85 || sur.score < 0.85) && crossed(person, account)) {
    fore = { score: 0.95, reason: 'forename and surname given the wrong way round' };
    sur = { score: 0.95, reason: 'names swapped' };
  }
  // A forename missing, or given only as its initial, neither agrees nor disagrees: the rest must agree exactly.
  const initials = [initialOf(person), initialOf(account)];
  let forenameOpen = false;
  if (fore.score < 0.85 && sur.score >= 0.92 && dob.score === 1) {
    if (forenameUnknown(person) || forenameUnknown(account)) {
      fore = { score: 0.75, reason: 'forename missing on one side (could be a sibling: check)' };
      forenameOpen = true;
    } else if (initials.some((i, k) => i && forenames(k === 0 ? account : person).some((f) => f.startsWith(i)))) {
      fore = { score: 0.8, reason: 'forename given only as its initial' };
      forenameOpen = true;
    }
  }
  // Twins share a surname and a birthday: different forenames are never a look-alike.
  if (fore.score < 0.85 && !forenameOpen) return undefined;
  const nameChange = sur.score < 0.85 && dob.score === 1 && fore.score >= 0.95;
  if (sur.score < 0.85 && !nameChange) return undefined;
  if (dob.score === 0) return undefined; // same name, different birthday: a different person
  const genderClash =
    person.gender &&
    account.gender &&
    person.gender !== account.gender &&
    person.gender !== 'U' &&
    account.gender !== 'U';
  let score = 0.4 * fore.score + 0.35 * (nameChange ? 0.7 : sur.score) + 0.25 * dob.score;
  if (genderClash) score -= 0.1;
  score = Math.round(score * 1000) / 1000;
  if (score < LOOKALIKE_THRESHOLD) return undefined;
  const reasons = [fore.reason, nameChange ? 'surname differs (possibly a change of name)' : sur.reason];
  if (dob.reason) reasons.push(dob.reason);
  if (dob.score === 1 && sur.score === 1 && fore.score < 1) reasons.push(TWIN_REASON);
  if (genderClash) reasons.push('recorded gender differs');
  else if (person.gender && person.gender === account.gender) reasons.push('same gender');
  if (
    normaliseName(hadAccents(person)) === normaliseName(hadAccents(account)) &&
    hadAccents(person) !== hadAccents(account)
  ) {
    reasons.push('names differ only in accents or punctuation');
  }
  const sameNames =
    normaliseName(person.legalForename) === normaliseName(account.legalForename) &&
    normaliseName(person.legalSurname) === normaliseName(account.legalSurname);
  const certain = sameNames && dob.score === 1;
  const noBirthDate = sameNames && !account.dateOfBirth && !!person.dateOfBirth;
  return {
    username: account.username,
    score,
    certain,
    ...(noBirthDate ? { sameNamesNoBirthDate: true } : {}),
    reasons,
  };
}

/**
 * What the weighed score needs to know of the population a person is matched against: how many accounts it has, how
 * common each forename is in a sample of it (a school's accounts), and which kinds of people in it have twins.
 */
export interface MatchContext {
  population: number;
  /** Forenames counted in accounts that stand for the population's (the school's own, or the whole set). */
  forenames: ForenameSample;
  /** Share of people with a twin in the population, when the published rate for pupils is not the one to use. */
  twinRate?: number;
  /**
   * Surnames and birth dates counted across the LA, when the accounts matched against are not every account with
   * them (the look-alike index returns only look-alikes): a value is as common as the larger count says.
   */
  counts?: { surnames: ReadonlyMap<string, number>; births: ReadonlyMap<string, number> };
}

/** A weighed look-alike is proposed at this probability of being the same person, or above. */
export const WEIGHED_THRESHOLD = 0.7;

/** The share of pupils with a twin, from the published birth figures (see `defaultModel`). */
const PUPIL_TWIN_RATE = defaultModel.twinRate;

const levelReasons = {
  forename: {
    exact: 'same forename',
    nickname: 'forename is a short form',
    close: 'forename differs by a letter or two',
    similar: 'forename is similar',
    initial: 'forename given only as its initial',
    differs: 'forename differs',
    unknown: 'forename missing on one side',
  },
  surname: {
    exact: 'same surname',
    close: 'surname differs by a letter or two',
    part: 'surname shares a part (double-barrelled)',
    similar: 'surname is similar',
    differs: 'surname differs',
    unknown: 'surname missing on one side',
  },
  dateOfBirth: {
    exact: 'same date of birth',
    swapped: 'day and month of birth swapped',
    slip: 'date of birth differs by a digit or two',
    year: 'born within two years of each other',
    differs: 'date of birth differs',
    unknown: 'date of birth missing on one side',
  },
} satisfies { [K in keyof Levels]: Record<Levels[K], string> };

/**
 * A look-alike the rules leave out that the weights still find likely: names rare enough in the LA that agreeing on
 * them says more than a birth date that differs, or a forename replaced where twins are rare. Never certain.
 */
function weighedCandidate(
  person: MatchablePerson,
  account: MatchablePerson & { username: string },
  freq: Frequencies,
  twinRate: number,
): Candidate | undefined {
  if (person.kind && account.kind && person.kind !== account.kind) return undefined;
  if (person.upn && account.upn) return undefined; // the rules decide on UPNs
  const levels = levelsOf(person, account);
  const strong = [levels.forename, levels.surname, levels.dateOfBirth].filter((l) => l === 'exact').length;
  if (strong < 2) return undefined; // two fields must agree exactly for the weights to outweigh a third
  const weight = matchWeight({ ...defaultModel, twinRate }, levels, person, freq);
  const probability = matchProbability(weight, freq.size);
  if (probability < WEIGHED_THRESHOLD) return undefined;
  const reasons = [
    levelReasons.forename[levels.forename],
    levelReasons.surname[levels.surname],
    levelReasons.dateOfBirth[levels.dateOfBirth],
  ];
  if (levels.surname === 'exact' && levels.dateOfBirth === 'exact' && levels.forename !== 'exact')
    reasons.push(TWIN_REASON);
  reasons.push(`names rare in the LA: ${Math.round(probability * 100)}% likely the same person by their weights`);
  return { username: account.username, score: Math.round(probability * 1000) / 1000, certain: false, reasons };
}

/** Every look-alike among the accounts, best first; with a context, the weighed ones the rules leave out as well. */
export function findCandidates(
  person: MatchablePerson,
  accounts: readonly (MatchablePerson & { username: string })[],
  context?: MatchContext,
): Candidate[] {
  const found: Candidate[] = [];
  let freq: Frequencies | undefined;
  const exact = context && exactForms(person);
  for (const account of accounts) {
    let c = scoreCandidate(person, account);
    if (!c && context && exact && twoAgreeExactly(exact, account)) {
      // every account with the person's surname or birth date is among these (they are block keys), so their counts
      // here are the LA's; forenames are counted in the sample
      freq ??= frequencies(accounts, context);
      c = weighedCandidate(person, account, freq, twinRateFor(person, context));
    }
    if (c) found.push(c);
  }
  return found.sort((a, b) => b.score - a.score || a.username.localeCompare(b.username));
}

/**
 * Whether an account could be one of the person's look-alikes: one the rules accept, or a pair the weights would
 * compare (how likely it is depends on counts across the LA, so it is left to `findCandidates`).
 */
export function lookalikeKind(person: MatchablePerson, account: MatchablePerson & { username: string }) {
  if (scoreCandidate(person, account)) return 'rule';
  if (person.kind && account.kind && person.kind !== account.kind) return undefined;
  if (person.upn && account.upn) return undefined;
  return twoAgreeExactly(exactForms(person), account) ? 'weigh' : undefined;
}

/** The person's values as compared exactly: a cheap look before the weighed comparison. */
function exactForms(p: MatchablePerson) {
  return { forename: firstForename(p), surname: wholeSurname(p), dateOfBirth: p.dateOfBirth };
}

/** Whether at least two of forename, surname and birth date agree exactly: the weights need two to outweigh a third. */
function twoAgreeExactly(person: ReturnType<typeof exactForms>, account: MatchablePerson): boolean {
  let agree = person.dateOfBirth && person.dateOfBirth === account.dateOfBirth ? 1 : 0;
  if (person.surname && person.surname === wholeSurname(account)) agree++;
  if (agree === 0) return false;
  if (agree === 2) return true;
  return Boolean(person.forename) && person.forename === firstForename(account);
}

/** Never taken as zero: a population with no twins among its accounts may still have one arrive. */
const MIN_TWIN_RATE = 0.001;
const twinRateFor = (person: MatchablePerson, context: MatchContext) =>
  person.kind === 'pupil'
    ? Math.max(PUPIL_TWIN_RATE, context.twinRate ?? 0)
    : Math.max(MIN_TWIN_RATE, context.twinRate ?? PUPIL_TWIN_RATE);

export interface ForenameSample {
  counts: ReadonlyMap<string, number>;
  size: number;
}

/** Counts the forenames of accounts once, for every person matched against their population. */
export function forenameSample(accounts: readonly MatchablePerson[]): ForenameSample {
  const { forenames, size } = countValues(accounts);
  return { counts: forenames, size };
}

function frequencies(accounts: readonly MatchablePerson[], context: MatchContext): Frequencies {
  const block = countValues(accounts);
  const size = Math.max(context.population, accounts.length);
  // a forename not in the sample is taken as seen once there: rare, not unique
  const scale = size / Math.max(1, context.forenames.size);
  return {
    size,
    surname: (name) => Math.max(1, block.surnames.get(name) ?? 0, context.counts?.surnames.get(name) ?? 0),
    dateOfBirth: (day) => Math.max(1, block.births.get(day) ?? 0, context.counts?.births.get(day) ?? 0),
    // with no sample (a school's first accounts) a forename is taken as of common frequency
    forename: (name) =>
      context.forenames.size ? Math.max(1, (context.forenames.counts.get(name) ?? 1) * scale) : undefined,
  };
}

/**
 * The context of a population of this size whose forenames and twins the sample stands for (with the LA's counts of
 * surnames and birth dates, when the accounts matched against are not all those with them).
 */
export function matchContextOf(
  population: number,
  sample: readonly MatchablePerson[],
  counts?: MatchContext['counts'],
): MatchContext {
  return { population, forenames: forenameSample(sample), twinRate: twinShare(sample), ...(counts ? { counts } : {}) };
}
