// Documents by a list of `_id`s, in commands of at most IDS_PER_READ: one `$in` query each, which MongoDB and our
// FerretDB build (scripts/ensure-ferretdb.mjs) both answer from the `_id` index.
import type { Collection, Document } from 'mongodb';

export const IDS_PER_READ = 500;

export async function findByIds<T extends Document>(
  coll: Collection<T>,
  ids: readonly string[],
  projection?: Document,
): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < ids.length; i += IDS_PER_READ)
    out.push(
      ...((await coll
        .find({ _id: { $in: ids.slice(i, i + IDS_PER_READ) } } as never, projection ? { projection } : {})
        .toArray()) as T[]),
    );
  return out;
}

/**
 * A filter of the `_id`s that start with `prefix`, which ends with ':' (a school's DfE number and ':', say), as an
 * `_id` range both stores answer from the `_id` index. The range starts at the prefix with '9' for its ':', not at
 * the prefix itself: our FerretDB build compares the JSON texts of strings, where `"…:"` sorts after `"…: x"`
 * (the closing quote after a space or '!'). A string that starts with the shorter text and '9' is in the range too:
 * the caller keeps only its own documents.
 */
export function idsStartingWith(prefix: string): { _id: { $gte: string; $lt: string } } {
  if (!prefix.endsWith(':')) throw new Error(`an _id prefix ends with ':' (${prefix})`);
  const stem = prefix.slice(0, -1);
  return { _id: { $gte: `${stem}9`, $lt: `${stem};` } };
}
