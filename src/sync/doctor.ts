// The LA's identity, checked over the whole store: what `uso doctor` lists, the nightly digest reports and the
// LA-night checker asserts. It reads every account once (streamed) and the audit once.
import type { Db } from 'mongodb';
import { accountsByUsername, getAccount, updateAccounts } from '../store/accounts.js';
import { allPending, fileAccounts, lookalikeIndexReady, unfiled } from '../store/lookalikes.js';
import { allAccounts } from '../store/account-scans.js';
import { audit, auditedChangeKey, auditedChanges } from '../store/audit.js';
import { handOnIdentities } from '../store/identities.js';
import { saveHeldMatches } from '../store/matches.js';
import { accountIdentityKeys } from '../domain/identity.js';
import { IdentityCheck, schoolsOfViolation, VIOLATION_WORDS, type IdentityViolation } from '../domain/invariants.js';
import { accountStatus, detailsOf, type Account, type PersonFields } from '../domain/model.js';
import type { HeldMatch } from '../domain/outcomes.js';

export interface StoreCheck {
  accounts: number;
  violations: IdentityViolation[];
  /** Accounts whose last change has no audit entry naming it (who, which run). */
  unaudited: string[];
  /**
   * With `lookalikes`: accounts the look-alike index lacks an entry of (a run would not find them as a newcomer's
   * look-alike), but for those at a school whose first sync waits to be filed (searched through its roster). Empty
   * while the index is not complete: runs do not use it then.
   */
  unfiled?: string[];
}

/** Accounts checked against the look-alike index at once. */
const FILED_BATCH = 200;

export async function checkStore(db: Db, options: { lookalikes?: boolean } = {}): Promise<StoreCheck> {
  const audited = await auditedChanges(db);
  const check = new IdentityCheck();
  const unaudited: string[] = [];
  const indexed = options.lookalikes && (await lookalikeIndexReady(db));
  // a school whose first sync waits to be filed is searched through its roster: its accounts are not missing
  const pending = new Set(indexed ? (await allPending(db)).map((p) => p.dfeNumber) : []);
  const unfiledOnes: string[] = [];
  let batch: Account[] = [];
  const checkFiled = async () => {
    if (indexed && batch.length) unfiledOnes.push(...(await unfiled(db, batch)));
    batch = [];
  };
  for await (const { account, lastChange } of allAccounts(db)) {
    check.add(account);
    if (lastChange && !audited.has(auditedChangeKey(account.username, lastChange.actor, lastChange.runId)))
      unaudited.push(account.username);
    if (indexed && !account.associations.some((x) => pending.has(x.dfeNumber)) && batch.push(account) >= FILED_BATCH)
      await checkFiled();
  }
  await checkFiled();
  return {
    accounts: check.accounts,
    violations: check.violations(),
    unaudited,
    ...(options.lookalikes ? { unfiled: unfiledOnes } : {}),
  };
}

/** Files the accounts the look-alike index lacks, as they stand (what `uso doctor --fix` does for them). */
export async function fileUnfiled(db: Db, usernames: readonly string[]): Promise<number> {
  const accounts = await accountsByUsername(db, usernames);
  await fileAccounts(db, accounts);
  return accounts.length;
}

/** The identity problems of each LA (by LA code), counted by kind: what an LA admin's digest says. */
export function identityProblemsByLa(
  found: readonly IdentityViolation[],
): Map<string, Map<IdentityViolation['kind'], number>> {
  const byLa = new Map<string, Map<IdentityViolation['kind'], number>>();
  for (const v of found)
    for (const la of new Set(schoolsOfViolation(v).map((d) => d.slice(0, 3)))) {
      const counts = byLa.get(la) ?? new Map<IdentityViolation['kind'], number>();
      counts.set(v.kind, (counts.get(v.kind) ?? 0) + 1);
      byLa.set(la, counts);
    }
  return byLa;
}

export interface Repair {
  kind: IdentityViolation['kind'];
  /** What was done: accounts merged into one, a person held for matching, or nothing (a person must decide). */
  action: 'merged' | 'held' | 'left';
  usernames: string[];
  detail: string;
}

/**
 * Repairs what `checkStore` found, every step audited under `actor`. Accounts carrying one identity (one UPN, one MIS
 * person of a school) are merged into the oldest: it takes the others' associations, and they are left unallocated,
 * their identity claims handed on. One that cannot be merged without carrying two MIS persons of a school is left
 * for a person, and said so. An account carrying two MIS persons of one school keeps the longest-standing; the
 * others are taken off it and held for matching beside it, as a run would hold them.
 */
export async function repairStore(db: Db, actor: string, found: readonly IdentityViolation[]): Promise<Repair[]> {
  const repairs: Repair[] = [];
  const at = new Date();
  const today = at.toISOString().slice(0, 10);
  for (const v of found) {
    if (v.kind === 'two_mis_persons_one_school') {
      repairs.push(await holdExtraPersons(db, actor, v, at));
      continue;
    }
    const accounts = (await Promise.all(v.usernames.map((u) => getAccount(db, u)))).filter(
      (a): a is Account => a !== undefined,
    );
    if (accounts.length < 2) {
      repairs.push({ kind: v.kind, action: 'left', usernames: v.usernames, detail: 'already repaired' });
      continue;
    }
    accounts.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.username.localeCompare(b.username));
    const [survivor, ...others] = accounts as [Account, ...Account[]];
    let kept = survivor;
    for (const other of others) {
      const merged = mergeInto(kept, other, today);
      if (!merged) {
        repairs.push({
          kind: v.kind,
          action: 'left',
          usernames: [kept.username, other.username],
          detail: `${other.username} is linked to a different MIS person at a school where ${kept.username} is linked too: a person must decide which is whose`,
        });
        continue;
      }
      const stamp = { actor, at };
      await updateAccounts(
        db,
        [
          { before: kept, after: merged.survivor },
          { before: other, after: merged.other },
        ],
        { stamp },
      );
      await handOnIdentities(db, other.username, kept.username, accountIdentityKeys(other));
      await audit(db, [
        {
          at,
          actor,
          action: 'identity.merged',
          username: kept.username,
          detail: `took over the associations of ${other.username} (${VIOLATION_WORDS[v.kind]})`,
        },
        {
          at,
          actor,
          action: 'identity.merged',
          username: other.username,
          detail: `merged into ${kept.username}: its associations ended and its UPN moved there (${VIOLATION_WORDS[v.kind]})`,
        },
      ]);
      repairs.push({
        kind: v.kind,
        action: 'merged',
        usernames: [kept.username, other.username],
        detail: `${other.username} merged into ${kept.username}`,
      });
      kept = { ...merged.survivor, version: kept.version + 1 };
    }
  }
  return repairs;
}

/**
 * The survivor with the other's associations added (one it has for the same school and person stays, made active
 * if the other's is), and the other with all of its associations ended; undefined when the survivor would then
 * carry two MIS persons of one school.
 */
function mergeInto(
  survivor: Account,
  other: Account,
  today: string,
): { survivor: Account; other: Account } | undefined {
  const after = structuredClone(survivor);
  for (const x of other.associations) {
    const same = after.associations.findIndex(
      (y) => y.dfeNumber === x.dfeNumber && y.source === x.source && y.misPersonId === x.misPersonId,
    );
    if (same >= 0) {
      if (x.status === 'active') after.associations[same] = x;
      continue;
    }
    const clash = after.associations.some(
      (y) =>
        x.source === 'mis' &&
        x.status === 'active' &&
        y.dfeNumber === x.dfeNumber &&
        y.source === 'mis' &&
        y.status === 'active' &&
        y.misPersonId !== x.misPersonId,
    );
    if (clash) return undefined;
    after.associations.push(x);
  }
  after.status = accountStatus(after.associations);
  after.updatedAt = new Date().toISOString();
  const ended = structuredClone(other);
  ended.associations = ended.associations.map((x) =>
    x.status === 'active' ? { ...x, status: 'ended' as const, until: today } : x,
  );
  ended.status = accountStatus(ended.associations);
  // the identity it carried is the survivor's now: a UPN stays on one account
  delete ended.upn;
  ended.updatedAt = after.updatedAt;
  return { survivor: after, other: ended };
}

async function holdExtraPersons(
  db: Db,
  actor: string,
  v: Extract<IdentityViolation, { kind: 'two_mis_persons_one_school' }>,
  at: Date,
): Promise<Repair> {
  const [username] = v.usernames;
  const account = await getAccount(db, username);
  const here = (account?.associations ?? [])
    .filter((x) => x.dfeNumber === v.dfeNumber && x.source === 'mis' && x.status === 'active' && x.misPersonId)
    .sort((a, b) => (a.since ?? '').localeCompare(b.since ?? '') || a.misPersonId!.localeCompare(b.misPersonId!));
  if (!account || here.length < 2)
    return { kind: v.kind, action: 'left', usernames: v.usernames, detail: 'already repaired' };
  const [, ...extra] = here;
  const after = structuredClone(account);
  const held = new Set(extra.map((x) => x.misPersonId));
  after.associations = after.associations.filter(
    (x) => !(x.dfeNumber === v.dfeNumber && x.source === 'mis' && x.status === 'active' && held.has(x.misPersonId)),
  );
  after.status = accountStatus(after.associations);
  after.updatedAt = at.toISOString();
  await updateAccounts(db, [{ before: account, after }], { stamp: { actor, at } });
  const person = { kind: account.kind, ...detailsOf(account) } as PersonFields;
  const holds: HeldMatch[] = extra.map((x) => ({
    personId: x.misPersonId!,
    report: x.role === 'pupil' ? 'students' : 'staff',
    person,
    startDate: x.since,
    candidates: [
      {
        username,
        score: 1,
        certain: false,
        reasons: ['was linked to this account beside another MIS person of the school'],
      },
    ],
  }));
  await saveHeldMatches(db, v.dfeNumber, `doctor:${at.toISOString()}`, holds, held as Set<string>, []);
  await audit(
    db,
    holds.map((h) => ({
      at,
      actor,
      action: 'identity.held',
      dfeNumber: v.dfeNumber,
      username,
      detail: `MIS person ${h.personId} taken off the account (it carried two MIS persons of the school) and held for matching`,
    })),
  );
  return {
    kind: v.kind,
    action: 'held',
    usernames: [username],
    detail: `kept MIS person ${here[0]!.misPersonId}; held ${extra.map((x) => x.misPersonId).join(', ')} for matching`,
  };
}
