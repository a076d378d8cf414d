// USO accounts. `_id` is the username (one for life). Associations are stored as a map keyed by school and MIS
// person, so each write sets only the keys it changed: runs of two schools sharing an account (staff at two
// schools, a pupil moving) never overwrite each other. `schools` and `blockKeys` are derived arrays for indexed
// lookups on MongoDB. Every write also stamps `lastChange` (who, which run, when) in the same document, so a crash
// between an account write and its audit entry can be reconciled later (see `accountsChangedByRun`).
//
// A school's accounts are read through its roster (store/rosters.ts): one packed document, current while its epoch
// has not moved. So every write here moves the epoch of each school the account is at, before and after the write.
// An update reads the account back: one another writer changed since it was read may be at a school the writer
// did not know of, which is moved after the write (a run that dies in that moment has it moved when the run is
// settled).
//
// Writes go in batches of WRITE_BATCH: FerretDB 1.24 (SQLite) holds one pooled connection per statement of a
// command until the command ends, from a pool of 100, so an `update` command of 100 or more statements never
// finishes and wedges the server. Filtering on `_id` alone is an index search there (in the build
// scripts/ensure-ferretdb.mjs makes); any other filter decodes every account.
import type { Db } from 'mongodb';
import { bulkWriteInBatches } from './bulk.js';
import { findByIds } from './by-id.js';
import { moveEpochs, readRoster, saveRoster, type RosterKeys } from './rosters.js';
import { WRITE_BATCH } from './kind.js';
import { accountBlockKeys, BLOCK_KEYS_VERSION } from '../domain/blocking.js';
import { indexEntries, LOOKALIKE_KEYS_VERSION } from '../domain/lookalike-keys.js';
import { accountIdentityKeys } from '../domain/identity.js';
import { releaseIdentities } from './identities.js';
import { fileAdded, indexChanges, takeOutGone, unfileEveryEntryOf } from './lookalikes.js';
import { accountStatus, type Account, type Association } from '../domain/model.js';

/** New accounts per insert command: one statement however many documents, so not bound by that pool. */
export const INSERT_BATCH = 1000;

/** Who made an account's latest change, kept on the account itself. */
export interface ChangeStamp {
  actor: string;
  runId?: string;
  at: Date;
}

type StoredFields = Omit<Account, 'associations' | 'username'>;

export interface AccountDoc extends StoredFields {
  _id: string;
  assoc: Record<string, Association>;
  schools: string[];
  blockKeys: string[];
  lastChange?: ChangeStamp;
}

export const coll = (db: Db) => db.collection<AccountDoc>('accounts');

/** Text as a literal inside a regular expression. */
export const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * An association's key in `assoc`. MIS person ids are opaque strings: `%`, `.` and `$` are percent-encoded, since a
 * dot in a field name is a path in an update (and FerretDB refuses it outright) and a leading `$` is an operator.
 */
export const associationKey = (a: Association) =>
  `${a.dfeNumber}|${a.source === 'mis' && a.misPersonId ? a.misPersonId.replace(/[%.$]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`) : 'manual'}`;

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

/** An account as its school's roster keeps it: without its `schools` (the roster says that) or who changed it last. */
export type RosterEntry = Omit<AccountDoc, 'schools' | 'lastChange'>;

/**
 * A roster keeps each account's block keys (the older search's) and the keys it is filed under in the look-alike
 * index, so the accounts of a school not filed yet are found by the index's keys too (store/roster-search.ts).
 */
export const rosterKeys: RosterKeys = {
  rule: `block${BLOCK_KEYS_VERSION}+lookalike${LOOKALIKE_KEYS_VERSION}`,
  of: (e) => [...new Set([...((e as RosterEntry).blockKeys ?? []), ...indexEntries(fromDoc(e as RosterEntry)).keys()])],
};

const rosterEntry = (d: AccountDoc): RosterEntry => {
  const { schools: _s, lastChange: _c, ...entry } = d;
  return entry;
};

/** The schools an account is at (its associations'), whose rosters hold it. */
export const schoolsOf = (a: Pick<Account, 'associations'>) => a.associations.map((x) => x.dfeNumber);
export const docSchools = (d: Pick<AccountDoc, 'assoc'>) => Object.values(d.assoc).map((x) => x.dfeNumber);

/** The stored fields that are not the account's own (copied field by field: a run reads every account of a school). */
const NOT_FIELDS = new Set(['_id', 'assoc', 'schools', 'blockKeys', 'lastChange']);

export function fromDoc(d: RosterEntry): Account {
  const account: Record<string, unknown> = {};
  for (const key in d) if (!NOT_FIELDS.has(key)) account[key] = (d as unknown as Record<string, unknown>)[key];
  const keys = Object.keys(d.assoc);
  const associations = keys.length === 1 ? [d.assoc[keys[0]!]!] : keys.sort().map((k) => d.assoc[k]!);
  account.username = d._id;
  account.associations = associations;
  // status follows the associations, whichever run wrote last
  account.status = accountStatus(associations);
  return account as unknown as Account;
}

const stable = (v: unknown) =>
  JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1)))
      : x,
  );

/** The update that turns `before` into `after`, touching only what differs. */
export function accountUpdate(
  before: Account,
  after: Account,
):
  | {
      $set: Record<string, unknown>;
      $unset?: Record<string, ''>;
      $inc: { version: 1 };
      $addToSet?: { schools: { $each: string[] } };
    }
  | undefined {
  const b = toDoc(before);
  const a = toDoc(after);
  const $set: Record<string, unknown> = {};
  const $unset: Record<string, ''> = {};
  for (const key of new Set([...Object.keys(b), ...Object.keys(a)]) as Set<keyof AccountDoc>) {
    if (key === '_id' || key === 'assoc' || key === 'schools' || key === 'version' || key === 'lastChange') continue;
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
  // an association undone (a correction, written only at the version it was planned from) takes its school out of
  // `schools`; otherwise schools are only added, so two runs adding different schools never overwrite each other
  if (b.schools.some((s) => !a.schools.includes(s))) $set.schools = a.schools;
  return {
    $set,
    ...(Object.keys($unset).length ? { $unset } : {}),
    $inc: { version: 1 },
    ...(newSchools.length && !$set.schools ? { $addToSet: { schools: { $each: newSchools } } } : {}),
  };
}

/** The names (never the values) of the fields an update changes: what the audit says of it. */
export function changedFields(before: Account, after: Account): string[] {
  const update = accountUpdate(before, after);
  if (!update) return [];
  const keys = [...Object.keys(update.$set), ...Object.keys(update.$unset ?? {})].filter(
    (k) => k !== 'updatedAt' && k !== 'blockKeys' && k !== 'schools',
  );
  return [...new Set(keys.map((k) => (k.startsWith('assoc.') ? 'associations' : k)))].sort();
}

/** A roster as read: its entries, and the epoch they were current at. */
export interface RosterRead {
  epoch: number;
  entries: readonly RosterEntry[];
}

/**
 * The school's accounts (those associated with it), with the roster they came from (kept after a run's writes by
 * `keepRostersAfterRun`).
 */
export async function schoolRoster(db: Db, dfeNumber: string): Promise<RosterRead & { accounts: Account[] }> {
  const roster = await readRoster(db, dfeNumber);
  if (roster.entries) {
    const entries = roster.entries as RosterEntry[];
    return { epoch: roster.epoch, entries, accounts: entries.map(fromDoc) };
  }
  // `schools` only ever gains a school; an association undone since leaves the account out of the roster
  const docs = (await coll(db).find({ schools: dfeNumber }).toArray()).filter((d) => docSchools(d).includes(dfeNumber));
  const entries = docs.map(rosterEntry);
  await saveRoster(db, dfeNumber, roster.epoch, entries, rosterKeys);
  return { epoch: roster.epoch, entries, accounts: docs.map(fromDoc) };
}

/** Accounts associated with the school. */
export async function accountsForSchool(db: Db, dfeNumber: string): Promise<Account[]> {
  return (await schoolRoster(db, dfeNumber)).accounts;
}

/** The current rosters of the given schools (those whose roster is not current are left out). */
export async function currentRosters(db: Db, schools: Iterable<string>): Promise<Map<string, RosterRead>> {
  const out = new Map<string, RosterRead>();
  for (const school of new Set(schools)) {
    const r = await readRoster(db, school);
    if (r.entries) out.set(school, { epoch: r.epoch, entries: r.entries as RosterEntry[] });
  }
  return out;
}

/** The schools other than its own whose accounts a run's updates touch. */
export const schoolsTouched = (dfeNumber: string, updates: readonly { before: Account; after: Account }[]) =>
  [...new Set(updates.flatMap((u) => [...schoolsOf(u.before), ...schoolsOf(u.after)]))].filter((s) => s !== dfeNumber);

/**
 * Keeps the rosters a run read after its own writes: each roster's accounts, with the run's updates and new accounts
 * applied the way the store applied them. A roster is kept only when its epoch has moved by the run's writes alone;
 * any other writer meanwhile leaves it to be read again from the accounts. Returns how many accounts each roster
 * written holds.
 */
export async function keepRostersAfterRun(
  db: Db,
  read: ReadonlyMap<string, RosterRead>,
  run: {
    moved: ReadonlyMap<string, number>;
    updates: readonly { before: Account; after: Account }[];
    created: readonly Account[];
  },
): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  for (const [school, roster] of read) {
    const moved = run.moved.get(school) ?? 0;
    if (moved === 0) continue; // nothing written there: the roster is as it was
    const byName = new Map(roster.entries.map((e) => [e._id, e]));
    for (const { before, after } of run.updates) {
      if (!schoolsOf(before).includes(school) && !schoolsOf(after).includes(school)) continue;
      const update = accountUpdate(before, after);
      if (!update) continue;
      if (!schoolsOf(after).includes(school)) byName.delete(after.username);
      else byName.set(after.username, updatedEntry(before, update));
    }
    for (const a of run.created) if (schoolsOf(a).includes(school)) byName.set(a.username, rosterEntry(toDoc(a)));
    await saveRoster(db, school, roster.epoch + moved, [...byName.values()], rosterKeys);
    sizes.set(school, byName.size);
  }
  return sizes;
}

/** The account as the store holds it after `update` (the fields `accountUpdate` sets and unsets, version + 1). */
function updatedEntry(before: Account, update: NonNullable<ReturnType<typeof accountUpdate>>): RosterEntry {
  const entry: Record<string, unknown> = { ...rosterEntry(toDoc(before)) };
  const assoc: Record<string, unknown> = { ...(entry.assoc as AccountDoc['assoc']) };
  for (const [path, value] of Object.entries(update.$set)) {
    if (path.startsWith('assoc.')) assoc[path.slice(6)] = value;
    else if (path !== 'lastChange' && path !== 'schools') entry[path] = value;
  }
  for (const path of Object.keys(update.$unset ?? {})) {
    if (path.startsWith('assoc.')) delete assoc[path.slice(6)];
    else delete entry[path];
  }
  return { ...entry, assoc, version: before.version + 1 } as RosterEntry;
}

/** Accounts under any of the block keys, or whose username starts with the given text (both indexed). */
export async function accountsByKeysOrUsername(
  db: Db,
  blockKeys: readonly string[],
  usernameStart: string,
): Promise<Account[]> {
  const docs = await coll(db)
    .find({
      $or: [{ blockKeys: { $in: [...blockKeys] } }, { _id: { $regex: `^${escape(usernameStart.toLowerCase())}` } }],
    })
    .limit(500)
    .toArray();
  return docs.map(fromDoc);
}

export async function getAccount(db: Db, username: string): Promise<Account | undefined> {
  const d = await coll(db).findOne({ _id: username });
  return d ? fromDoc(d) : undefined;
}

export interface WriteOptions {
  stamp: ChangeStamp;
  /** Called after each batch is written, with the accounts it wrote (the audit goes in step with the writes). */
  afterBatch?: (usernames: string[]) => Promise<void>;
  /** Checked between batches: an aborted run stops cleanly at a batch boundary. */
  signal?: AbortSignal;
  /** Write only an account still at `before`'s version (a correction must not overwrite a later change). */
  ifUnchanged?: boolean;
  /** The caller moves the epochs of every school written once before all its writes and once after (`aroundWrites`). */
  epochsMoved?: boolean;
}

/**
 * Runs several writes of accounts with the epochs of the schools they touch moved once before the first and once
 * after the last, instead of around each batch: a roster built meanwhile is stale all the same, for fewer commands.
 * On a failure the epochs are moved too (a run that dies first has them moved when it is settled).
 */
export async function aroundWrites<T>(
  db: Db,
  accounts: readonly Pick<Account, 'associations'>[],
  moved: Map<string, number>,
  writes: () => Promise<T>,
): Promise<T> {
  const schools = accounts.flatMap(schoolsOf);
  await moveEpochs(db, schools, moved);
  let result: T;
  try {
    result = await writes();
  } catch (err) {
    await moveEpochs(db, schools, moved).catch(() => {});
    throw err;
  }
  await moveEpochs(db, schools, moved);
  return result;
}

export const moveUnlessCaller = (db: Db, schools: readonly string[], options: Pick<WriteOptions, 'epochsMoved'>) =>
  options.epochsMoved ? Promise.resolve() : moveEpochs(db, schools);

/**
 * Writes each account's changes since `before`, in batches; returns the number of accounts written. Accounts are
 * found by `_id` (the one filter the embedded store answers without decoding every account) and their version. With
 * `ifUnchanged`, only accounts still at `before`'s version are written; otherwise one changed meanwhile gets the
 * fields this change sets written over whatever another writer did to the others.
 */
export async function updateAccounts(
  db: Db,
  changes: readonly { before: Account; after: Account }[],
  options: WriteOptions,
): Promise<number> {
  const pending: { before: Account; after: Account; update: NonNullable<ReturnType<typeof accountUpdate>> }[] = [];
  for (const { before, after } of changes) {
    const update = accountUpdate(before, after);
    if (!update) continue;
    update.$set.lastChange = options.stamp;
    pending.push({ before, after, update });
  }
  let written = 0;
  for (let i = 0; i < pending.length; i += WRITE_BATCH) {
    options.signal?.throwIfAborted();
    const batch = pending.slice(i, i + WRITE_BATCH);
    const schools = batch.flatMap((c) => [...schoolsOf(c.before), ...schoolsOf(c.after)]);
    // the look-alike index gains what the batch adds before it is written, and loses what it takes away after
    const index = indexChanges(batch);
    await fileAdded(db, index);
    await moveUnlessCaller(db, schools, options);
    if (options.ifUnchanged) {
      const ops = batch.map((c) => ({
        updateOne: { filter: { _id: c.after.username, version: c.before.version }, update: c.update },
      }));
      written += (await bulkWriteInBatches(coll(db), ops, { ordered: false })).modifiedCount;
      await moveUnlessCaller(db, schools, options);
    } else {
      // written first at the version read: where every account is still as read (the usual case), that is all
      const asRead = await bulkWriteInBatches(
        coll(db),
        batch.map((c) => ({
          updateOne: { filter: { _id: c.after.username, version: c.before.version }, update: c.update },
        })),
        { ordered: false },
      );
      written += asRead.modifiedCount;
      let changedMeanwhile: string[] = [];
      if (asRead.modifiedCount < batch.length) {
        // another writer changed some since they were read: those get their changed fields written over what is
        // there now, and are read back, so a school they gained meanwhile is moved, and so (uncounted) are the
        // known ones, so no run keeps a roster planned from the older version
        const stored = await accountsById(
          db,
          batch.map((c) => c.after.username),
        );
        const rest = batch.filter((c) => !stampedWith(stored.get(c.after.username), options.stamp));
        if (rest.length) {
          written += (
            await bulkWriteInBatches(
              coll(db),
              rest.map((c) => ({ updateOne: { filter: { _id: c.after.username }, update: c.update } })),
              { ordered: false },
            )
          ).modifiedCount;
          const now = await accountsById(
            db,
            rest.map((c) => c.after.username),
          );
          changedMeanwhile = rest.flatMap((c) => {
            const doc = now.get(c.after.username);
            return doc ? [...docSchools(doc), ...schoolsOf(c.after)] : [];
          });
        }
      }
      await moveUnlessCaller(db, schools, options);
      await moveEpochs(db, changedMeanwhile);
    }
    await takeOutGone(db, index, (usernames) => accountsByUsername(db, usernames));
    await options.afterBatch?.(batch.map((c) => c.after.username));
  }
  return written;
}

/** Whether the stored account was last written with this stamp. */
const stampedWith = (doc: AccountDoc | undefined, stamp: ChangeStamp) =>
  doc?.lastChange !== undefined &&
  doc.lastChange.actor === stamp.actor &&
  doc.lastChange.runId === stamp.runId &&
  new Date(doc.lastChange.at).getTime() === stamp.at.getTime();

/** Accounts by username, read by `_id` lists (`findByIds`). */
async function accountsById(db: Db, usernames: readonly string[]): Promise<Map<string, AccountDoc>> {
  return new Map((await findByIds(coll(db), usernames)).map((d) => [d._id, d]));
}

/** The accounts with these usernames that exist. */
export async function accountsByUsername(db: Db, usernames: readonly string[]): Promise<Account[]> {
  return (await findByIds(coll(db), usernames)).map(fromDoc);
}

/** Deletes an account only while it is still at the given version (an undone create that nothing has used). */
export async function deleteAccountIfUnchanged(db: Db, username: string, version: number): Promise<boolean> {
  const doc = await coll(db).findOne({ _id: username, version });
  if (!doc) return false;
  await moveEpochs(db, docSchools(doc));
  const deleted = (await coll(db).deleteOne({ _id: username, version })).deletedCount === 1;
  await moveEpochs(db, docSchools(doc));
  if (deleted)
    await takeOutGone(db, indexChanges([{ before: fromDoc(doc) }]), (usernames) => accountsByUsername(db, usernames));
  return deleted;
}

/**
 * Deletes an account whatever its version (erasure). The rosters that held it lose their packed accounts too, so
 * no copy of the person is left behind in them.
 */
export async function eraseAccount(db: Db, username: string): Promise<boolean> {
  const doc = await coll(db).findOne({ _id: username });
  if (!doc) return false;
  const schools = [...new Set([...docSchools(doc), ...doc.schools])];
  await moveEpochs(db, schools, undefined, { dropData: true });
  const deleted = (await coll(db).deleteOne({ _id: username })).deletedCount === 1;
  await moveEpochs(db, schools, undefined, { dropData: true });
  // the claims on its identity (pseudonymous, but keyed by the person) go with it, and so do its look-alike
  // entries, under whatever keys they were filed (one left by a crash included)
  await releaseIdentities(db, username, accountIdentityKeys(fromDoc(doc)));
  await unfileEveryEntryOf(db, username);
  return deleted;
}
