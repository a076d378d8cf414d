// Pure candidate finding and scoring: is this MIS person already one of these accounts? Candidates are first
// blocked (same LA and date of birth, its day/month swap, or a phonetic surname key), then scored from names,
// date of birth, gender and UPN, each with the human reasons an admin sees beside the buttons.
import { isShortFormOf, jaroWinkler, levenshtein, nameParts, normaliseName } from '../domain/names.js';
import { swapDayMonth, type Candidate, type MatchablePerson } from '../domain/blocking.js';

/** Scores at or above this make a look-alike that is held for a person to decide. */
export const LOOKALIKE_THRESHOLD = 0.82;

function forenames(p: MatchablePerson): string[] {
  return [
    ...new Set(
      [normaliseName(p.legalForename).split(' ')[0]!, normaliseName(p.preferredForename).split(' ')[0] ?? ''].filter(
        Boolean,
      ),
    ),
  ];
}

function surnames(p: MatchablePerson): string[] {
  return [...new Set([normaliseName(p.legalSurname), normaliseName(p.preferredSurname)].filter(Boolean))];
}

function forenameSimilarity(a: MatchablePerson, b: MatchablePerson): { score: number; reason: string } {
  let best = { score: 0, reason: 'forename differs' };
  for (const x of forenames(a)) {
    for (const y of forenames(b)) {
      const legalPair = x === forenames(a)[0] && y === forenames(b)[0];
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
  if (!a || !b) return { score: 0.5, reason: 'date of birth not known for both' };
  if (a === b) return { score: 1, reason: 'same date of birth' };
  if (swapDayMonth(a) === b) return { score: 0.85, reason: 'day and month of birth swapped' };
  if (levenshtein(a, b) === 1) return { score: 0.7, reason: 'date of birth differs by one digit' };
  return { score: 0 };
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
  const fore = forenameSimilarity(person, account);
  const sur = surnameSimilarity(person, account);
  const dob = dateOfBirthSimilarity(person.dateOfBirth, account.dateOfBirth);
  // Twins share a surname and a birthday: different forenames are never a look-alike.
  if (fore.score < 0.85) return undefined;
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
  if (genderClash) reasons.push('recorded gender differs');
  else if (person.gender && person.gender === account.gender) reasons.push('same gender');
  if (
    normaliseName(hadAccents(person)) === normaliseName(hadAccents(account)) &&
    hadAccents(person) !== hadAccents(account)
  ) {
    reasons.push('names differ only in accents or punctuation');
  }
  const certain =
    normaliseName(person.legalForename) === normaliseName(account.legalForename) &&
    normaliseName(person.legalSurname) === normaliseName(account.legalSurname) &&
    dob.score === 1;
  return { username: account.username, score, certain, reasons };
}

/** Every look-alike among the accounts, best first. */
export function findCandidates(
  person: MatchablePerson,
  accounts: readonly (MatchablePerson & { username: string })[],
): Candidate[] {
  const found: Candidate[] = [];
  for (const account of accounts) {
    const c = scoreCandidate(person, account);
    if (c) found.push(c);
  }
  return found.sort((a, b) => b.score - a.score || a.username.localeCompare(b.username));
}
