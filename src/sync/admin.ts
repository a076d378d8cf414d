// Admin operations on one school's people, shared by the CLI and the chat actions: link a held person to an
// account, create them anyway, exclude them, restore an unallocated account, decide held changes. Each is safe
// to repeat: a second decision on the same thing is answered as stale, never applied twice.
import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import { UsoError } from '../errors.js';
import { accountsForSchool, changedFields, getAccount, updateAccounts } from '../store/accounts.js';
import { insertNewAccounts } from '../store/account-inserts.js';
import { claimHeldDecisions, heldDecisionsOf, markNotApplied } from '../store/heldDecisions.js';
import { audit } from '../store/audit.js';
import { addExclusion } from '../store/exclusions.js';
import { getMatch, resolveMatch, setMatchUndo, setMatchUsername, type MatchDoc } from '../store/matches.js';
import { letGo, takeLease } from '../store/leases.js';
import { runLeaseKey } from './recovery.js';
import { getRun, settleHeldState } from '../store/runs.js';
import { getSchool } from '../store/schools.js';
import { todayIn } from '../domain/dates.js';
import { newAccount, type Account, type Association, type School } from '../domain/model.js';
import { usernameBase } from '../domain/usernames.js';
import { scoreCandidate } from './match.js';

async function schoolOrThrow(db: Db, dfeNumber: string): Promise<School> {
  const school = await getSchool(db, dfeNumber);
  if (!school) throw new UsoError('not_found', `school ${dfeNumber} is not known`);
  return school;
}

async function openMatchOrThrow(db: Db, dfeNumber: string, personId: string): Promise<MatchDoc> {
  const match = await getMatch(db, dfeNumber, personId);
  if (!match) throw new UsoError('not_found', `nobody with MIS id ${personId} is held for matching at ${dfeNumber}`);
  if (match.status !== 'open') {
    const what =
      match.status === 'gone'
        ? 'has since left the MIS export'
        : `was already ${match.status}${match.resolvedBy ? ` by ${match.resolvedBy}` : ''}`;
    throw new UsoError('stale_action', `MIS person ${personId} ${what}`);
  }
  return match;
}

function associationFor(school: School, match: MatchDoc, today: string): Association {
  return {
    dfeNumber: school.dfeNumber,
    laCode: school.laCode,
    role: match.kind === 'students' ? 'pupil' : 'staff',
    status: 'active',
    source: 'mis',
    misPersonId: match.misPersonId,
    since: match.startDate,
    seenAt: today,
  };
}

/**
 * Who may choose an account that was not offered as a candidate. Chat passes a rule of its own (the decider's
 * schools); the operator's CLI may choose any account of the school's LA. Either way the choice is checked here,
 * on the server: a button's value is never trusted to name only what was offered.
 */
export type AccountChoiceRule = (account: Account, school: School) => boolean | Promise<boolean>;

export const anyAccountOfTheLa: AccountChoiceRule = (account, school) =>
  account.associations.some((x) => x.laCode === school.laCode);

/** Links a held MIS person to one of its candidate accounts, or to another account the rule allows. */
export async function matchPerson(
  db: Db,
  dfeNumber: string,
  personId: string,
  username: string,
  actor: string,
  mayChoose: AccountChoiceRule = anyAccountOfTheLa,
  options: { force?: { reason: string } } = {},
): Promise<Account> {
  const school = await schoolOrThrow(db, dfeNumber);
  const match = await openMatchOrThrow(db, dfeNumber, personId);
  const before = await getAccount(db, username);
  if (!before) throw new UsoError('not_found', `account ${username} does not exist`);
  const isCandidate = match.candidates.some((c) => c.username === username);
  if (!isCandidate && !(await mayChoose(before, school))) {
    throw new UsoError(
      'forbidden',
      `account ${username} was not offered for MIS person ${personId}, and you may not choose it: it belongs to a school you do not act for`,
    );
  }
  // an account chosen by hand must look like the person by the same rules as the candidates (names, birth date, UPN):
  // linking another child's record to it would have the next run write that child's details over it
  if (!isCandidate && !scoreCandidate(match.person, before) && !options.force)
    throw new UsoError(
      'not_alike',
      `account ${username} does not look like MIS person ${personId} (names, birth date or UPN differ): check the person; an operator sure of it links with --force --reason TEXT`,
    );
  if (
    before.associations.some(
      (x) => x.dfeNumber === dfeNumber && x.source === 'mis' && x.status === 'active' && x.misPersonId !== personId,
    )
  ) {
    throw new UsoError('stale_action', `account ${username} is already linked to another MIS person at ${dfeNumber}`);
  }
  const now = new Date().toISOString();
  const after: Account = structuredClone(before);
  const elsewhere = after.associations.some((x) => x.status === 'active' && x.dfeNumber !== dfeNumber);
  const replaced = after.associations.find((x) => x.dfeNumber === dfeNumber && x.source === 'manual');
  after.associations = after.associations.filter((x) => !(x.dfeNumber === dfeNumber && x.source === 'manual'));
  // the latest move or create here: the request's, when one is made the MIS one; else now
  after.associations.push({
    ...associationFor(school, match, todayIn('Europe/London')),
    movedInAt: replaced ? (replaced.movedInAt ?? before.latestMoveOrCreateAt) : now,
  });
  after.status = 'active';
  after.updatedAt = now;
  if (elsewhere || before.status === 'unallocated') after.latestMoveOrCreateAt = now;
  if (!(await resolveMatch(db, dfeNumber, personId, 'matched', actor, username)))
    throw new UsoError('stale_action', `MIS person ${personId} was decided by someone else just now`);
  await updateAccounts(db, [{ before, after }], { stamp: { actor, at: new Date() } });
  await setMatchUndo(db, dfeNumber, personId, { before, afterVersion: before.version + 1 });
  await audit(db, {
    at: new Date(),
    actor,
    action: 'match.linked',
    dfeNumber,
    username,
    detail: `MIS person ${personId}${options.force ? `; forced although not alike: ${options.force.reason}` : ''}`,
  });
  return after;
}

/**
 * Creates a new account for a held person although they look like someone. It holds the school's run lease while
 * it does, so a run starting meanwhile cannot create the same person a second time.
 */
export async function createAnyway(db: Db, dfeNumber: string, personId: string, actor: string): Promise<string> {
  const school = await schoolOrThrow(db, dfeNumber);
  const lease = await takeLease(db, runLeaseKey(dfeNumber), `admin:${randomUUID()}`, 60_000);
  if (!lease) throw new UsoError('run_in_progress', `a run for ${dfeNumber} is in progress: try again in a minute`);
  try {
    const match = await openMatchOrThrow(db, dfeNumber, personId);
    if (!(await resolveMatch(db, dfeNumber, personId, 'created', actor)))
      throw new UsoError('stale_action', `MIS person ${personId} was decided by someone else just now`);
    const now = new Date().toISOString();
    const { assigned, failed } = await insertNewAccounts(
      db,
      [
        {
          key: personId,
          base: usernameBase(match.person, school.settings.usernameFrom),
          account: newAccount(match.person, [associationFor(school, match, now.slice(0, 10))], now),
        },
      ],
      { stamp: { actor, at: new Date() } },
    );
    const username = assigned.get(personId);
    if (!username)
      throw new UsoError(
        'store_conflict',
        `no account was created for MIS person ${personId}: ${failed.get(personId) ?? 'unknown reason'}`,
      );
    await setMatchUsername(db, dfeNumber, personId, username);
    await setMatchUndo(db, dfeNumber, personId, { afterVersion: 0 });
    await audit(db, {
      at: new Date(),
      actor,
      action: 'match.created',
      dfeNumber,
      username,
      detail: `MIS person ${personId}`,
    });
    return username;
  } finally {
    // what a run before left to recover is left for the next run
    await letGo(db, lease, lease.recover ? 'recover' : 'clean');
  }
}

/** Adds a held person's name to the school's exclusion list: no account now or later. */
export async function excludePerson(db: Db, dfeNumber: string, personId: string, actor: string): Promise<void> {
  await schoolOrThrow(db, dfeNumber);
  const match = await openMatchOrThrow(db, dfeNumber, personId);
  if (!(await resolveMatch(db, dfeNumber, personId, 'excluded', actor)))
    throw new UsoError('stale_action', `MIS person ${personId} was decided by someone else just now`);
  await addExclusion(db, dfeNumber, match.person.legalForename, match.person.legalSurname, actor);
  await audit(db, { at: new Date(), actor, action: 'match.excluded', dfeNumber, detail: `MIS person ${personId}` });
}

/**
 * Restores an unallocated account at a school. The restored association is kept by hand (source `manual`), so
 * the sync does not end it again while the person is missing from the MIS; it is listed for review instead.
 */
export async function restoreAccount(db: Db, username: string, dfeNumber: string, actor: string): Promise<Account> {
  await schoolOrThrow(db, dfeNumber);
  const before = await getAccount(db, username);
  if (!before) throw new UsoError('not_found', `account ${username} does not exist`);
  const ended = before.associations.find((x) => x.dfeNumber === dfeNumber && x.status === 'ended');
  if (!ended) {
    if (before.associations.some((x) => x.dfeNumber === dfeNumber && x.status === 'active'))
      throw new UsoError('stale_action', `${username} is already active at ${dfeNumber}`);
    throw new UsoError('not_found', `${username} was never at ${dfeNumber}`);
  }
  const after = structuredClone(before);
  const restored: Association = { ...ended, status: 'active', source: 'manual', movedInAt: new Date().toISOString() };
  delete restored.until;
  delete restored.absentSince;
  // one association per school and source: the restored one replaces the ended one (and any manual one there)
  after.associations = after.associations.filter(
    (x) =>
      x.dfeNumber !== dfeNumber || (x.status === 'ended' && x.source === 'mis' && x.misPersonId !== ended.misPersonId),
  );
  after.associations.push(restored);
  after.status = 'active';
  after.updatedAt = new Date().toISOString();
  await updateAccounts(db, [{ before, after }], { stamp: { actor, at: new Date() } });
  await audit(db, { at: new Date(), actor, action: 'account.restored', dfeNumber, username });
  return after;
}

export interface HeldDecisionResult {
  dfeNumber: string;
  /** The held changes this decision took (those someone else decided first are not among them). */
  decided: string[];
  /** Approved changes written. */
  applied: number;
  /** Approved changes skipped because the account changed since the run. */
  stale: string[];
  /** Held changes of the run still undecided. */
  remaining: number;
}

/**
 * Applies (approve) or discards (reject) the changes a run held: all that are still undecided, or only the named
 * accounts'. Each change is decided once (claimed in `heldDecisions`); an approval skips an account changed since
 * the run, and every applied change is audited as itself, naming the approver. The rest stay held.
 */
export async function decideHeldChanges(
  db: Db,
  runId: string,
  decision: 'approved' | 'rejected',
  actor: string,
  only?: readonly string[],
): Promise<HeldDecisionResult> {
  const run = await getRun(db, runId);
  if (!run) throw new UsoError('not_found', `run ${runId} does not exist`);
  if (!run.held?.length) throw new UsoError('not_found', `run ${runId} held no changes`);
  if (run.heldState !== 'pending')
    throw new UsoError(
      'stale_action',
      `the held changes of run ${runId} were already ${run.heldState}${run.heldDecidedBy ? ` by ${run.heldDecidedBy}` : ''}`,
    );
  const byUsername = new Map(run.held.map((c) => [c.username, c]));
  const unknown = (only ?? []).filter((u) => !byUsername.has(u));
  if (unknown.length) throw new UsoError('not_found', `run ${runId} held no change for ${unknown.join(', ')}`);
  const done = new Map((await heldDecisionsOf(db, runId)).map((d) => [d.username, d]));
  const wanted = (only ?? [...byUsername.keys()]).filter((u) => !done.has(u));
  const alreadyDecided = () => {
    const first = (only ?? [...byUsername.keys()]).map((u) => done.get(u)).find(Boolean);
    return new UsoError(
      'stale_action',
      `${only?.length === 1 ? `the held change of ${only[0]}` : `the held changes of run ${runId}`} ${only?.length === 1 ? 'was' : 'were'} already decided${first ? ` (${first.decision} by ${first.by})` : ''}`,
    );
  };
  if (wanted.length === 0) throw alreadyDecided();
  const claimed = await claimHeldDecisions(db, { runId, dfeNumber: run.dfeNumber }, wanted, decision, actor);
  if (claimed.length === 0) throw alreadyDecided();
  const stale: string[] = [];
  let applied = 0;
  if (decision === 'approved') {
    for (const username of claimed) {
      const change = byUsername.get(username)!;
      const current = await getAccount(db, username);
      if (!current || current.version !== change.before.version) {
        stale.push(username);
        continue;
      }
      // each applied change is audited as itself, naming the approver, in step with its write
      applied += await updateAccounts(
        db,
        [{ before: current, after: { ...change.after, updatedAt: new Date().toISOString() } }],
        {
          stamp: { actor, runId, at: new Date() },
          afterBatch: (usernames) =>
            audit(
              db,
              usernames.map((u) => ({
                at: new Date(),
                actor,
                action: change.kind === 'unallocation' ? 'account.unallocated' : 'account.updated',
                dfeNumber: run.dfeNumber,
                username: u,
                runId,
                detail:
                  change.kind === 'update'
                    ? `held change approved: ${changedFields(change.before, change.after).join(', ')}`
                    : 'held change approved',
              })),
            ),
        },
      );
    }
    if (stale.length) await markNotApplied(db, runId, stale);
  }
  await audit(db, {
    at: new Date(),
    actor,
    action: `held.${decision}`,
    dfeNumber: run.dfeNumber,
    runId,
    detail: `${claimed.length} of ${byUsername.size} decided, ${applied} applied, ${stale.length} stale`,
  });
  const all = await heldDecisionsOf(db, runId);
  const remaining = [...byUsername.keys()].filter((u) => !all.some((d) => d.username === u)).length;
  if (remaining === 0) {
    const state = all.every((d) => d.decision === 'approved')
      ? 'approved'
      : all.every((d) => d.decision === 'rejected')
        ? 'rejected'
        : 'decided';
    const deciders = new Set(all.map((d) => d.by));
    await settleHeldState(db, runId, state, deciders.size === 1 ? actor : undefined);
  }
  return { dfeNumber: run.dfeNumber, decided: claimed, applied, stale, remaining };
}

/** The school's leavers: accounts whose association with it ended and did not come back (restorable there). */
export async function unallocatedAccounts(db: Db, dfeNumber: string): Promise<Account[]> {
  // a leaver still active at another school is one too: restorable here as much as one with no school left
  return (await accountsForSchool(db, dfeNumber)).filter(
    (a) =>
      a.associations.some((x) => x.dfeNumber === dfeNumber && x.status === 'ended') &&
      !a.associations.some((x) => x.dfeNumber === dfeNumber && x.status === 'active'),
  );
}

/** Accounts kept by hand at the school that the MIS does not know, except those kept on purpose until a later review. */
export async function nonMisAccounts(
  db: Db,
  dfeNumber: string,
  today: string = todayIn('Europe/London'),
): Promise<Account[]> {
  return (await accountsForSchool(db, dfeNumber)).filter((a) =>
    a.associations.some(
      (x) =>
        x.dfeNumber === dfeNumber &&
        x.status === 'active' &&
        x.source === 'manual' &&
        !(x.reviewOn && x.reviewOn > today),
    ),
  );
}
