// The floor under a first sync: every document it left in the store, inserted again as it is, in unordered bulk
// inserts of up to 1,000 into collections indexed as the store's are. A first sync writes these same documents and
// reads, plans and checks besides, so it cannot beat this; `first_sync` against it is what the sync adds to its own
// writes, and this against `raw_insert_many` is what the writes it must make (audit, identity claims, the export,
// the school's data, its run) add to the accounts alone.
import { BSON, type Db, type Document } from 'mongodb';
import { collectionNames, indexesFor, type CollectionName } from '../src/store/indexes.js';
import type { StoreKind } from '../src/store/kind.js';

export type StoreDocs = Map<CollectionName, Document[]>;

/** Every document of the store's own collections. */
export async function storeDocs(db: Db): Promise<StoreDocs> {
  const out: StoreDocs = new Map();
  for (const name of collectionNames) out.set(name, await db.collection(name).find({}).toArray());
  return out;
}

/** The documents in the store now that were not there, as they are now, in `before`. */
export async function writtenSince(db: Db, before: StoreDocs): Promise<StoreDocs> {
  const out: StoreDocs = new Map();
  for (const [name, docs] of await storeDocs(db)) {
    const seen = new Set((before.get(name) ?? []).map((d) => BSON.EJSON.stringify(d, { relaxed: false })));
    const written = docs.filter((d) => !seen.has(BSON.EJSON.stringify(d, { relaxed: false })));
    if (written.length) out.set(name, written);
  }
  return out;
}

/** Inserts the documents again into fresh copies of their collections; returns how many were inserted. */
export async function insertAgain(db: Db, kind: StoreKind, docs: StoreDocs, prefix: string): Promise<number> {
  let count = 0;
  for (const [name, list] of docs) {
    const copy = db.collection(`${prefix}${name}`);
    const specs = indexesFor(name, kind);
    if (specs.length) await copy.createIndexes(specs);
    for (let i = 0; i < list.length; i += 1000) {
      await copy.insertMany(list.slice(i, i + 1000), { ordered: false });
      count += Math.min(1000, list.length - i);
    }
  }
  return count;
}
