// What a school asks about its people, read back from what the sync stored: who a person is and what each run did
// with them (and why), which accounts are new (logins to hand out), which records were invalid and why, and which
// changes a run held. Reads only; chat and the CLI render the answers.
import type { Db } from 'mongodb';
import { accountsByKeysOrUsername, accountsForSchool, getAccount } from '../store/accounts.js';
import { nameParts, surnameKeys } from '../domain/names.js';
import { auditEntries, auditFor } from '../store/audit.js';
import { exportMeta, lastProcessedExport, loadExport } from '../store/exports.js';
import { heldDecisionsOf } from '../store/heldDecisions.js';
import { getMatch } from '../store/matches.js';
import { getRun, outcomesAbout, type RunDoc } from '../store/runs.js';
import { UsoError } from '../errors.js';
import { movedInAt, type Account, type PersonKind } from '../domain/model.js';
import type { HeldChange, Outcome, RecordOutcome } from '../domain/outcomes.js';
import { nameQueryScore } from '../domain/search.js';
import type { IsoDate } from '../domain/dates.js';

/** One thing that happened to a person: a run's outcome for them, or a decision someone took. */
export interface HistoryEntry {
  at: string;
  runId?: string;
  outcome?: Outcome;
  reason?: string;
  /** Accounts a held person looked like. */
  candidates?: string[];
  /** A decision or change from the audit (`match.linked`, `account.restored`, ...). */
  action?: string;
  by?: string;
}

/** An MIS record as the school's latest export has it (a record that made no account is found this way). */
export interface MisRecordSeen {
  personId: string;
  report: 'students' | 'staff';
  legalForename?: string;
  legalSurname?: string;
  preferredForename?: string;
  dateOfBirth?: string;
  upn?: string;
  yearGroup?: string;
}

export interface PersonFound {
  dfeNumber: string;
  account?: Account;
  /** The MIS record with no account (when there is an account, its association says the rest). */
  mis?: MisRecordSeen;
  history: HistoryEntry[];
  score: number;
}

const MAX_FOUND = 20;
const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);

/** The students and staff records of the school's latest processed export, as far as each can be read. */
async function latestMisRecords(db: Db, dfeNumber: string, seq?: number): Promise<MisRecordSeen[]> {
  const meta = seq === undefined ? await lastProcessedExport(db, dfeNumber) : await exportMeta(db, dfeNumber, seq);
  if (!meta) return [];
  const file = await loadExport(db, meta);
  const out: MisRecordSeen[] = [];
  for (const report of ['students', 'staff'] as const) {
    (file.reports[report] ?? []).forEach((raw, index) => {
      const r = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
      const seen: MisRecordSeen = { personId: str(r.personId) ?? `#${index}`, report };
      for (const key of [
        'legalForename',
        'legalSurname',
        'preferredForename',
        'dateOfBirth',
        'upn',
        'yearGroup',
      ] as const) {
        const v = str(r[key]);
        if (v) seen[key] = v;
      }
      out.push(seen);
    });
  }
  return out;
}

/** The history of a person at a school: every run's outcome for them and every decision about them, newest first. */
export async function personHistory(
  db: Db,
  dfeNumber: string,
  who: { personId?: string; username?: string },
): Promise<HistoryEntry[]> {
  const entries: HistoryEntry[] = [];
  for (const { runId, startedAt, outcome } of await outcomesAbout(db, dfeNumber, who)) {
    const entry: HistoryEntry = { at: startedAt.toISOString(), runId, outcome: outcome.outcome };
    if (outcome.reason) entry.reason = outcome.reason;
    if (outcome.candidates?.length) entry.candidates = outcome.candidates.map((c) => c.username);
    if (outcome.outcome === 'held_for_matching' && who.personId) {
      const match = await getMatch(db, dfeNumber, who.personId);
      if (match && match.status !== 'open' && match.resolvedBy) entry.by = `${match.status} by ${match.resolvedBy}`;
    }
    entries.push(entry);
  }
  if (who.username) {
    for (const a of await auditFor(db, { dfeNumber, username: who.username }, 50)) {
      entries.push({
        at: a.at.toISOString(),
        action: a.action,
        by: a.actor,
        ...(a.runId ? { runId: a.runId } : {}),
        ...(a.detail ? { reason: a.detail } : {}),
      });
    }
  }
  return entries.sort((a, b) => b.at.localeCompare(a.at));
}

/**
 * People at the given schools that TEXT names: a username, a UPN, an MIS person id, or a name (forgiving: case,
 * accents, a partial or misspelt word). Accounts first, then MIS records that have no account; best fits first.
 */
export async function findPeople(db: Db, dfeNumbers: readonly string[], text: string): Promise<PersonFound[]> {
  const query = text.trim();
  if (!query) throw new UsoError('usage', 'say who: a name, a UPN, a username or an MIS person id');
  const exact = query.toLowerCase();
  const found: PersonFound[] = [];
  for (const dfeNumber of dfeNumbers) {
    const accounts = await accountsForSchool(db, dfeNumber);
    const linked = new Set<string>();
    for (const a of accounts) {
      const here = a.associations.filter((x) => x.dfeNumber === dfeNumber);
      for (const x of here) if (x.misPersonId) linked.add(x.misPersonId);
      let score = 0;
      if (a.username.toLowerCase() === exact || (a.upn && a.upn.toLowerCase() === exact)) score = 1;
      else if (here.some((x) => x.misPersonId === query)) score = 1;
      else
        score = nameQueryScore(query, [
          a.legalForename,
          a.legalSurname,
          a.preferredForename,
          a.preferredSurname,
          a.middleNames,
        ]);
      if (score > 0) found.push({ dfeNumber, account: a, history: [], score });
    }
    for (const r of await latestMisRecords(db, dfeNumber)) {
      if (linked.has(r.personId)) continue;
      const score =
        r.personId === query || (r.upn && r.upn.toLowerCase() === exact)
          ? 1
          : nameQueryScore(query, [r.legalForename, r.legalSurname, r.preferredForename]);
      if (score > 0) found.push({ dfeNumber, mis: r, history: [], score });
    }
  }
  found.sort((a, b) => b.score - a.score);
  const top = found.slice(0, MAX_FOUND);
  for (const hit of top) {
    const personIds = hit.account
      ? hit.account.associations
          .filter((x) => x.dfeNumber === hit.dfeNumber && x.misPersonId)
          .map((x) => x.misPersonId!)
      : [hit.mis!.personId];
    hit.history = await personHistory(db, hit.dfeNumber, {
      ...(personIds[0] ? { personId: personIds[0] } : {}),
      ...(hit.account ? { username: hit.account.username } : {}),
    });
  }
  return top;
}

/** How an account came to be new at the school. */
export type NewAccountHow = 'created' | 'moved_in' | 'restored' | 'pre_provisioned';

export interface NewAccountRow {
  account: Account;
  how: NewAccountHow;
  role: PersonKind;
  yearGroup?: string;
  registrationGroup?: string;
  /** The first day at the school. */
  firstDay?: IsoDate;
  /** When it was created, moved or restored. */
  at: string;
}

function rowFor(account: Account, dfeNumber: string, how: NewAccountHow, at: string): NewAccountRow | undefined {
  const here =
    account.associations.find((x) => x.dfeNumber === dfeNumber && x.status === 'active') ??
    account.associations.find((x) => x.dfeNumber === dfeNumber);
  if (!here) return undefined;
  return {
    account,
    how,
    role: here.role,
    ...(here.yearGroup ? { yearGroup: here.yearGroup } : {}),
    ...(here.registrationGroup ? { registrationGroup: here.registrationGroup } : {}),
    firstDay: here.since,
    at,
  };
}

const newestFirst = (rows: (NewAccountRow | undefined)[]) =>
  rows
    .filter((r): r is NewAccountRow => !!r)
    .sort((a, b) => b.at.localeCompare(a.at) || a.account.username.localeCompare(b.account.username));

/** Accounts new at the school since a day: created, moved in from another school, restored, or made ahead of a start. */
export async function newAccountsSince(
  db: Db,
  dfeNumber: string,
  since: IsoDate,
  today: IsoDate,
): Promise<NewAccountRow[]> {
  const restored = new Map(
    (await auditEntries(db, { dfeNumber, action: 'account.restored', since: new Date(`${since}T00:00:00Z`) }, 100_000))
      .filter((e) => e.username)
      .map((e) => [e.username!, e.at.toISOString()]),
  );
  const rows = (await accountsForSchool(db, dfeNumber)).map((a) => {
    const active = a.associations.find((x) => x.dfeNumber === dfeNumber && x.status === 'active');
    if (!active) return undefined;
    if (restored.has(a.username) && active.source === 'manual')
      return rowFor(a, dfeNumber, 'restored', restored.get(a.username)!);
    // this school's own stamp: made here (its stamp is the account's creation; kept before schools had a stamp of
    // their own, any account), or moved in here (a second post elsewhere is neither, here)
    const madeHere = (active.movedInAt ?? a.createdAt) === a.createdAt;
    if (madeHere && a.createdAt.slice(0, 10) >= since)
      return rowFor(a, dfeNumber, active.since > today ? 'pre_provisioned' : 'created', a.createdAt);
    const moved = movedInAt(a, dfeNumber);
    if (moved.slice(0, 10) >= since && active.source === 'mis') return rowFor(a, dfeNumber, 'moved_in', moved);
    return undefined;
  });
  return newestFirst(rows);
}

/** The accounts a run made new at its school: created, pre-provisioned, or moved in by an automatic match. */
export async function newAccountsOfRun(db: Db, runId: string): Promise<{ run: RunDoc; rows: NewAccountRow[] }> {
  const run = await getRun(db, runId);
  if (!run) throw new UsoError('not_found', `run ${runId} does not exist`);
  const started = run.startedAt.toISOString();
  const rows: (NewAccountRow | undefined)[] = [];
  for (const o of run.outcomes ?? []) {
    if (!o.username || !['created', 'future_starter', 'auto_matched'].includes(o.outcome)) continue;
    const a = await getAccount(db, o.username);
    if (!a) continue;
    if (o.outcome === 'created') rows.push(rowFor(a, run.dfeNumber, 'created', a.createdAt));
    else if (o.outcome === 'future_starter') rows.push(rowFor(a, run.dfeNumber, 'pre_provisioned', a.createdAt));
    // linked by this very run: new at the school whenever the account's own stamp says it moved (it may predate the run)
    else rows.push(rowFor(a, run.dfeNumber, 'moved_in', started));
  }
  return { run, rows: newestFirst(rows) };
}

/** The records a run found invalid, each with the field and what is wrong, named from the run's export. */
export async function invalidRecordsOfRun(
  db: Db,
  runId: string,
): Promise<{ run: RunDoc; records: (RecordOutcome & { record?: MisRecordSeen })[] }> {
  const run = await getRun(db, runId);
  if (!run) throw new UsoError('not_found', `run ${runId} does not exist`);
  const invalid = (run.outcomes ?? []).filter((o) => o.outcome === 'invalid');
  const seen = invalid.length ? await latestMisRecords(db, run.dfeNumber, run.exportSeq) : [];
  const byId = new Map(seen.map((r) => [`${r.report}:${r.personId}`, r]));
  return {
    run,
    records: invalid.map((o) => {
      const record = byId.get(`${o.report}:${o.personId}`);
      return record ? { ...o, record } : o;
    }),
  };
}

export interface HeldChangeState {
  change: HeldChange;
  state: 'held' | 'approved' | 'rejected' | 'not_applied';
  by?: string;
}

/** A run's held changes with each one's decision so far. */
export async function heldChangesOfRun(db: Db, runId: string): Promise<{ run: RunDoc; changes: HeldChangeState[] }> {
  const run = await getRun(db, runId);
  if (!run) throw new UsoError('not_found', `run ${runId} does not exist`);
  const decisions = new Map((await heldDecisionsOf(db, runId)).map((d) => [d.username, d]));
  const settledAll = run.heldState === 'approved' || run.heldState === 'rejected';
  return {
    run,
    changes: (run.held ?? []).map((change) => {
      const d = decisions.get(change.username);
      if (d)
        return { change, state: d.applied === false ? 'not_applied' : d.decision, by: d.by } satisfies HeldChangeState;
      // runs decided as a whole before per-person decisions existed
      if (settledAll)
        return {
          change,
          state: run.heldState as 'approved' | 'rejected',
          ...(run.heldDecidedBy ? { by: run.heldDecidedBy } : {}),
        } satisfies HeldChangeState;
      return { change, state: 'held' } satisfies HeldChangeState;
    }),
  };
}

/**
 * Accounts of a local authority that TEXT names, by username (its start) or by name (forgiving, as `who`): the
 * "another account" search when matching. Looks accounts up by the surname keys they are indexed under, so it reads
 * only the accounts whose surname sounds like a typed word, not the whole authority.
 */
export async function searchLaAccounts(db: Db, laCode: string, text: string, limit = 20): Promise<Account[]> {
  const words = nameParts(text);
  if (words.length === 0) return [];
  const keys = [...new Set(words.flatMap((w) => surnameKeys(w).map((k) => `${laCode}|s|${k}`)))];
  const found = new Map<string, { account: Account; score: number }>();
  for (const a of await accountsByKeysOrUsername(db, keys, words[0]!)) {
    if (!a.associations.some((x) => x.laCode === laCode)) continue;
    const score = a.username.startsWith(text.trim().toLowerCase())
      ? 1
      : nameQueryScore(text, [a.legalForename, a.legalSurname, a.preferredForename, a.preferredSurname]);
    if (score > 0) found.set(a.username, { account: a, score });
  }
  return [...found.values()]
    .sort((a, b) => b.score - a.score || a.account.username.localeCompare(b.account.username))
    .slice(0, limit)
    .map((f) => f.account);
}

/** One account of a school's user list, with the seed's "latest move or create" at that school. */
export interface SchoolAccountRow {
  username: string;
  name: string;
  role: PersonKind;
  /** Year and registration group of a pupil, roles of a member of staff. */
  group?: string;
  source: 'mis' | 'manual';
  /** When the account was made here, or last moved, linked, came back or was restored here. */
  latestMoveOrCreate: string;
}

/**
 * The school's user list (the seed's User list/search): every account active at the school, newest "latest move or
 * create" first; narrowed to those moved in or made since a day, to one kind, or to a name or username typed.
 */
export async function schoolAccountList(
  db: Db,
  dfeNumber: string,
  options: { since?: IsoDate; kind?: PersonKind; query?: string } = {},
): Promise<SchoolAccountRow[]> {
  const rows: SchoolAccountRow[] = [];
  for (const a of await accountsForSchool(db, dfeNumber)) {
    const here = a.associations.find((x) => x.dfeNumber === dfeNumber && x.status === 'active');
    if (!here || (options.kind && here.role !== options.kind)) continue;
    const stamp = movedInAt(a, dfeNumber);
    if (options.since && stamp.slice(0, 10) < options.since) continue;
    const names = [a.legalForename, a.legalSurname, a.preferredForename, a.preferredSurname, a.middleNames];
    if (
      options.query &&
      !a.username.includes(options.query.toLowerCase()) &&
      nameQueryScore(options.query, names) === 0
    )
      continue;
    const group =
      here.role === 'pupil'
        ? [here.yearGroup && `Year ${here.yearGroup}`, here.registrationGroup].filter(Boolean).join(', ')
        : (here.roles ?? []).join(', ');
    rows.push({
      username: a.username,
      name: `${a.preferredForename ?? a.legalForename} ${a.preferredSurname ?? a.legalSurname}`,
      role: here.role,
      ...(group ? { group } : {}),
      source: here.source,
      latestMoveOrCreate: stamp,
    });
  }
  return rows.sort(
    (x, y) => y.latestMoveOrCreate.localeCompare(x.latestMoveOrCreate) || x.username.localeCompare(y.username),
  );
}
