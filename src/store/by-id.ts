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
