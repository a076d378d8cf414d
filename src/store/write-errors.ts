// What a failed unordered insert says per document. A failed command (a timeout, a lost connection) has no
// per-document errors and is the caller's to throw; "duplicate key" on `_id` is how a claim finds it already taken.
import { MongoBulkWriteError, type Collection, type Document, type OptionalUnlessRequiredId } from 'mongodb';
import { findByIds } from './by-id.js';

/** The per-document errors of a failed bulk write; empty for any other failure. */
export function writeErrorsOf(err: unknown): { index: number; code?: number; errmsg?: string }[] {
  if (!(err instanceof MongoBulkWriteError)) return [];
  return (Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors]).filter(Boolean);
}

/**
 * Runs an upsert again when it lost the race to make its document (a duplicate key on `_id`: another writer made it
 * at the same moment), so the retry updates the document the other writer made. Any other error is thrown.
 */
export async function upsertRacing<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await write();
    } catch (err) {
      if ((err as { code?: number }).code !== 11000 || attempt > 2) throw err;
    }
  }
}

/**
 * Inserts each document whose `_id` is not there yet; returns the indexes of those inserted. Any error but a
 * duplicate key (or a failed command) is thrown. The `_id`s already there are read first (`findByIds`): FerretDB
 * inserts a batch with a duplicate in it again one document at a time, each in its own transaction, which costs many
 * times the batch; one made by another writer between the read and the insert is still answered as a duplicate.
 */
export async function insertUnlessPresent<T extends Document>(
  coll: Collection<T>,
  docs: readonly OptionalUnlessRequiredId<T>[],
): Promise<number[]> {
  const ids = docs.map((d) => (d as { _id?: unknown })._id);
  const there = new Set((await findByIds(coll, ids as string[], { _id: 1 })).map((d) => String(d._id)));
  const fresh = docs.map((_, index) => index).filter((index) => !there.has(String(ids[index])));
  if (fresh.length === 0) return [];
  const present = new Set<number>();
  try {
    await coll.insertMany(
      fresh.map((index) => docs[index]!),
      { ordered: false },
    );
  } catch (err) {
    const errors = writeErrorsOf(err);
    if (errors.length === 0 || errors.some((e) => e.code !== 11000)) throw err;
    for (const e of errors) present.add(fresh[e.index]!);
  }
  return fresh.filter((index) => !present.has(index));
}
