// Reads over every account, for start-up and checks: rosters and block keys filled in where an earlier version left
// none, and the walk the doctor and the benches make.
import type { AnyBulkWriteOperation, Db } from 'mongodb';
import { bulkWriteInBatches } from './bulk.js';
import { markRostersComplete, moveEpochs, rostersComplete } from './rosters.js';
import { WRITE_BATCH } from './kind.js';
import { BLOCK_KEYS_VERSION } from '../domain/blocking.js';
import type { Account } from '../domain/model.js';
import { type ChangeStamp, type AccountDoc, coll, toDoc, docSchools, fromDoc } from './accounts.js';
import { clearLookalikeIndex, fileAccounts, lookalikeIndexReady, markLookalikeIndex } from './lookalikes.js';

/**
 * Gives every school with accounts a roster entry, once (a store from before rosters existed); after it, a school
 * with no entry has no accounts, and its first run reads nothing. Run at start-up, beside `ensureBlockKeys`.
 */
export async function ensureRosters(db: Db): Promise<void> {
  if (await rostersComplete(db)) return;
  const schools = new Set<string>();
  for await (const d of coll(db).find({}).project<Pick<AccountDoc, 'assoc'>>({ assoc: 1 }))
    for (const s of docSchools(d)) schools.add(s);
  await moveEpochs(db, schools);
  await markRostersComplete(db);
}

/** Every account with who changed it last, one at a time (a whole-store check: memory stays that of one account). */
export async function* allAccounts(db: Db): AsyncGenerator<{ account: Account; lastChange?: ChangeStamp }> {
  for await (const d of coll(db).find({})) yield { account: fromDoc(d), lastChange: d.lastChange };
}

export async function countAccounts(db: Db): Promise<number> {
  return coll(db).countDocuments();
}

/**
 * Re-derives every account's block keys when the rule that makes them (BLOCK_KEYS_VERSION) has changed since they
 * were stored; a no-op otherwise (one `_id` read). Run at start-up, before any run looks accounts up by those keys.
 */
export async function ensureBlockKeys(db: Db): Promise<number> {
  const globals = db.collection<{ _id: string; version: number }>('globals');
  if ((await globals.findOne({ _id: 'blockKeys' }))?.version === BLOCK_KEYS_VERSION) return 0;
  let rewritten = 0;
  let ops: AnyBulkWriteOperation<AccountDoc>[] = [];
  const touched = new Set<string>();
  const flush = async () => {
    if (ops.length) rewritten += (await bulkWriteInBatches(coll(db), ops, { ordered: false })).modifiedCount;
    ops = [];
  };
  for await (const doc of coll(db).find({})) {
    const keys = toDoc(fromDoc(doc)).blockKeys;
    if (JSON.stringify(keys) !== JSON.stringify(doc.blockKeys)) {
      ops.push({ updateOne: { filter: { _id: doc._id }, update: { $set: { blockKeys: keys } } } });
      for (const school of docSchools(doc)) touched.add(school);
    }
    if (ops.length >= WRITE_BATCH) await flush();
  }
  await flush();
  // rosters keep block keys too: theirs are read afresh
  await moveEpochs(db, touched);
  await globals.replaceOne({ _id: 'blockKeys' }, { version: BLOCK_KEYS_VERSION }, { upsert: true });
  return rewritten;
}

/**
 * Builds the look-alike index from the accounts when it is not complete under this build's keys (a store from before
 * it, or keys changed since); a no-op otherwise (one `_id` read). Runs look accounts up the older way until it is
 * marked complete. Run at start-up, before the scheduler starts: an account written by another process while it is
 * built is filed by that writer, but one written before the index was emptied and read before it was filed here
 * could be missed, so it is built with no runs going (as at start-up).
 */
export async function ensureLookalikeIndex(db: Db): Promise<number> {
  if (await lookalikeIndexReady(db)) return 0;
  await markLookalikeIndex(db, false);
  await clearLookalikeIndex(db);
  let filed = 0;
  let batch: Account[] = [];
  const flush = async () => {
    await fileAccounts(db, batch);
    filed += batch.length;
    batch = [];
  };
  for await (const d of coll(db).find({})) {
    batch.push(fromDoc(d));
    if (batch.length >= FILE_BATCH) await flush();
  }
  await flush();
  await markLookalikeIndex(db, true);
  return filed;
}

/** Accounts filed per round of a rebuild. */
const FILE_BATCH = 500;
