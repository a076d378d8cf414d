// How the plan shapes one account (pure): the MIS association a person gets, details taken from the registration
// that leads, an account linked to a person, and what becomes of a new account that lost its identity to another.
import type { IsoDate } from '../domain/dates.js';
import type { MisPerson } from './integris/people.js';
import { accountBlockKeys, type Candidate } from '../domain/blocking.js';
import type { HeldMatch, NewAccount } from '../domain/outcomes.js';
import { scoreCandidate } from './match.js';
import {
  accountStatus,
  detailsOf,
  PERSON_FIELDS,
  type Account,
  type Association,
  type PersonFields,
  type School,
} from '../domain/model.js';

export function clone(a: Account): Account {
  return structuredClone(a);
}

/**
 * Whether two values would serialise to the same JSON whatever their key order (a date equals its ISO text,
 * undefined properties are absent): so field order, as stored or as built, never reads as a change.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Date) return b instanceof Date ? a.getTime() === b.getTime() : a.toISOString() === b;
  if (b instanceof Date) return b.toISOString() === a;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => sameJson(x ?? null, b[i] ?? null));
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = Object.keys(x).filter((k) => x[k] !== undefined);
  if (keys.length !== Object.keys(y).filter((k) => y[k] !== undefined).length) return false;
  return keys.every((k) => sameJson(x[k], y[k]));
}

export function settleStatus(a: Account): void {
  a.status = accountStatus(a.associations);
}

export function applyPerson(a: Account, fields: PersonFields): void {
  for (const key of PERSON_FIELDS) {
    if (fields[key] === undefined) delete a[key];
    else a[key] = fields[key];
  }
}

export function misAssociation(
  school: School,
  p: MisPerson,
  existing: Association | undefined,
  today: IsoDate,
  leftOn?: IsoDate,
): Association {
  const assoc: Association = {
    dfeNumber: school.dfeNumber,
    laCode: school.laCode,
    role: p.association.role,
    status: leftOn ? 'ended' : 'active',
    source: 'mis',
    misPersonId: p.personId,
    since: p.startDate,
    seenAt: existing?.seenAt ?? today,
    ...(existing?.movedInAt ? { movedInAt: existing.movedInAt } : {}),
  };
  for (const k of ['enrolmentStatus', 'yearGroup', 'registrationGroup', 'roles', 'groups'] as const) {
    const v = p.association[k];
    if (v !== undefined && !(Array.isArray(v) && v.length === 0)) (assoc as unknown as Record<string, unknown>)[k] = v;
  }
  if (leftOn) assoc.until = leftOn;
  return assoc;
}

/** How strongly a registration speaks for a person's details: single or main first, then subsidiary, then guest. */
export const REGISTRATION_RANK: Record<string, number> = { C: 0, M: 0, S: 1, G: 2 };

/**
 * Whether this school's MIS record gives the account its details (names, birth date, UPN, ...). An account at
 * several schools at once (a dual registration, a second post) takes them from one: the main or single registration
 * before a subsidiary or guest one, then the longest-standing, then the lowest DfE number. Otherwise each school's
 * run would write its own spelling over the other's, night after night, and no re-run would ever be a no-op.
 */
export function detailsComeFrom(account: Pick<Account, 'associations'>, dfeNumber: string): boolean {
  const rank = (x: Association) =>
    [REGISTRATION_RANK[x.enrolmentStatus ?? 'C'] ?? 0, x.since ?? '', x.dfeNumber] as const;
  let lead: Association | undefined;
  for (const x of account.associations) {
    if (x.source !== 'mis' || x.status !== 'active') continue;
    if (!lead) {
      lead = x;
      continue;
    }
    const [a, b] = [rank(x), rank(lead)];
    if (a[0] < b[0] || (a[0] === b[0] && (a[1] < b[1] || (a[1] === b[1] && a[2] < b[2])))) lead = x;
  }
  return !lead || lead.dfeNumber === dfeNumber;
}

/** Links an MIS person to an account the rules say they certainly are: their association, and their details. */
export function linkAccount(
  account: Account,
  school: School,
  assoc: Association,
  fields: PersonFields,
  now: string,
): void {
  const elsewhere = account.associations.some((x) => x.status === 'active' && x.dfeNumber !== school.dfeNumber);
  // a manual association here (an account requested ahead of the export) becomes the MIS one
  const manualIdx = account.associations.findIndex(
    (x) =>
      x.dfeNumber === school.dfeNumber &&
      (x.source === 'manual' || (Boolean(school.misChangePending) && x.status === 'active')),
  );
  // the association's "latest move or create": the request's, when one is made the MIS one; else now
  const replaced = manualIdx >= 0 ? account.associations[manualIdx] : undefined;
  const stamped = { ...assoc, movedInAt: replaced?.movedInAt ?? (replaced ? account.latestMoveOrCreateAt : now) };
  if (manualIdx >= 0) account.associations[manualIdx] = stamped;
  else account.associations.push(stamped);
  if (detailsComeFrom(account, school.dfeNumber)) applyPerson(account, fields);
  const wasUnallocated = account.status === 'unallocated';
  settleStatus(account);
  if (manualIdx < 0 && (elsewhere || wasUnallocated)) account.latestMoveOrCreateAt = now;
}

/** What becomes of a planned create that lost one of its identity keys to an account made meanwhile. */
export type LostCreate =
  | { kind: 'link'; after: Account; candidate: Candidate }
  | { kind: 'hold'; match: HeldMatch; candidate: Candidate }
  | { kind: 'keep' };

/**
 * A create that lost an identity key (its UPN, or its names and birth date in the LA) to `holder`, an account another
 * run made or linked while this one planned: the plan's own rules decide, as if the plan had seen the holder. The
 * same person, certainly, and the holder free here: linked to it. Alike but not certainly, or the holder linked to
 * someone else here: held for matching with the holder as the candidate. Not alike at all (two UPNs): kept.
 */
export function settleLostCreate(school: School, create: NewAccount, holder: Account, now: string): LostCreate {
  const assoc = create.account.associations.find((x) => x.dfeNumber === school.dfeNumber);
  const fields = { kind: create.account.kind, ...detailsOf(create.account) } as PersonFields;
  const candidate = assoc && scoreCandidate(fields, holder);
  if (!assoc || !candidate) return { kind: 'keep' };
  const taken = holder.associations.some(
    (x) =>
      x.dfeNumber === school.dfeNumber &&
      x.source === 'mis' &&
      x.status === 'active' &&
      x.misPersonId !== create.personId,
  );
  if (candidate.certain && !taken) {
    const after = clone(holder);
    linkAccount(after, school, assoc, fields, now);
    after.updatedAt = now;
    return { kind: 'link', after, candidate };
  }
  const match: HeldMatch = {
    personId: create.personId,
    report: assoc.role === 'pupil' ? 'students' : 'staff',
    person: fields,
    startDate: assoc.since,
    candidates: [candidate],
  };
  return { kind: 'hold', match, candidate };
}

/** The accounts under each of their block keys (in every LA they are associated in). */
export function accountsByBlockKey(accounts: readonly Account[]): Map<string, Account[]> {
  const made = new Map<string, Account[]>();
  for (const a of accounts) {
    for (const k of accountBlockKeys(a, [...new Set(a.associations.map((x) => x.laCode))])) {
      const list = made.get(k) ?? [];
      list.push(a);
      made.set(k, list);
    }
  }
  return made;
}
