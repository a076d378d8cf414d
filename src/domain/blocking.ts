// Block keys: the index keys an account is stored under so that look-alike candidates for a person are found with
// one `$in` query (same LA and date of birth, its day/month swap, a phonetic surname key, the UPN). They are derived
// data kept on each account; BLOCK_KEYS_VERSION names the rule, and the store re-derives every account's keys when
// it changes, so a change to the rule never leaves old accounts unfindable.
import { surnameKeys } from './names.js';
import type { PersonFields } from './model.js';

/** Bump whenever accountBlockKeys changes what it returns for any person. */
export const BLOCK_KEYS_VERSION = 1;

export interface MatchablePerson extends Omit<PersonFields, 'kind'> {
  kind?: PersonFields['kind'];
}

/** An account that may be the same person as an MIS record, with the score and the reasons an admin sees. */
export interface Candidate {
  username: string;
  score: number;
  /** Same UPN, or same legal names and date of birth: safe to link without asking when it is the only candidate. */
  certain: boolean;
  /**
   * Same legal names, and the account has no date of birth (an account requested without one): safe to link only when
   * it was requested at the person's own school and nobody else looks like them.
   */
  sameNamesNoBirthDate?: boolean;
  reasons: string[];
}

/** The date with day and month swapped, when that is another real date (a common MIS entry error). */
export function swapDayMonth(dob: string): string | undefined {
  const [y, m, d] = dob.split('-');
  if (!y || !m || !d || m === d || Number(d) > 12) return undefined;
  return `${y}-${d}-${m}`;
}

/** Index keys an account is stored under, so candidates for a person are found with one `$in` query. */
export function accountBlockKeys(person: MatchablePerson, laCodes: readonly string[]): string[] {
  const keys = new Set<string>();
  for (const la of laCodes) {
    if (person.dateOfBirth) keys.add(`${la}|d|${person.dateOfBirth}`);
    for (const s of [person.legalSurname, person.preferredSurname])
      for (const k of surnameKeys(s)) keys.add(`${la}|s|${k}`);
    if (person.upn) keys.add(`u|${person.upn}`);
  }
  return [...keys];
}

/** The keys to look a person up by: as stored, plus the day/month swap of the date of birth. */
export function lookupBlockKeys(person: MatchablePerson, laCode: string): string[] {
  const keys = accountBlockKeys(person, [laCode]);
  const swapped = person.dateOfBirth && swapDayMonth(person.dateOfBirth);
  if (swapped) keys.push(`${laCode}|d|${swapped}`);
  return keys;
}
