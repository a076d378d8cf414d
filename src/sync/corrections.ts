// Putting a decision right: undo a match, a create, an exclusion, a restore or an approved held change, for a week
// after it was taken. Each undo checks that nothing has changed the account since (its version), so an undo never
// overwrites a later change; when something has, it says why not instead.
import type { Db } from 'mongodb';
import { UsoError } from '../errors.js';
import { deleteAccountIfUnchanged, getAccount, updateAccounts } from '../store/accounts.js';
import { audit, auditFor } from '../store/audit.js';
import { removeExclusion } from '../store/exclusions.js';
import { deleteHeldDecision, heldDecisionsOf } from '../store/heldDecisions.js';
import { getMatch, reopenMatch, type MatchDoc } from '../store/matches.js';
import { getRun, reopenHeld } from '../store/runs.js';
import { accountStatus, PERSON_FIELDS, type Account, type PersonFields } from '../domain/model.js';
import { todayIn } from '../domain/dates.js';

/** How long a decision can be undone. */
export const UNDO_DAYS = 7;
const UNDO_MS = UNDO_DAYS * 86_400_000;

function withinWindow(at: Date | undefined, what: string, now: Date): void {
  if (!at || now.getTime() - at.getTime() > UNDO_MS)
    throw new UsoError(
      'stale_action',
      `${what} was decided more than ${UNDO_DAYS} days ago and can no longer be undone`,
    );
}

const changedSince = (username: string) =>
  new UsoError(
    'stale_action',
    `${username} has changed since (a later run or decision): it cannot be undone; decide it again instead`,
  );

/**
 * The held person's match as decided (`status`; matched and created ones with their account), within the undo window:
 * `notSo` is said when it is not (already undone, or decided otherwise), and `what` names it when it is too old.
 */
async function undoableMatch(
  db: Db,
  at: { dfeNumber: string; personId: string; status: MatchDoc['status']; now: Date },
  notSo: string,
  what: string,
): Promise<MatchDoc> {
  const match = await getMatch(db, at.dfeNumber, at.personId);
  if (!match || match.status !== at.status || (at.status !== 'excluded' && !match.username))
    throw new UsoError('stale_action', notSo);
  withinWindow(match.resolvedAt, what, at.now);
  return match;
}

async function existingAccount(db: Db, username: string): Promise<Account> {
  const account = await getAccount(db, username);
  if (!account) throw new UsoError('not_found', `account ${username} no longer exists`);
  return account;
}

/**
 * Undoes a match: the MIS association leaves the account (which gets back any association the match replaced), and
 * the person is held for matching again with the same candidates.
 */
export async function unmatchPerson(
  db: Db,
  dfeNumber: string,
  personId: string,
  actor: string,
  now = new Date(),
): Promise<string> {
  const match = await undoableMatch(
    db,
    { dfeNumber, personId, status: 'matched', now },
    `MIS person ${personId} is not matched at ${dfeNumber} (already undone or decided otherwise)`,
    `the match of MIS person ${personId}`,
  );
  const username = match.username!;
  const current = await existingAccount(db, username);
  let after: Account;
  if (match.undo?.before && current.version === match.undo.afterVersion) {
    // the account as it was, with the version moving on
    after = { ...structuredClone(match.undo.before), version: current.version, updatedAt: now.toISOString() };
  } else {
    // changed since (the next run wrote the person's details over it, or something else changed it): the association
    // the match made goes, and the account's own details come back
    after = structuredClone(current);
    after.associations = after.associations.filter(
      (x) => !(x.dfeNumber === dfeNumber && x.source === 'mis' && x.misPersonId === personId),
    );
    // the association kept by hand that the match turned into the MIS one (an account requested ahead) comes back
    const keptByHand = match.undo?.before?.associations.find((x) => x.dfeNumber === dfeNumber && x.source === 'manual');
    if (keptByHand && !after.associations.some((x) => x.dfeNumber === dfeNumber && x.source === 'manual'))
      after.associations.push(keptByHand);
    after.status = accountStatus(after.associations);
    after.updatedAt = now.toISOString();
    if (match.undo?.before) restoreDetails(after, match.undo.before, match.person, username);
  }
  const written = await updateAccounts(db, [{ before: current, after }], {
    stamp: { actor, at: now },
    ifUnchanged: true,
  });
  if (written !== 1) throw changedSince(username);
  if (!(await reopenMatch(db, dfeNumber, personId, 'matched')))
    throw new UsoError('stale_action', `MIS person ${personId} was changed by someone else just now`);
  await audit(db, {
    at: now,
    actor,
    action: 'match.undone',
    dfeNumber,
    username,
    detail: `MIS person ${personId}`,
  });
  return username;
}

/**
 * Puts back the details (names, birth date, UPN, ...) an account had before a match, on `after`. A detail now
 * different from both what it was and what the matched person's record says was changed by someone else since: the
 * undo is refused, naming those details (never their values), rather than leave one child's details on another's
 * account or overwrite a person's correction.
 */
function restoreDetails(after: Account, before: Account, matched: PersonFields, username: string): void {
  const same = (a: unknown, b: unknown) => (a ?? null) === (b ?? null);
  const changedElsewhere = PERSON_FIELDS.filter((k) => !same(after[k], before[k]) && !same(after[k], matched[k]));
  if (changedElsewhere.length)
    throw new UsoError(
      'stale_action',
      `${username}'s ${changedElsewhere.join(', ')} changed since the match by something other than the matched record: it cannot be undone safely; correct the account and decide it again`,
    );
  for (const k of PERSON_FIELDS) {
    if (before[k] === undefined) delete after[k];
    else (after as unknown as Record<string, unknown>)[k] = before[k];
  }
}

/** Undoes a create: only while the new account is as it was made (nothing has used or changed it). */
export async function uncreatePerson(
  db: Db,
  dfeNumber: string,
  personId: string,
  actor: string,
  now = new Date(),
): Promise<string> {
  const match = await undoableMatch(
    db,
    { dfeNumber, personId, status: 'created', now },
    `no account was created for MIS person ${personId} at ${dfeNumber} to undo`,
    `the account for MIS person ${personId}`,
  );
  const account = await existingAccount(db, match.username!);
  if (
    account.version !== (match.undo?.afterVersion ?? 0) ||
    !(await deleteAccountIfUnchanged(db, account.username, account.version))
  )
    throw new UsoError(
      'stale_action',
      `${account.username} has been used since it was made (a later run or decision changed it), so it is kept; unallocate it instead`,
    );
  await reopenMatch(db, dfeNumber, personId, 'created');
  await audit(db, {
    at: now,
    actor,
    action: 'account.deleted',
    dfeNumber,
    username: account.username,
    detail: `create undone for MIS person ${personId}`,
  });
  return account.username;
}

/** Undoes an exclusion made from a held person: the name leaves the list and the person is held again. */
export async function unexcludePerson(
  db: Db,
  dfeNumber: string,
  personId: string,
  actor: string,
  now = new Date(),
): Promise<void> {
  const match = await undoableMatch(
    db,
    { dfeNumber, personId, status: 'excluded', now },
    `MIS person ${personId} is not excluded at ${dfeNumber} (already undone?)`,
    `the exclusion of MIS person ${personId}`,
  );
  await removeExclusion(db, dfeNumber, match.person.legalForename, match.person.legalSurname);
  await reopenMatch(db, dfeNumber, personId, 'excluded');
  await audit(db, {
    at: now,
    actor,
    action: 'exclusion.remove',
    dfeNumber,
    detail: `undone for MIS person ${personId}`,
  });
}

/** Undoes a restore: the association kept by hand ends and the account goes back to the unallocated pool. */
export async function unrestoreAccount(
  db: Db,
  username: string,
  dfeNumber: string,
  actor: string,
  now = new Date(),
): Promise<void> {
  const before = await getAccount(db, username);
  if (!before) throw new UsoError('not_found', `account ${username} does not exist`);
  const manual = before.associations.find(
    (x) => x.dfeNumber === dfeNumber && x.source === 'manual' && x.status === 'active',
  );
  if (!manual) throw new UsoError('stale_action', `${username} has no association kept by hand at ${dfeNumber} to end`);
  const restoredAt = (await auditFor(db, { dfeNumber, username }, 50)).find((e) => e.action === 'account.restored')?.at;
  withinWindow(restoredAt, `the restore of ${username}`, now);
  const after = structuredClone(before);
  const ended = after.associations.find(
    (x) => x.dfeNumber === dfeNumber && x.source === 'manual' && x.status === 'active',
  )!;
  ended.status = 'ended';
  ended.until = todayIn('Europe/London', now);
  after.status = accountStatus(after.associations);
  after.updatedAt = now.toISOString();
  if ((await updateAccounts(db, [{ before, after }], { stamp: { actor, at: now }, ifUnchanged: true })) !== 1)
    throw changedSince(username);
  await audit(db, { at: now, actor, action: 'account.unallocated', dfeNumber, username, detail: 'restore undone' });
}

/** Undoes one person's approved held change: the account goes back as it was, and the change is held again. */
export async function unapproveHeld(
  db: Db,
  runId: string,
  username: string,
  actor: string,
  now = new Date(),
): Promise<string> {
  const run = await getRun(db, runId);
  const change = run?.held?.find((c) => c.username === username);
  const decision = (await heldDecisionsOf(db, runId)).find((d) => d.username === username);
  if (!run || !change || !decision || decision.decision !== 'approved' || decision.applied === false)
    throw new UsoError('stale_action', `no approved change of ${username} in run ${runId} to undo`);
  withinWindow(decision.at, `the approval for ${username}`, now);
  const current = await existingAccount(db, username);
  if (current.version !== change.before.version + 1) throw changedSince(username);
  const after = { ...structuredClone(change.before), version: current.version, updatedAt: now.toISOString() };
  if (
    (await updateAccounts(db, [{ before: current, after }], {
      stamp: { actor, runId, at: now },
      ifUnchanged: true,
    })) !== 1
  )
    throw changedSince(username);
  await deleteHeldDecision(db, runId, username);
  await reopenHeld(db, runId);
  await audit(db, {
    at: now,
    actor,
    action: change.kind === 'unallocation' ? 'account.restored' : 'account.updated',
    dfeNumber: run.dfeNumber,
    username,
    runId,
    detail: 'held change approval undone: held again',
  });
  return run.dfeNumber;
}
