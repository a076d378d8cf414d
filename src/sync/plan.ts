// The pure planner: from one school's export, the accounts it may touch, exclusions, settings and today, decide
// every account change and one outcome per MIS record. No I/O: the same input always gives the same plan, which
// is what makes re-running an export a no-op and lets tests state each rule as a table of cases.
import { addDays, daysBetween } from '../domain/dates.js';
import type { MisPerson } from './integris/people.js';
import { lookupBlockKeys, type Candidate } from '../domain/blocking.js';
import { outcomes, type HeldChange, type Outcome, type RecordOutcome } from '../domain/outcomes.js';
import { findCandidates, matchContextOf, type MatchContext } from './match.js';
import {
  accountStatus,
  detailsOf,
  newAccount,
  PERSON_FIELDS,
  type Account,
  type Association,
  type PersonKind,
} from '../domain/model.js';
import { personNameKey } from '../domain/names.js';
import { usernameBase } from '../domain/usernames.js';
import {
  clone,
  sameJson,
  settleStatus,
  applyPerson,
  misAssociation,
  detailsComeFrom,
  linkAccount,
  accountsByBlockKey,
} from './plan-accounts.js';
import type { PlanInput, Plan } from './plan-types.js';

const misKey = (a: Association) => `${a.dfeNumber}:${a.misPersonId}`;

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
  /** What weighing a look-alike needs of the LA (made once a plan, when a newcomer needs it). */
  matchContext(): MatchContext | undefined;
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
    autoLinked: [],
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
  let context: MatchContext | undefined;
  // only a newcomer needs them: a night with none (the usual) never works out an account's keys
  let blocks: Map<string, Account[]> | undefined;
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
    blocks: () => (blocks ??= accountsByBlockKey(input.accounts)),
    // the school's own accounts stand for the LA's forenames and, for staff, its share of twins
    matchContext: () =>
      input.population === undefined
        ? undefined
        : (context ??= matchContextOf(
            input.population,
            input.accounts.filter((a) => a.associations.some((x) => x.dfeNumber === school.dfeNumber)),
            input.counts,
          )),
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
  // back at the school: that is its latest move here
  current.associations[idx] = existing.status === 'ended' ? { ...next, movedInAt: now } : next;
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
  const account = newAccount(p.fields, [{ ...misAssociation(school, p, undefined, today), movedInAt: now }], now);
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
    state.matchContext(),
  );
  const free = candidates.filter((c) => !taken(drafts.get(c.username) ?? before.get(c.username)!));
  const byUpn = free.find((c) => c.reasons.includes('same UPN'));
  // the one candidate, certain; or one requested here without a birth date under exactly the person's names
  const only = candidates.length === 1 && free.length === 1 ? free[0]! : undefined;
  const requestedHere = (c: Candidate) =>
    (drafts.get(c.username) ?? before.get(c.username))!.associations.some(
      (x) => x.dfeNumber === school.dfeNumber && x.source === 'manual' && x.status === 'active',
    );
  const sure =
    byUpn ?? (only && (only.certain || (only.sameNamesNoBirthDate && requestedHere(only))) ? only : undefined);
  // someone an admin unlinked from such a match waits for a person, however sure the match looks
  const certain = state.input.keepHeld?.has(p.personId) ? undefined : sure;
  if (certain) {
    state.result.autoLinked.push({
      personId: p.personId,
      report: p.report,
      person: p.fields,
      startDate: p.startDate,
      candidates,
      username: certain.username,
      before: before.get(certain.username)!,
    });
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
