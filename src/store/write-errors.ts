// What a failed unordered insert says per document. A failed command (a timeout, a lost connection) has no
// per-document errors and is the caller's to throw; "duplicate key" on `_id` is how a claim finds it already taken.
import { MongoBulkWriteError, type Collection, type Document, type OptionalUnlessRequiredId } from 'mongodb';

/** The per-document errors of a failed bulk write; empty for any other failure. */
export function writeErrorsOf(err: unknown): { index: number; code?: number; errmsg?: string }[] {
  if (!(err instanceof MongoBulkWriteError)) return [];
  return (Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors]).filter(Boolean);
}

/**
 * Inserts each document whose `_id` is not there yet; returns the indexes of those inserted. Any error but a
 * duplicate key (or a failed command) is thrown.
 */
export async function insertUnlessPresent<T extends Document>(
  coll: Collection<T>,
  docs: readonly OptionalUnlessRequiredId<T>[],
): Promise<number[]> {
  const present = new Set<number>();
  try {
    await coll.insertMany([...docs], { ordered: false });
  } catch (err) {
    const errors = writeErrorsOf(err);
    if (errors.length === 0 || errors.some((e) => e.code !== 11000)) throw err;
    for (const e of errors) present.add(e.index);
  }
  return docs.map((_, index) => index).filter((index) => !present.has(index));
}
