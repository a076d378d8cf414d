// The one way the store sends a bulk write: split into commands of at most WRITE_BATCH statements each. FerretDB
// 1.24 (SQLite) holds a pooled connection per statement of a command until the command ends, from a pool of 100, so
// one command of 100 or more statements never finishes and wedges the whole server (every database, every client).
// Callers hand over any number of operations; none of them has to remember the limit. The linter keeps `bulkWrite`
// out of every other module.
import type { AnyBulkWriteOperation, BulkWriteOptions, Collection, Document } from 'mongodb';
import { WRITE_BATCH } from './kind.js';

export interface BulkCounts {
  matchedCount: number;
  modifiedCount: number;
  upsertedCount: number;
  insertedCount: number;
  deletedCount: number;
}

/**
 * Sends `ops` in commands of at most WRITE_BATCH statements, one after another, and adds up what they did. A failing
 * command stops the rest (ordered or not, the caller learns of the first failure with nothing after it sent), so a
 * retry of the same operations is safe wherever the operations themselves are idempotent.
 */
export async function bulkWriteInBatches<T extends Document>(
  coll: Collection<T>,
  ops: readonly AnyBulkWriteOperation<T>[],
  options: BulkWriteOptions & { signal?: AbortSignal } = {},
): Promise<BulkCounts> {
  const { signal, ...writeOptions } = options;
  const counts: BulkCounts = { matchedCount: 0, modifiedCount: 0, upsertedCount: 0, insertedCount: 0, deletedCount: 0 };
  for (let i = 0; i < ops.length; i += WRITE_BATCH) {
    signal?.throwIfAborted();
    const res = await coll.bulkWrite(ops.slice(i, i + WRITE_BATCH) as AnyBulkWriteOperation<T>[], writeOptions);
    counts.matchedCount += res.matchedCount;
    counts.modifiedCount += res.modifiedCount;
    counts.upsertedCount += res.upsertedCount;
    counts.insertedCount += res.insertedCount;
    counts.deletedCount += res.deletedCount;
  }
  return counts;
}
