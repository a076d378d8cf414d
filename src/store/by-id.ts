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
 * The `_id` range of the strings that start with `stem` and ':', as both stores answer it from the `_id` index. It
 * starts at the stem and '9' (the character before ':'), not at the stem and ':': our FerretDB build compares the
 * JSON texts of strings, where `"…:"` sorts after `"…: x"` (the closing quote after a space or '!'). Strings that
 * start with the stem and '9' are in the range too.
 */
const idsStartingWith = (stem: string) => ({ _id: { $gte: `${stem}9`, $lt: `${stem};` } });

/**
 * A school's documents in a collection whose `_id`s are the school's DfE number, ':' and more: one range of the
 * `_id` index on either store (a query by `dfeNumber` decodes the whole collection on the embedded store).
 */
export async function schoolDocsById<T extends { _id: string; dfeNumber: string }>(
  coll: Collection<T>,
  dfeNumber: string,
): Promise<T[]> {
  const docs = (await coll.find(idsStartingWith(dfeNumber) as never).toArray()) as T[];
  // the range also holds ids of a longer number that starts with this one and '9'
  return docs.filter((d) => d.dfeNumber === dfeNumber);
}
