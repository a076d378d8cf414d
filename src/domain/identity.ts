// Identity keys: what makes two records one person across a local authority, as exact keys the store can claim
// with a unique `_id` (store/identities.ts). A pupil's UPN is for life and national; a person's legal names and date
// of birth within one LA are as good as the look-alike rules' "certain". Two runs creating the same person at once
// (a dual registration, a move, a second post) both claim these keys, and the store's unique `_id` lets only one
// win. The keys are hashed: they stand in the store's ids and must not carry names, birth dates or UPNs as text.
import { createHash } from 'node:crypto';
import { normaliseName } from './names.js';
import type { Account, PersonFields } from './model.js';

type Identified = Pick<PersonFields, 'legalForename' | 'legalSurname' | 'dateOfBirth' | 'upn'>;

const digest = (text: string) => createHash('sha256').update(text).digest('base64url').slice(0, 32);

/** The UPN key: the same pupil whichever school records them. */
export const upnKey = (upn: string) => `u:${digest(upn.trim().toUpperCase())}`;

/** The names-and-birth-date key within one LA (none without a birth date: a name alone is not a person). */
export function nameBirthKey(p: Identified, laCode: string): string | undefined {
  const forename = normaliseName(p.legalForename);
  const surname = normaliseName(p.legalSurname);
  if (!p.dateOfBirth || !forename || !surname) return undefined;
  return `n:${digest(`${laCode}|${forename}|${surname}|${p.dateOfBirth}`)}`;
}

/**
 * A person's identity keys at one LA, in the one order every claimer uses (so two claimers of overlapping keys
 * never each win one the other needs: each stops at its first loss).
 */
export function identityKeys(p: Identified, laCode: string, options: { names?: boolean } = {}): string[] {
  const keys: string[] = [];
  if (p.upn?.trim()) keys.push(upnKey(p.upn));
  const named = options.names === false ? undefined : nameBirthKey(p, laCode);
  if (named) keys.push(named);
  return keys.sort();
}

/** Every identity key an account carries now: its UPN, and its names and birth date in each LA it is at. */
export function accountIdentityKeys(a: Pick<Account, 'associations'> & Identified): string[] {
  const keys = new Set<string>();
  for (const la of new Set(a.associations.map((x) => x.laCode))) for (const k of identityKeys(a, la)) keys.add(k);
  if (a.associations.length === 0 && a.upn?.trim()) keys.add(upnKey(a.upn));
  return [...keys].sort();
}
