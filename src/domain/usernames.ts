// USO usernames: ASCII, lower case, at most 20 characters, `forename.surname` from the preferred or legal names
// (romanised from any script), with a numeric suffix (2, 3, ...) when taken. The suffix has no upper bound, so a
// common name never runs out. Issued once and never changed by a change of name.
import { toAscii } from './names.js';
import type { PersonFields, SchoolSettings } from './model.js';

export const USERNAME_MAX = 20;

function part(text: string | undefined): string {
  return toAscii(text ?? '')
    .toLowerCase()
    .replace(/['’`]/g, '')
    .replace(/[^a-z]/g, '');
}

export function usernameBase(person: PersonFields, from: SchoolSettings['usernameFrom']): string {
  const forename =
    part((from === 'preferred' && person.preferredForename) || person.legalForename).slice(0, 12) || 'user';
  const surname = part((from === 'preferred' && person.preferredSurname) || person.legalSurname) || 'x';
  return `${forename}.${surname}`.slice(0, USERNAME_MAX - 2);
}

/** The nth username tried for a base (1: the base itself; n >= 2: base + n, shortened to fit the limit). */
export function usernameCandidate(base: string, n: number): string {
  if (n <= 1) return base.slice(0, USERNAME_MAX);
  const suffix = String(n);
  return `${base.slice(0, USERNAME_MAX - suffix.length)}${suffix}`;
}

/** The first `count` usernames tried for a base, in order. */
export function usernameCandidates(base: string, count = 30): string[] {
  return Array.from({ length: count }, (_, i) => usernameCandidate(base, i + 1));
}

/** Which candidate of `base` a username is (1, 2, ...), or undefined when it is not one of them. */
export function candidateNumber(base: string, username: string): number | undefined {
  if (username === base.slice(0, USERNAME_MAX)) return 1;
  const digits = /(\d+)$/.exec(username)?.[1];
  if (!digits || digits.startsWith('0')) return undefined;
  const n = Number(digits);
  return n >= 2 && usernameCandidate(base, n) === username ? n : undefined;
}

/** The shortest prefix every candidate of `base` starts with (for one query over the names already taken). */
export function candidatePrefix(base: string): string {
  return base.slice(0, Math.min(base.length, USERNAME_MAX - 6));
}
