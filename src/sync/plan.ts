// The pure planner: from one school's export, the accounts it may touch, exclusions, settings and today, decide
// every account change and one outcome per MIS record. No I/O: the same input always gives the same plan, which
// is what makes re-running an export a no-op and lets tests state each rule as a table of cases.
import { addDays, daysBetween, type IsoDate } from '../domain/dates.js';
import type { InvalidRecord } from '../domain/records.js';
import type { MisPerson } from './integris/people.js';
import { accountBlockKeys, lookupBlockKeys, type Candidate } from '../domain/blocking.js';
import {
  outcomes,
  type GuardFired,
  type HeldChange,
  type HeldMatch,
  type NewAccount,
  type Outcome,
  type RecordOutcome,
} from '../domain/outcomes.js';
import { findCandidates, scoreCandidate } from './match.js';
import {
  accountStatus,
  detailsOf,
  newAccount,
  PERSON_FIELDS,
  type Account,
  type Association,
  type PersonFields,
  type PersonKind,
  type School,
} from '../domain/model.js';
import { personNameKey } from '../domain/names.js';
import { usernameBase } from '../domain/usernames.js';

export interface PlanInput {
  school: School;
  people: readonly MisPerson[];
  invalid: readonly InvalidRecord[];
  /** Full reports present in this export: only these can reveal leavers by absence. */
  fullReports: ReadonlySet<'students' | 'staff'>;
  /** False when any report is short of what the source promised: nothing is unallocated then. */
  complete: boolean;
  /** Accounts associated with this school, and look-alike candidates from the school's LA. */
  accounts: readonly Account[];
  /** Normalised "forename|surname" keys never to create ("forename|surname|YYYY-MM-DD" for one birth date). */
  exclusions: ReadonlySet<string>;
  /** People an admin said to create even though they look like someone. */
  createAnyway: ReadonlySet<string>;
  today: IsoDate;
  /** ISO timestamp written on changed accounts. */
  now: string;
}

export interface Plan {
  outcomes: RecordOutcome[];
  creates: NewAccount[];
  /** Existing accounts as read and in their new state. */
  updates: { before: Account; after: Account }[];
  held: HeldChange[];
  /** The guards that held changes, with their numbers. */
  guards: GuardFired[];
  matches: HeldMatch[];
  counts: Record<Outcome, number>;
}

const misKey = (a: Association) => `${a.dfeNumber}:${a.misPersonId}`;

function clone(a: Account): Account {
  return structuredClone(a);
}

/**
 * Whether two values would serialise to the same JSON whatever their key order (a date equals its ISO text,
 * undefined properties are absent): so field order, as stored or as built, never reads as a change.
 */
function sameJson(a: unknown, b: unknown): boolean {
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

function settleStatus(a: Account): void {
  a.status = accountStatus(a.associations);
}

function applyPerson(a: Account, fields: PersonFields): void {
  for (const key of PERSON_FIELDS) {
    if (fields[key] === undefined) delete a[key];
    else a[key] = fields[key];
  }
}

function misAssociation(
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
  };
  for (const k of ['enrolmentStatus', 'yearGroup', 'registrationGroup', 'roles', 'groups'] as const) {
    const v = p.association[k];
    if (v !== undefined && !(Array.isArray(v) && v.length === 0)) (assoc as unknown as Record<string, unknown>)[k] = v;
  }
  if (leftOn) assoc.until = leftOn;
  return assoc;
}

/** How strongly a registration speaks for a person's details: single or main first, then subsidiary, then guest. */
const REGISTRATION_RANK: Record<string, number> = { C: 0, M: 0, S: 1, G: 2 };

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

/** A planned change of one kind for one person, before the guard decides whether it goes ahead or is held. */
interface PendingChange {
  kind: PersonKind;
  username: string;
  personId: string;
  report: 'students' | 'staff';
  reason: string;
}

/** The working state the phases share: the result so far, draft copies of accounts, and what has been seen. */
interface Planning {
  input: PlanInput;
  result: Plan;
  record(o: RecordOutcome): void;
  /** Accounts as read, by username. */
  before: Map<string, Account>;
  /** Working copies of the accounts the plan changes. */
  drafts: Map<string, Account>;
  draft(username: string): Account;
  /** "school:misPersonId" -> username, for every MIS association read (and auto-matches made so far). */
  byMisKey: Map<string, string>;
  /** MIS people of this school in this export (invalid records included: bad input never means a leaver). */
  present: Set<string>;
  /** Accounts already linked to a person of this export at this school. */
  claimed: Set<string>;
  /** Look-alike blocking in memory: the same keys the store indexes accounts under (made when first asked for). */
  blocks(): Map<string, Account[]>;
  unallocations: PendingChange[];
  updates: Omit<PendingChange, 'reason'>[];
}

/** True when `count` changes out of `base` are over a threshold: at least `min` of them and more than `percent`%. */
export function overThreshold(count: number, base: number, threshold: { percent: number; min: number }): boolean {
  return count >= threshold.min && count > (base * threshold.percent) / 100;
}

export function plan(input: PlanInput): Plan {
  const state = startPlanning(input);
  for (const bad of input.invalid) {
    state.record({ report: bad.report, personId: bad.id, outcome: 'invalid', reason: `${bad.field}: ${bad.reason}` });
  }
  const people = [...input.people].sort(
    (a, b) => a.report.localeCompare(b.report) || a.personId.localeCompare(b.personId),
  );
  for (const p of people) {
    if (!planLinkedPerson(state, p)) planNewcomer(state, p);
  }
  planAbsences(state);
  const held = applyGuard(state);
  collectUpdates(state, held);
  return state.result;
}

function startPlanning(input: PlanInput): Planning {
  const { school } = input;
  const result: Plan = {
    outcomes: [],
    creates: [],
    updates: [],
    held: [],
    guards: [],
    matches: [],
    counts: Object.fromEntries(outcomes.map((o) => [o, 0])) as Record<Outcome, number>,
  };
  const before = new Map(input.accounts.map((a) => [a.username, a]));
  const drafts = new Map<string, Account>();
  const byMisKey = new Map<string, string>();
  for (const a of input.accounts)
    for (const x of a.associations) if (x.source === 'mis' && x.misPersonId) byMisKey.set(misKey(x), a.username);
  const present = new Set(input.people.map((p) => `${school.dfeNumber}:${p.personId}`));
  for (const bad of input.invalid)
    if (bad.report === 'students' || bad.report === 'staff') present.add(`${school.dfeNumber}:${bad.id}`);
  const claimed = new Set<string>();
  for (const p of input.people) {
    const u = byMisKey.get(`${school.dfeNumber}:${p.personId}`);
    if (u) claimed.add(u);
  }
  // only a newcomer needs them: a night with none (the usual) never works out an account's keys
  let blocks: Map<string, Account[]> | undefined;
  const blocksOfAccounts = () => {
    const made = new Map<string, Account[]>();
    for (const a of input.accounts) {
      for (const k of accountBlockKeys(a, [...new Set(a.associations.map((x) => x.laCode))])) {
        const list = made.get(k) ?? [];
        list.push(a);
        made.set(k, list);
      }
    }
    return made;
  };
  return {
    input,
    result,
    record(o) {
      result.outcomes.push(o);
      result.counts[o.outcome]++;
    },
    before,
    drafts,
    draft(username) {
      let d = drafts.get(username);
      if (!d) drafts.set(username, (d = clone(before.get(username)!)));
      return d;
    },
    byMisKey,
    present,
    claimed,
    blocks: () => (blocks ??= blocksOfAccounts()),
    unallocations: [],
    updates: [],
  };
}

/** The day on or before which a leaving date means the person has gone (the grace period after it). */
const leaveCutoff = (input: PlanInput) => addDays(input.today, -input.school.settings.graceDays);

/** A person already linked to an account here: update it, end its association if they left. False if not linked. */
function planLinkedPerson(state: Planning, p: MisPerson): boolean {
  const { school, today, now } = state.input;
  const key = `${school.dfeNumber}:${p.personId}`;
  const linked = state.byMisKey.get(key);
  if (!linked) return false;
  const left = p.endDate !== undefined && p.endDate <= leaveCutoff(state.input) ? p.endDate : undefined;
  // read as it stands (drafted already or not); copied only when it changes
  const seen = state.drafts.get(linked) ?? state.before.get(linked)!;
  const idx = seen.associations.findIndex((x) => x.source === 'mis' && misKey(x) === key);
  const existing = seen.associations[idx]!;
  const next = misAssociation(school, p, existing, today, left);
  if (left && existing.status === 'active') {
    // the person left: the rest of the record is still applied, the association ends
    const current = state.draft(linked);
    current.associations[idx] = next;
    if (detailsComeFrom(current, school.dfeNumber)) applyPerson(current, p.fields);
    next.leftAs = { at: now, fields: detailsOf(current) };
    settleStatus(current);
    state.unallocations.push({
      kind: p.fields.kind,
      username: linked,
      personId: p.personId,
      report: p.report,
      reason: `left on ${left}`,
    });
    return true;
  }
  if (left && existing.status === 'ended') {
    state.record({
      report: p.report,
      personId: p.personId,
      outcome: 'unchanged',
      username: linked,
      reason: 'has left',
    });
    return true;
  }
  // the association, the person's fields (where this school gives them) and the status they give are all this can
  // change
  const leads = detailsComeFrom(
    { associations: seen.associations.map((x, i) => (i === idx ? next : x)) },
    school.dfeNumber,
  );
  const unchanged =
    sameJson(next, existing) &&
    (!leads || PERSON_FIELDS.every((k) => sameJson(seen[k], p.fields[k]))) &&
    seen.status === accountStatus(seen.associations);
  if (unchanged) {
    state.record({ report: p.report, personId: p.personId, outcome: 'unchanged', username: linked });
    return true;
  }
  const current = state.draft(linked);
  current.associations[idx] = next;
  if (leads) applyPerson(current, p.fields);
  settleStatus(current);
  state.updates.push({ kind: p.fields.kind, username: linked, personId: p.personId, report: p.report });
  if (existing.status === 'ended') current.latestMoveOrCreateAt = now;
  return true;
}

/**
 * A person with no account linked here: excluded, already gone, a future starter, certainly an existing account
 * (auto-matched), like one or more accounts (held for matching), or new (created).
 */
function planNewcomer(state: Planning, p: MisPerson): void {
  const { school, today, now, exclusions, createAnyway } = state.input;
  const settings = school.settings;
  const nameKeys = [personNameKey(p.fields.legalForename, p.fields.legalSurname)];
  if (p.fields.preferredForename || p.fields.preferredSurname) {
    nameKeys.push(
      personNameKey(
        p.fields.preferredForename ?? p.fields.legalForename,
        p.fields.preferredSurname ?? p.fields.legalSurname,
      ),
    );
  }
  // an exclusion may name only the person born on a given day
  if (nameKeys.some((k) => exclusions.has(k) || exclusions.has(`${k}|${p.fields.dateOfBirth ?? ''}`))) {
    state.record({
      report: p.report,
      personId: p.personId,
      outcome: 'excluded',
      reason: 'name is on the school exclusion list',
    });
    return;
  }
  if (p.endDate !== undefined && p.endDate <= leaveCutoff(state.input)) {
    state.record({
      report: p.report,
      personId: p.personId,
      outcome: 'unchanged',
      reason: 'left before an account was made',
    });
    return;
  }
  if (p.startDate > addDays(today, settings.preProvisionDays)) {
    state.record({
      report: p.report,
      personId: p.personId,
      outcome: 'future_starter',
      reason: `starts on ${p.startDate}`,
    });
    return;
  }
  const deliberate = createAnyway.has(p.personId);
  if (!deliberate && matchExisting(state, p)) return;
  const account = newAccount(p.fields, [misAssociation(school, p, undefined, today)], now);
  state.result.creates.push({
    personId: p.personId,
    usernameBase: usernameBase(p.fields, settings.usernameFrom),
    account,
    ...(deliberate ? { deliberate: true as const } : {}),
  });
  state.record({ report: p.report, personId: p.personId, outcome: 'created' });
}

/** Links a newcomer to the one account they certainly are, or holds them beside their look-alikes. */
function matchExisting(state: Planning, p: MisPerson): boolean {
  const { school, today, now } = state.input;
  const { drafts, before, claimed } = state;
  const pool = new Set<Account>();
  for (const k of lookupBlockKeys(p.fields, school.laCode)) for (const a of state.blocks().get(k) ?? []) pool.add(a);
  // An account another MIS person of this school is linked to can still be shown (a duplicate MIS record is worth
  // a look) but is never linked without a person deciding, whether or not that person is in this export (a delta
  // export names only the changed). While a change of MIS is pending, the old MIS's links are there to be re-keyed.
  const taken = (a: Account) =>
    claimed.has(a.username) ||
    (!school.misChangePending &&
      a.associations.some(
        (x) =>
          x.dfeNumber === school.dfeNumber &&
          x.source === 'mis' &&
          x.status === 'active' &&
          x.misPersonId !== p.personId,
      ));
  const candidates = findCandidates(
    p.fields,
    [...pool].map((a) => drafts.get(a.username) ?? a),
  );
  const free = candidates.filter((c) => !taken(drafts.get(c.username) ?? before.get(c.username)!));
  const byUpn = free.find((c) => c.reasons.includes('same UPN'));
  const certain = byUpn ?? (candidates.length === 1 && free.length === 1 && free[0]!.certain ? free[0] : undefined);
  if (certain) {
    // the MIS association as the next run will see it (its start date is the MIS's), so one run settles the account
    linkAccount(state.draft(certain.username), school, misAssociation(school, p, undefined, today), p.fields, now);
    claimed.add(certain.username);
    state.byMisKey.set(`${school.dfeNumber}:${p.personId}`, certain.username);
    state.record({
      report: p.report,
      personId: p.personId,
      outcome: 'auto_matched',
      username: certain.username,
      reason: certain.reasons.join('; '),
    });
    return true;
  }
  if (candidates.length === 0) return false;
  state.result.matches.push({
    personId: p.personId,
    report: p.report,
    person: p.fields,
    startDate: p.startDate,
    candidates,
  });
  state.record({
    report: p.report,
    personId: p.personId,
    outcome: 'held_for_matching',
    candidates,
    reason: `looks like ${candidates.length} existing account(s)`,
  });
  return true;
}

/** Links an MIS person to an account the rules say they certainly are: their association, and their details. */
function linkAccount(account: Account, school: School, assoc: Association, fields: PersonFields, now: string): void {
  const elsewhere = account.associations.some((x) => x.status === 'active' && x.dfeNumber !== school.dfeNumber);
  // a manual association here (an account requested ahead of the export) becomes the MIS one
  const manualIdx = account.associations.findIndex(
    (x) =>
      x.dfeNumber === school.dfeNumber &&
      (x.source === 'manual' || (Boolean(school.misChangePending) && x.status === 'active')),
  );
  if (manualIdx >= 0) account.associations[manualIdx] = assoc;
  else account.associations.push(assoc);
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

/**
 * People linked here who are absent from the export: only a full report that is complete can say someone has gone,
 * and only about people an earlier processed export contained (seenAt); the grace period counts from the first absence.
 */
function planAbsences(state: Planning): void {
  const { school, today, fullReports, accounts } = state.input;
  for (const a of accounts) {
    for (const x of a.associations) {
      if (x.dfeNumber !== school.dfeNumber || x.source !== 'mis' || x.status !== 'active' || !x.misPersonId) continue;
      const report = x.role === 'pupil' ? 'students' : 'staff';
      if (!fullReports.has(report) || state.present.has(misKey(x)) || state.byMisKey.get(misKey(x)) !== a.username)
        continue;
      const current = state.draft(a.username);
      const assoc = current.associations.find((y) => y.source === 'mis' && misKey(y) === misKey(x));
      if (!assoc) continue; // re-keyed to a new MIS person id in this plan
      if (school.misChangePending) {
        state.unallocations.push({
          kind: x.role,
          username: a.username,
          personId: x.misPersonId,
          report,
          reason: 'not found in the first Integris export after the MIS change',
        });
        continue;
      }
      if (!assoc.seenAt) continue;
      assoc.absentSince ??= today;
      if (daysBetween(assoc.absentSince, today) < school.settings.graceDays) continue; // within the grace period
      assoc.status = 'ended';
      assoc.until = assoc.absentSince;
      assoc.leftAs = { at: state.input.now, fields: detailsOf(current) };
      settleStatus(current);
      state.unallocations.push({
        kind: x.role,
        username: a.username,
        personId: x.misPersonId,
        report,
        reason: 'absent from the export',
      });
    }
  }
}

/**
 * The guard: an incomplete export, a MIS change, or more leavers or updates of one kind than the school's thresholds
 * holds those changes for an admin; everything else goes ahead. Returns the usernames held.
 */
function applyGuard(state: Planning): Set<string> {
  const { school, complete, accounts } = state.input;
  const settings = school.settings;
  const activeMis = (kind: PersonKind) =>
    accounts.filter((a) =>
      a.associations.some(
        (x) => x.dfeNumber === school.dfeNumber && x.source === 'mis' && x.status === 'active' && x.role === kind,
      ),
    ).length;
  const held = new Set<string>();
  const hold = (kind: HeldChange['kind'], u: Omit<PendingChange, 'kind'>, reason: string) => {
    held.add(u.username);
    state.result.held.push({
      kind,
      username: u.username,
      personId: u.personId,
      before: state.before.get(u.username)!,
      after: state.drafts.get(u.username)!,
    });
    state.record({
      report: u.report,
      personId: u.personId,
      outcome: kind === 'unallocation' ? 'held_unallocation' : 'held_update',
      username: u.username,
      reason,
    });
  };
  for (const kind of ['pupil', 'staff'] as const) {
    const base = activeMis(kind);
    const leaving = state.unallocations.filter((u) => u.kind === kind);
    const tooMany = overThreshold(leaving.length, base, {
      percent: settings.unallocationThresholdPercent,
      min: settings.heldChangesMin,
    });
    const leaveCause = !complete
      ? 'incomplete'
      : school.misChangePending
        ? 'mis_change'
        : tooMany
          ? 'threshold'
          : undefined;
    if (leaveCause && leaving.length)
      state.result.guards.push({
        change: 'unallocation',
        role: kind,
        cause: leaveCause,
        count: leaving.length,
        base,
        ...(leaveCause === 'threshold' ? { percent: settings.unallocationThresholdPercent } : {}),
      });
    for (const u of leaving) {
      if (!complete) hold('unallocation', u, 'the export is incomplete');
      else if (school.misChangePending) hold('unallocation', u, u.reason);
      else if (tooMany)
        hold(
          'unallocation',
          u,
          `${leaving.length} of ${base} accounts would be unallocated, over the school's threshold`,
        );
      else
        state.record({
          report: u.report,
          personId: u.personId,
          outcome: 'unallocated',
          username: u.username,
          reason: u.reason,
        });
    }
    const changing = state.updates.filter((u) => u.kind === kind);
    const tooManyUpdates = overThreshold(changing.length, base, {
      percent: settings.updateThresholdPercent,
      min: settings.heldChangesMin,
    });
    if (tooManyUpdates && changing.length)
      state.result.guards.push({
        change: 'update',
        role: kind,
        cause: 'threshold',
        count: changing.length,
        base,
        percent: settings.updateThresholdPercent,
      });
    for (const u of changing) {
      if (tooManyUpdates && !held.has(u.username)) {
        hold(
          'update',
          { ...u, reason: '' },
          `${changing.length} of ${base} accounts would change, over the school's threshold`,
        );
      } else {
        state.record({ report: u.report, personId: u.personId, outcome: 'updated', username: u.username });
      }
    }
  }
  return held;
}

/** Every changed account that is not held is written, stamped with the run's time. */
function collectUpdates(state: Planning, held: ReadonlySet<string>): void {
  for (const [username, after] of state.drafts) {
    if (held.has(username)) continue;
    const original = state.before.get(username)!;
    if (sameJson(after, original)) continue;
    after.updatedAt = state.input.now;
    state.result.updates.push({ before: original, after });
  }
}
