// USO accounts. `_id` is the username (one for life). Associations are stored as a map keyed by school and MIS
// person, so each write sets only the keys it changed: runs of two schools sharing an account (staff at two
// schools, a pupil moving) never overwrite each other. Writes filter on `_id` alone, which FerretDB 1.24 serves
// without a collection scan. `schools` and `blockKeys` are derived arrays for indexed lookups on MongoDB.
import { MongoBulkWriteError, type AnyBulkWriteOperation, type Db } from 'mongodb';
import { accountBlockKeys } from '../sync/match.js';
import { accountStatus, type Account, type Association } from '../sync/model.js';
import { usernameCandidates } from '../sync/usernames.js';

type StoredFields = Omit<Account, 'associations' | 'username'>;

export interface AccountDoc extends StoredFields {
  _id: string;
  assoc: Record<string, Association>;
  schools: string[];
  blockKeys: string[];
}

const coll = (db: Db) => db.collection<AccountDoc>('accounts');

export const associationKey = (a: Association) => `${a.dfeNumber}|${a.source === 'mis' && a.misPersonId ? a.misPersonId : 'manual'}`;

export function toDoc(a: Account): AccountDoc {
  const { username, associations, ...fields } = a;
  return {
    _id: username,
    ...fields,
    assoc: Object.fromEntries(associations.map((x) => [associationKey(x), x])),
    schools: [...new Set(associations.map((x) => x.dfeNumber))],
    blockKeys: accountBlockKeys(a, [...new Set(associations.map((x) => x.laCode))]),
  };
}

export function fromDoc(d: AccountDoc): Account {
  const { _id, assoc, schools: _s, blockKeys: _b, ...fields } = d;
  const associations = Object.keys(assoc).sort().map((k) => assoc[k]!);
  // status follows the associations, whichever run wrote last
  return { ...fields, username: _id, associations, status: accountStatus(associations) };
}

const stable = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b))) : x));

/** The update that turns `before` into `after`, touching only what differs. */
export function accountUpdate(before: Account, after: Account): { $set: Record<string, unknown>; $unset?: Record<string, ''>; $inc: { version: 1 }; $addToSet?: { schools: { $each: string[] } } } | undefined {
  const b = toDoc(before);
  const a = toDoc(after);
  const $set: Record<string, unknown> = {};
  const $unset: Record<string, ''> = {};
  for (const key of new Set([...Object.keys(b), ...Object.keys(a)]) as Set<keyof AccountDoc>) {
    if (key === '_id' || key === 'assoc' || key === 'schools' || key === 'version') continue;
    if (a[key] === undefined) {
      if (b[key] !== undefined) $unset[key] = '';
    } else if (stable(a[key]) !== stable(b[key])) $set[key] = a[key];
  }
  for (const key of new Set([...Object.keys(b.assoc), ...Object.keys(a.assoc)])) {
    if (!a.assoc[key]) $unset[`assoc.${key}`] = '';
    else if (stable(a.assoc[key]) !== stable(b.assoc[key])) $set[`assoc.${key}`] = a.assoc[key];
  }
  const changedOnlyStamp = Object.keys($set).every((k) => k === 'updatedAt') && Object.keys($unset).length === 0;
  if (changedOnlyStamp) return undefined;
  const newSchools = a.schools.filter((s) => !b.schools.includes(s));
  return {
    $set,
    ...(Object.keys($unset).length ? { $unset } : {}),
    $inc: { version: 1 },
    ...(newSchools.length ? { $addToSet: { schools: { $each: newSchools } } } : {}),
  };
}

/** Accounts associated with the school, and accounts under any of the block keys, in one query. */
export async function accountsForSchool(db: Db, dfeNumber: string, blockKeys: readonly string[] = []): Promise<Account[]> {
  const filter = blockKeys.length ? { $or: [{ schools: dfeNumber }, { blockKeys: { $in: [...blockKeys] } }] } : { schools: dfeNumber };
  return (await coll(db).find(filter).toArray()).map(fromDoc);
}

export async function getAccount(db: Db, username: string): Promise<Account | undefined> {
  const d = await coll(db).findOne({ _id: username });
  return d ? fromDoc(d) : undefined;
}

/** Writes each account's changes since `before`; returns the number of accounts written. */
export async function updateAccounts(db: Db, changes: readonly { before: Account; after: Account }[]): Promise<number> {
  const ops: AnyBulkWriteOperation<AccountDoc>[] = [];
  for (const { before, after } of changes) {
    const update = accountUpdate(before, after);
    if (update) ops.push({ updateOne: { filter: { _id: after.username }, update } });
  }
  let written = 0;
  for (let i = 0; i < ops.length; i += 1000) written += (await coll(db).bulkWrite(ops.slice(i, i + 1000), { ordered: false })).modifiedCount;
  return written;
}

/**
 * Inserts new accounts under the first free username from each one's base (base, base2, base3, ...), trying them
 * in rounds in the order given, so the same store state gives the same usernames. The unique `_id` decides.
 */
export async function insertNewAccounts(db: Db, items: readonly { key: string; base: string; account: Omit<Account, 'username'> }[]): Promise<Map<string, string>> {
  const assigned = new Map<string, string>();
  let pending = [...items];
  for (let round = 0; round < 40 && pending.length > 0; round++) {
    const chosen = new Map<string, string>();
    const used = new Set<string>();
    const docs: AccountDoc[] = [];
    const next: typeof pending = [];
    for (const p of pending) {
      const username = usernameCandidates(p.base, 40)[round]!;
      if (used.has(username)) {
        next.push(p); // a namesake in this batch took it: try the next suffix next round
        continue;
      }
      used.add(username);
      chosen.set(p.key, username);
      docs.push(toDoc({ ...p.account, username }));
    }
    const failed = new Set<string>();
    for (let i = 0; i < docs.length; i += 1000) {
      const batch = docs.slice(i, i + 1000);
      try {
        await coll(db).insertMany(batch, { ordered: false });
      } catch (err) {
        if (!(err instanceof MongoBulkWriteError)) throw err;
        const list = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
        if (list.some((e) => e.code !== 11000)) throw err;
        for (const e of list) failed.add(batch[e.index]!._id);
      }
    }
    for (const p of pending) {
      const username = chosen.get(p.key);
      if (username && !failed.has(username)) assigned.set(p.key, username);
      else if (username) next.push(p);
    }
    pending = next;
  }
  if (pending.length > 0) throw new Error(`could not find free usernames for ${pending.length} accounts`);
  return assigned;
}

export async function insertAccounts(db: Db, accounts: readonly Account[]): Promise<void> {
  for (let i = 0; i < accounts.length; i += 1000) await coll(db).insertMany(accounts.slice(i, i + 1000).map(toDoc), { ordered: false });
}

export async function countAccounts(db: Db): Promise<number> {
  return coll(db).countDocuments();
}
