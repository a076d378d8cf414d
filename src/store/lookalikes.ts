// The look-alike index (keys in domain/lookalike-keys.ts): one document per key, `_id` the key, holding the entries
// of the accounts filed there, so a run finds a person's look-alikes with a few `_id` reads, on the embedded store
// (where our FerretDB build reads a list of `_id`s, or a range of them, through its index) and on MongoDB alike.
//
// The index is kept a superset of the accounts, so it never hides one: an account's entries are added before the
// write that needs them; entries an account no longer has are taken out only after its write, and then the
// account's entries as it stands are read back and added again, so a concurrent writer's change is never lost. A
// crash leaves at most an entry too many, which a reader checks against the account itself.
//
// Writes go in insert commands for new keys (one statement for many documents) and in batches of WRITE_BATCH
// updates for keys already there: FerretDB 1.24 wedges on a command of 100 statements or more.
import type { AnyBulkWriteOperation, Db } from 'mongodb';
import { bulkWriteInBatches } from './bulk.js';
import { findByIds } from './by-id.js';
import { insertUnlessPresent } from './write-errors.js';
import { LOOKALIKE_KEYS_VERSION, decodeEntry, indexEntries, type IndexedPerson } from '../domain/lookalike-keys.js';
import type { Account } from '../domain/model.js';

export interface LookalikeDoc {
  _id: string;
  /** Entries (domain/lookalike-keys.ts `encodeEntry`) of the accounts filed under the key. */
  e?: string[];
}

export const lookalikes = (db: Db) => db.collection<LookalikeDoc>('lookalikes');

/** New key documents per insert command (one statement however many). */
const INSERT_BATCH = 1000;

const MARK_ID = 'lookalikes';

/**
 * Whether every account is in the index, under this build's keys (otherwise runs look accounts up the older way).
 * Read afresh each time (one `_id` read a run): a restore or a rebuild in another process changes it.
 */
export async function lookalikeIndexReady(db: Db): Promise<boolean> {
  const mark = await db.collection<{ _id: string; version?: number }>('globals').findOne({ _id: MARK_ID });
  return mark?.version === LOOKALIKE_KEYS_VERSION;
}

/** Marks the index complete (after `ensureLookalikeIndex` has filed every account), or takes the mark away. */
export async function markLookalikeIndex(db: Db, complete: boolean): Promise<void> {
  const globals = db.collection<{ _id: string; version?: number; at?: Date }>('globals');
  if (complete)
    await globals.replaceOne({ _id: MARK_ID }, { version: LOOKALIKE_KEYS_VERSION, at: new Date() }, { upsert: true });
  else await globals.deleteOne({ _id: MARK_ID });
}

// A run that makes many accounts at once (a school's first sync) leaves them to be filed after it, so its writes are
// its accounts and their audit: the school is listed as pending in its LA's document (`pending|LA`), under the run
// that made them, before they are written. Until it is filed, a search reads a pending school's roster whole (the
// older way); `filePending` (sync/lookalike-filing.ts) files it once that run is over and takes it off the list,
// unless a later run has listed it again meanwhile.
const pendingId = (laCode: string) => `pending|${laCode}`;
type PendingDoc = { _id: string; schools?: Record<string, string> };
const pendingColl = (db: Db) => db.collection<PendingDoc>('lookalikes');

/** Lists the school as pending until the accounts `runId` makes are filed. */
export async function markPending(db: Db, laCode: string, dfeNumber: string, runId: string): Promise<void> {
  await pendingColl(db).updateOne(
    { _id: pendingId(laCode) },
    { $set: { [`schools.${dfeNumber}`]: runId } },
    { upsert: true },
  );
}

/** The LA's pending schools, each with the run whose accounts wait to be filed. */
export async function pendingSchools(db: Db, laCode: string): Promise<Map<string, string>> {
  const doc = await pendingColl(db).findOne({ _id: pendingId(laCode) });
  return new Map(Object.entries(doc?.schools ?? {}));
}

/** Every LA's pending schools (a range of `_id`s). */
export async function allPending(db: Db): Promise<{ laCode: string; dfeNumber: string; runId: string }[]> {
  const docs = await pendingColl(db)
    .find({ _id: { $gte: 'pending|', $lt: 'pending|~' } })
    .toArray();
  return docs.flatMap((d) =>
    Object.entries(d.schools ?? {}).map(([dfeNumber, runId]) => ({
      laCode: d._id.slice('pending|'.length),
      dfeNumber,
      runId,
    })),
  );
}

/** Takes the school off the list, unless a later run listed it again. */
export async function clearPending(db: Db, laCode: string, dfeNumber: string, runId: string): Promise<boolean> {
  const res = await pendingColl(db).updateOne(
    { _id: pendingId(laCode), [`schools.${dfeNumber}`]: runId },
    { $unset: { [`schools.${dfeNumber}`]: '' } },
  );
  return res.modifiedCount === 1;
}

/** Files each account under its keys (before the write that makes it so). */
export async function fileAccounts(db: Db, accounts: readonly Account[]): Promise<void> {
  await addEntries(db, indexChanges(accounts.map((after) => ({ after }))).added);
}

async function addEntries(db: Db, byKey: ReadonlyMap<string, ReadonlySet<string>>): Promise<void> {
  const docs = [...byKey].map(([_id, entries]) => ({ _id, e: [...entries] }));
  const present: typeof docs = [];
  for (let i = 0; i < docs.length; i += INSERT_BATCH) {
    const batch = docs.slice(i, i + INSERT_BATCH);
    const inserted = new Set(await insertUnlessPresent(lookalikes(db), batch));
    batch.forEach((d, index) => inserted.has(index) || present.push(d));
  }
  await bulkWriteInBatches(
    lookalikes(db),
    // an upsert: a key emptied and taken out meanwhile (`dropEmptied`) is made again
    present.map((d) => ({
      updateOne: { filter: { _id: d._id }, update: { $addToSet: { e: { $each: d.e } } }, upsert: true },
    })),
    { ordered: false },
  );
}

/** What a set of changes does to the index: the entries to add before the writes, and to take out after them. */
export interface IndexChanges {
  added: Map<string, Set<string>>;
  gone: Map<string, Set<string>>;
  /** The accounts whose entries `gone` holds, read back after the writes and filed as they are then. */
  usernames: string[];
}

const put = (m: Map<string, Set<string>>, key: string, entry: string) => {
  const set = m.get(key) ?? new Set<string>();
  set.add(entry);
  m.set(key, set);
};

/** The entries each change adds and takes away (most changes, a class or a date, touch none). */
export function indexChanges(changes: readonly { before?: Account; after?: Account }[]): IndexChanges {
  const out: IndexChanges = { added: new Map(), gone: new Map(), usernames: [] };
  for (const { before, after } of changes) {
    const b = before ? indexEntries(before) : new Map<string, string>();
    const a = after ? indexEntries(after) : new Map<string, string>();
    for (const [k, e] of a) if (b.get(k) !== e) put(out.added, k, e);
    let gone = false;
    for (const [k, e] of b)
      if (a.get(k) !== e) {
        put(out.gone, k, e);
        gone = true;
      }
    if (gone) out.usernames.push((before ?? after)!.username);
  }
  return out;
}

/** Files the entries changes add (before their writes). */
export async function fileAdded(db: Db, changes: IndexChanges): Promise<void> {
  await addEntries(db, changes.added);
}

/**
 * Takes out the entries the changes took away (after their writes), then reads the accounts back and adds again any
 * entry taken out that an account as it stands still has (another writer changed it back meanwhile), so an entry is
 * never left missing. Only this writer's pulls can take an entry away, so only those are checked: the rest of the
 * accounts' entries are left as they are, not written again.
 */
export async function takeOutGone(
  db: Db,
  changes: IndexChanges,
  current: (usernames: string[]) => Promise<readonly Account[]>,
): Promise<void> {
  if (changes.gone.size === 0) return;
  await bulkWriteInBatches(
    lookalikes(db),
    [...changes.gone].map(([_id, entries]) => ({
      updateOne: { filter: { _id }, update: { $pullAll: { e: [...entries] } } },
    })),
    { ordered: false },
  );
  const restored = new Map<string, Set<string>>();
  for (const account of await current(changes.usernames))
    for (const [key, entry] of indexEntries(account)) if (changes.gone.get(key)?.has(entry)) put(restored, key, entry);
  await addEntries(db, restored);
  await dropEmptied(db, [...changes.gone.keys()]);
}

/**
 * Takes out the keys left with no entry: a key is made of personal data (a UPN, a birth date, a name), so it goes
 * with the last entry under it. Only a key still empty is taken out (one filed meanwhile stays).
 */
async function dropEmptied(db: Db, keys: readonly string[]): Promise<void> {
  const empty = (await keyDocs(db, keys)).filter((d) => !d.e?.length).map((d) => d._id);
  await bulkWriteInBatches(
    lookalikes(db),
    empty.map((_id) => ({ deleteOne: { filter: { _id, e: { $size: 0 } } } })),
    { ordered: false },
  );
}

/** The documents of the keys that have one. */
const keyDocs = (db: Db, keys: readonly string[]) => findByIds(lookalikes(db), keys);

const decoded = (d: LookalikeDoc) => (d.e ?? []).map(decodeEntry).filter((x): x is IndexedPerson => x !== undefined);

/** The entries filed under each key (a key with none is left out). */
export async function readKeys(db: Db, keys: readonly string[]): Promise<Map<string, IndexedPerson[]>> {
  return new Map((await keyDocs(db, keys)).filter((d) => d.e?.length).map((d) => [d._id, decoded(d)]));
}

/** The entries under every key that starts with `prefix` (a range of `_id`s, read through the index). */
export async function readPrefix(db: Db, prefix: string): Promise<IndexedPerson[]> {
  // keys are written with letters, digits and | % - only, so "~" is past every key with this prefix
  const docs = await lookalikes(db)
    .find({ _id: { $gte: prefix, $lt: `${prefix}~` } })
    .toArray();
  return docs.flatMap(decoded);
}

/** The usernames among these accounts that the index lacks an entry of, as they stand (a check over the store). */
export async function unfiled(db: Db, accounts: readonly Account[]): Promise<string[]> {
  const wanted = accounts.map((a) => ({ username: a.username, entries: indexEntries(a) }));
  const keys = [...new Set(wanted.flatMap((w) => [...w.entries.keys()]))];
  const filed = new Map((await keyDocs(db, keys)).map((d) => [d._id, new Set(d.e ?? [])]));
  return wanted.filter((w) => [...w.entries].some(([k, e]) => !filed.get(k)?.has(e))).map((w) => w.username);
}

/** Empties the index (before it is built again from the accounts). */
export async function clearLookalikeIndex(db: Db): Promise<void> {
  await lookalikes(db).deleteMany({});
}

/** Every entry of an account under any key: what erasure takes out, stale ones (left by a crash) included. */
export async function unfileEveryEntryOf(db: Db, username: string): Promise<number> {
  const prefix = JSON.stringify([username]).slice(0, -1) + ',';
  let removed = 0;
  const ops: AnyBulkWriteOperation<LookalikeDoc>[] = [];
  const keys: string[] = [];
  for await (const d of lookalikes(db).find({}).project<LookalikeDoc>({ e: 1 })) {
    const mine = (d.e ?? []).filter((x) => x.startsWith(prefix));
    if (mine.length) {
      keys.push(d._id);
      ops.push({ updateOne: { filter: { _id: d._id }, update: { $pullAll: { e: mine } } } });
      removed += mine.length;
    }
  }
  await bulkWriteInBatches(lookalikes(db), ops, { ordered: false });
  await dropEmptied(db, keys);
  return removed;
}
