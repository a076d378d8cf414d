// The pure planner: from one school's export, the accounts it may touch, exclusions, settings and today, decide
// every account change and one outcome per MIS record. No I/O: the same input always gives the same plan, which
// is what makes re-running an export a no-op and lets tests state each rule as a table of cases.
import { addDays, daysBetween, type IsoDate } from '../domain/dates.js';
import type { InvalidRecord } from '../domain/records.js';
import type { MisPerson } from './integris/people.js';
import { accountBlockKeys, lookupBlockKeys } from '../domain/blocking.js';
import {
  outcomes,
  type HeldChange,
  type HeldMatch,
  type NewAccount,
  type Outcome,
  type RecordOutcome,
} from '../domain/outcomes.js';
import { findCandidates } from './match.js';
import { accountStatus, type Account, type Association, type PersonFields, type School } from '../domain/model.js';
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
  /** Normalised "forename|surname" keys never to create. */
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
  matches: HeldMatch[];
  counts: Record<Outcome, number>;
}

const misKey = (a: Association) => `${a.dfeNumber}:${a.misPersonId}`;

function clone(a: Account): Account {
  return structuredClone(a);
}

/** JSON with object keys sorted, so field order (as stored or as built) never reads as a change. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

function settleStatus(a: Account): void {
  a.status = accountStatus(a.associations);
}

function applyPerson(a: Account, fields: PersonFields): void {
  for (const key of [
    'legalForename',
    'legalSurname',
    'middleNames',
    'preferredForename',
    'preferredSurname',
    'dateOfBirth',
    'gender',
    'upn',
    'email',
    'title',
  ] as const) {
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

export function plan(input: PlanInput): Plan {
  const { school, today, now } = input;
  const settings = school.settings;
  const result: Plan = {
    outcomes: [],
    creates: [],
    updates: [],
    held: [],
    matches: [],
    counts: Object.fromEntries(outcomes.map((o) => [o, 0])) as Record<Outcome, number>,
  };
  const record = (o: RecordOutcome) => {
    result.outcomes.push(o);
    result.counts[o.outcome]++;
  };

  for (const bad of input.invalid)
    record({ report: bad.report, personId: bad.id, outcome: 'invalid', reason: `${bad.field}: ${bad.reason}` });

  // Working copies of every account the plan may change, by username.
  const before = new Map(input.accounts.map((a) => [a.username, a]));
  const drafts = new Map<string, Account>();
  const draft = (username: string) => {
    let d = drafts.get(username);
    if (!d) drafts.set(username, (d = clone(before.get(username)!)));
    return d;
  };
  const byMisKey = new Map<string, string>();
  for (const a of input.accounts)
    for (const x of a.associations) if (x.source === 'mis' && x.misPersonId) byMisKey.set(misKey(x), a.username);

  // An invalid record still says its person is there: bad input never turns into an unallocation.
  const present = new Set(input.people.map((p) => `${school.dfeNumber}:${p.personId}`));
  for (const bad of input.invalid)
    if (bad.report === 'students' || bad.report === 'staff') present.add(`${school.dfeNumber}:${bad.id}`);
  // Accounts already spoken for at this school by another person in this export cannot be someone else.
  const claimed = new Set<string>();
  for (const p of input.people) {
    const u = byMisKey.get(`${school.dfeNumber}:${p.personId}`);
    if (u) claimed.add(u);
  }
  // Look-alike blocking in memory: the same keys the store indexes accounts under.
  const blocks = new Map<string, Account[]>();
  for (const a of input.accounts) {
    for (const k of accountBlockKeys(a, [...new Set(a.associations.map((x) => x.laCode))])) {
      const list = blocks.get(k) ?? [];
      list.push(a);
      blocks.set(k, list);
    }
  }
  const leaveCutoff = addDays(today, -settings.graceDays);
  const unallocations: {
    kind: 'pupil' | 'staff';
    username: string;
    personId: string;
    report: 'students' | 'staff';
    reason: string;
  }[] = [];
  const updatesByKind: { kind: 'pupil' | 'staff'; username: string; personId: string; report: 'students' | 'staff' }[] =
    [];

  const people = [...input.people].sort(
    (a, b) => a.report.localeCompare(b.report) || a.personId.localeCompare(b.personId),
  );
  for (const p of people) {
    const key = `${school.dfeNumber}:${p.personId}`;
    const left = p.endDate !== undefined && p.endDate <= leaveCutoff ? p.endDate : undefined;
    const linked = byMisKey.get(key);

    if (linked) {
      const current = draft(linked);
      const idx = current.associations.findIndex((x) => x.source === 'mis' && misKey(x) === key);
      const existing = current.associations[idx]!;
      const next = misAssociation(school, p, existing, today, left);
      if (left && existing.status === 'active') {
        // the person left: the rest of the record is still applied, the association ends
        current.associations[idx] = next;
        applyPerson(current, p.fields);
        settleStatus(current);
        unallocations.push({
          kind: p.fields.kind,
          username: linked,
          personId: p.personId,
          report: p.report,
          reason: `left on ${left}`,
        });
        continue;
      }
      if (left && existing.status === 'ended') {
        record({ report: p.report, personId: p.personId, outcome: 'unchanged', username: linked, reason: 'has left' });
        continue;
      }
      const beforeState = stableJson(current);
      current.associations[idx] = next;
      applyPerson(current, p.fields);
      settleStatus(current);
      if (stableJson(current) === beforeState) {
        record({ report: p.report, personId: p.personId, outcome: 'unchanged', username: linked });
      } else {
        updatesByKind.push({ kind: p.fields.kind, username: linked, personId: p.personId, report: p.report });
        if (existing.status === 'ended') current.latestMoveOrCreateAt = now;
      }
      continue;
    }

    const nameKeys = [personNameKey(p.fields.legalForename, p.fields.legalSurname)];
    if (p.fields.preferredForename || p.fields.preferredSurname) {
      nameKeys.push(
        personNameKey(
          p.fields.preferredForename ?? p.fields.legalForename,
          p.fields.preferredSurname ?? p.fields.legalSurname,
        ),
      );
    }
    if (nameKeys.some((k) => input.exclusions.has(k))) {
      record({
        report: p.report,
        personId: p.personId,
        outcome: 'excluded',
        reason: 'name is on the school exclusion list',
      });
      continue;
    }
    if (left) {
      record({
        report: p.report,
        personId: p.personId,
        outcome: 'unchanged',
        reason: 'left before an account was made',
      });
      continue;
    }
    if (p.startDate > addDays(today, settings.preProvisionDays)) {
      record({ report: p.report, personId: p.personId, outcome: 'future_starter', reason: `starts on ${p.startDate}` });
      continue;
    }

    if (!input.createAnyway.has(p.personId)) {
      const pool = new Set<Account>();
      for (const k of lookupBlockKeys(p.fields, school.laCode)) for (const a of blocks.get(k) ?? []) pool.add(a);
      // An account another person of this export already has can still be shown (a duplicate MIS record is
      // worth a look) but is never linked without a person deciding.
      const taken = (a: Account) =>
        claimed.has(a.username) ||
        a.associations.some(
          (x) =>
            x.dfeNumber === school.dfeNumber && x.source === 'mis' && x.status === 'active' && present.has(misKey(x)),
        );
      const candidates = findCandidates(
        p.fields,
        [...pool].map((a) => drafts.get(a.username) ?? a),
      );
      const free = candidates.filter((c) => !taken(drafts.get(c.username) ?? before.get(c.username)!));
      const byUpn = free.find((c) => c.reasons.includes('same UPN'));
      const certain = byUpn ?? (candidates.length === 1 && free.length === 1 && free[0]!.certain ? free[0] : undefined);
      if (certain) {
        const account = draft(certain.username);
        const elsewhere = account.associations.some((x) => x.status === 'active' && x.dfeNumber !== school.dfeNumber);
        // a manual association here (an account requested ahead of the export) becomes the MIS one
        const manualIdx = account.associations.findIndex(
          (x) =>
            x.dfeNumber === school.dfeNumber &&
            (x.source === 'manual' || (school.misChangePending && x.status === 'active')),
        );
        const assoc = misAssociation(school, p, undefined, today);
        if (manualIdx >= 0)
          account.associations[manualIdx] = { ...assoc, since: account.associations[manualIdx]!.since };
        else account.associations.push(assoc);
        applyPerson(account, p.fields);
        const wasUnallocated = account.status === 'unallocated';
        settleStatus(account);
        if (manualIdx < 0 && (elsewhere || wasUnallocated)) account.latestMoveOrCreateAt = now;
        claimed.add(certain.username);
        byMisKey.set(key, certain.username);
        record({
          report: p.report,
          personId: p.personId,
          outcome: 'auto_matched',
          username: certain.username,
          reason: certain.reasons.join('; '),
        });
        continue;
      }
      if (candidates.length > 0) {
        result.matches.push({
          personId: p.personId,
          report: p.report,
          person: p.fields,
          startDate: p.startDate,
          candidates,
        });
        record({
          report: p.report,
          personId: p.personId,
          outcome: 'held_for_matching',
          candidates,
          reason: `looks like ${candidates.length} existing account(s)`,
        });
        continue;
      }
    }
    const account: Omit<Account, 'username'> = {
      ...p.fields,
      associations: [misAssociation(school, p, undefined, today)],
      status: 'active',
      createdAt: now,
      updatedAt: now,
      latestMoveOrCreateAt: now,
      version: 0,
    };
    result.creates.push({ personId: p.personId, usernameBase: usernameBase(p.fields, settings.usernameFrom), account });
    record({ report: p.report, personId: p.personId, outcome: 'created' });
  }

  // Absent people: only a full report that is complete can say someone has gone, and only about people an earlier
  // processed export contained (seenAt).
  for (const a of input.accounts) {
    for (const x of a.associations) {
      if (x.dfeNumber !== school.dfeNumber || x.source !== 'mis' || x.status !== 'active' || !x.misPersonId) continue;
      const report = x.role === 'pupil' ? 'students' : 'staff';
      if (!input.fullReports.has(report) || present.has(misKey(x)) || byMisKey.get(misKey(x)) !== a.username) continue;
      const current = draft(a.username);
      const assoc = current.associations.find((y) => y.source === 'mis' && misKey(y) === misKey(x));
      if (!assoc) continue; // re-keyed to a new MIS person id in this plan
      if (school.misChangePending) {
        unallocations.push({
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
      if (daysBetween(assoc.absentSince, today) < settings.graceDays) continue; // within the grace period: only the first absence is recorded
      assoc.status = 'ended';
      assoc.until = assoc.absentSince;
      settleStatus(current);
      unallocations.push({
        kind: x.role,
        username: a.username,
        personId: x.misPersonId,
        report,
        reason: 'absent from the export',
      });
    }
  }

  // The guard: an incomplete export, a MIS change, or more leavers or updates than the school's thresholds holds
  // those changes for an admin; everything else goes ahead.
  const activeMis = (kind: 'pupil' | 'staff') =>
    input.accounts.filter((a) =>
      a.associations.some(
        (x) => x.dfeNumber === school.dfeNumber && x.source === 'mis' && x.status === 'active' && x.role === kind,
      ),
    ).length;
  const heldUsernames = new Set<string>();
  for (const kind of ['pupil', 'staff'] as const) {
    const base = activeMis(kind);
    const leaving = unallocations.filter((u) => u.kind === kind);
    const tooMany =
      leaving.length >= settings.unallocationThresholdMin &&
      leaving.length > (base * settings.unallocationThresholdPercent) / 100;
    for (const u of leaving) {
      const hold = !input.complete || tooMany || school.misChangePending !== undefined;
      const reason = !input.complete
        ? 'the export is incomplete'
        : school.misChangePending
          ? u.reason
          : tooMany
            ? `${leaving.length} of ${base} accounts would be unallocated, over the school's threshold`
            : u.reason;
      if (hold) {
        heldUsernames.add(u.username);
        result.held.push({
          kind: 'unallocation',
          username: u.username,
          personId: u.personId,
          before: before.get(u.username)!,
          after: drafts.get(u.username)!,
        });
        record({ report: u.report, personId: u.personId, outcome: 'held_unallocation', username: u.username, reason });
      } else {
        record({
          report: u.report,
          personId: u.personId,
          outcome: 'unallocated',
          username: u.username,
          reason: u.reason,
        });
      }
    }
    const changing = updatesByKind.filter((u) => u.kind === kind);
    const tooManyUpdates =
      changing.length >= settings.unallocationThresholdMin &&
      changing.length > (base * settings.updateThresholdPercent) / 100;
    for (const u of changing) {
      if (tooManyUpdates && !heldUsernames.has(u.username)) {
        heldUsernames.add(u.username);
        result.held.push({
          kind: 'update',
          username: u.username,
          personId: u.personId,
          before: before.get(u.username)!,
          after: drafts.get(u.username)!,
        });
        record({
          report: u.report,
          personId: u.personId,
          outcome: 'held_update',
          username: u.username,
          reason: `${changing.length} of ${base} accounts would change, over the school's threshold`,
        });
      } else {
        record({ report: u.report, personId: u.personId, outcome: 'updated', username: u.username });
      }
    }
  }

  for (const [username, after] of drafts) {
    if (heldUsernames.has(username)) continue;
    const original = before.get(username)!;
    if (stableJson(after) === stableJson(original)) continue;
    after.updatedAt = now;
    result.updates.push({ before: original, after });
  }
  return result;
}
