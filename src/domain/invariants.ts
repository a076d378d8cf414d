// The LA's identity invariants, checked over every account: one pupil's UPN on one account; an account carries at
// most one MIS person of a school; an MIS person of a school is linked on one account. Pure: the caller feeds it
// accounts (streamed from the store) and reads what breaks the rules, each with the accounts concerned. Only keys
// are kept (never names), so the findings can be logged and sent to a digest as they are.
import type { Account } from './model.js';

export type IdentityViolation =
  | { kind: 'upn_on_two_accounts'; usernames: string[]; schools: string[] }
  | { kind: 'two_mis_persons_one_school'; dfeNumber: string; usernames: [string]; misPersonIds: string[] }
  | { kind: 'mis_person_on_two_accounts'; dfeNumber: string; misPersonId: string; usernames: string[] };

export class IdentityCheck {
  private readonly byUpn = new Map<string, string[]>();
  private readonly schoolsOf = new Map<string, string[]>();
  private readonly byMisPerson = new Map<string, string[]>();
  private readonly doubled: IdentityViolation[] = [];
  accounts = 0;

  add(a: Pick<Account, 'username' | 'upn' | 'associations'>): void {
    this.accounts++;
    const upn = a.upn?.trim().toUpperCase();
    if (upn) {
      push(this.byUpn, upn, a.username);
      this.schoolsOf.set(a.username, [...new Set(a.associations.map((x) => x.dfeNumber))]);
    }
    const persons = new Map<string, Set<string>>();
    for (const x of a.associations) {
      if (x.source !== 'mis' || !x.misPersonId || x.status !== 'active') continue;
      const at = persons.get(x.dfeNumber) ?? new Set<string>();
      at.add(x.misPersonId);
      persons.set(x.dfeNumber, at);
      push(this.byMisPerson, `${x.dfeNumber}\u0000${x.misPersonId}`, a.username);
    }
    for (const [dfeNumber, ids] of persons)
      if (ids.size > 1)
        this.doubled.push({
          kind: 'two_mis_persons_one_school',
          dfeNumber,
          usernames: [a.username],
          misPersonIds: [...ids].sort(),
        });
  }

  violations(): IdentityViolation[] {
    const out: IdentityViolation[] = [];
    for (const usernames of this.byUpn.values())
      if (usernames.length > 1)
        out.push({
          kind: 'upn_on_two_accounts',
          usernames: [...usernames].sort(),
          schools: [...new Set(usernames.flatMap((u) => this.schoolsOf.get(u) ?? []))].sort(),
        });
    out.push(...this.doubled);
    for (const [key, usernames] of this.byMisPerson) {
      if (usernames.length < 2) continue;
      const [dfeNumber, misPersonId] = key.split('\u0000') as [string, string];
      out.push({ kind: 'mis_person_on_two_accounts', dfeNumber, misPersonId, usernames: [...usernames].sort() });
    }
    return out;
  }
}

function push(map: Map<string, string[]>, key: string, username: string): void {
  const list = map.get(key);
  if (!list) map.set(key, [username]);
  else if (!list.includes(username)) list.push(username);
}

/** The schools a violation concerns (whose LA is told of it). */
export const schoolsOfViolation = (v: IdentityViolation): string[] =>
  v.kind === 'upn_on_two_accounts' ? v.schools : [v.dfeNumber];

/** What a violation is, in a few words (no personal data). */
export const VIOLATION_WORDS: Record<IdentityViolation['kind'], string> = {
  upn_on_two_accounts: 'one UPN on two or more accounts',
  two_mis_persons_one_school: 'one account carrying two MIS persons of one school',
  mis_person_on_two_accounts: 'one MIS person of a school linked on two or more accounts',
};
