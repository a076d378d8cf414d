// USO usernames: ASCII, lower case, at most 20 characters, `forename.surname` from the preferred or legal names,
// with a numeric suffix (2, 3, ...) when taken. Issued once and never changed by a change of name.
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
  const forename = part((from === 'preferred' && person.preferredForename) || person.legalForename).slice(0, 12) || 'user';
  const surname = part((from === 'preferred' && person.preferredSurname) || person.legalSurname) || 'x';
  return `${forename}.${surname}`.slice(0, USERNAME_MAX - 2);
}

/** The base and its suffixed forms in the order they are tried, each within the length limit. */
export function usernameCandidates(base: string, count = 30): string[] {
  const names = [base.slice(0, USERNAME_MAX)];
  for (let n = 2; names.length < count; n++) {
    const suffix = String(n);
    names.push(`${base.slice(0, USERNAME_MAX - suffix.length)}${suffix}`);
  }
  return names;
}
