// A school's roster: the accounts associated with the school, packed (JSON, deflated) into one document keyed by
// the school, so a run reads its school with one `_id` lookup. Any other query of `accounts` costs a scan of the
// whole collection on the embedded store (FerretDB 1.24 decodes every account of the LA to filter them), which
// would make a school's run cost grow with its LA instead of with the school.
//
// An epoch keeps a roster honest. Every account write moves the epoch of each school the account is at, once
// before the write and once after it. A roster is used only when it was built at the current epoch; otherwise the
// accounts are read from their collection and the roster is built again. A process that dies between the two
// moves leaves the epoch moved, so its roster is rebuilt, never trusted stale.
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { Binary, BSON, type Db } from 'mongodb';
import { bulkWriteInBatches } from './bulk.js';
import { upsertRacing } from './write-errors.js';

export interface RosterDoc {
  _id: string;
  epoch: number;
  /** The epoch the packed accounts were read or written at; they are current only while it equals `epoch`. */
  builtAt?: number;
  /** The accounts one after another, each after its length (4 bytes, little-endian), deflated. */
  data?: Binary;
  /** How each account is written in `data`: JSON text, or BSON (rosters saved before; BSON carries its length). */
  format?: 'json';
  /** Each account's lookup keys, in the same order: deflated JSON. */
  keys?: Binary;
  /** The rule `keys` were worked out by (`RosterKeys.rule`); a roster saved before has only the block keys. */
  keysRule?: string;
  size?: number;
}

/** How an entry's lookup keys are worked out, and the name of that rule (saved beside them). */
export interface RosterKeys {
  rule: string;
  of: (entry: Record<string, unknown>) => readonly string[];
}

/**
 * Where an entry's keys were read from, with the rule they were worked out by: a roster saved again after a run
 * keeps its unchanged entries' keys as they were (decoded then, once a roster), and works out only the others.
 */
const keysRead = new WeakMap<object, { rule: string; from: { keys: Binary; lists?: string[][] }; index: number }>();

const coll = (db: Db) => db.collection<RosterDoc>('rosters');

/** A packed roster above this is not kept (a document holds at most 16 MB): that school is read from its accounts. */
const MAX_PACKED_BYTES = 12 * 2 ** 20;

/** Set once every school with accounts has a roster entry: from then on, no entry means no accounts. */
const COMPLETE_ID = 'rosters';
const complete = new WeakMap<Db, true>();

/** Whether every school with accounts is known to have a roster entry. */
export async function rostersComplete(db: Db): Promise<boolean> {
  if (complete.has(db)) return true;
  const mark = await db.collection<{ _id: string }>('globals').findOne({ _id: COMPLETE_ID });
  if (mark) complete.set(db, true);
  return Boolean(mark);
}

/** Records that every school with accounts now has a roster entry (after `moveEpochs` over all of them). */
export async function markRostersComplete(db: Db): Promise<void> {
  await db
    .collection<{ _id: string; at: Date }>('globals')
    .updateOne({ _id: COMPLETE_ID }, { $setOnInsert: { at: new Date() } }, { upsert: true });
  complete.set(db, true);
}

/**
 * Moves the epoch of each school (making its entry if need be), so a roster built before is not used again. `moved`
 * counts the moves per school, for a run that wants to keep its roster after its own writes.
 */
export async function moveEpochs(
  db: Db,
  schools: Iterable<string>,
  moved?: Map<string, number>,
  options: { dropData?: boolean } = {},
): Promise<void> {
  const ids = [...new Set(schools)].sort();
  if (ids.length === 0) return;
  const update = options.dropData
    ? {
        $inc: { epoch: 1 },
        $unset: {
          data: '' as const,
          keys: '' as const,
          keysRule: '' as const,
          builtAt: '' as const,
          size: '' as const,
        },
      }
    : { $inc: { epoch: 1 } };
  // two writers making the same school's first entry at once: one insert loses, and the retry moves it
  await upsertRacing(() =>
    bulkWriteInBatches(
      coll(db),
      ids.map((_id) => ({ updateOne: { filter: { _id }, update, upsert: true } })),
      { ordered: true },
    ),
  );
  for (const id of ids) moved?.set(id, (moved.get(id) ?? 0) + 1);
}

/** Whether a roster entry holds accounts current at its epoch. */
const current = (doc: RosterDoc): doc is RosterDoc & { data: Binary; keys: Binary } =>
  Boolean(doc.data && doc.keys && doc.builtAt === doc.epoch);

/**
 * The school's packed accounts, when they are current; otherwise only the epoch, to build the roster at. With no
 * entry at all the school has no accounts, once every school with accounts is known to have one.
 */
export async function readRoster(
  db: Db,
  dfeNumber: string,
): Promise<{ epoch: number; entries?: Record<string, unknown>[] }> {
  const doc = await coll(db).findOne({ _id: dfeNumber });
  if (!doc) return (await rostersComplete(db)) ? { epoch: 0, entries: [] } : { epoch: 0 };
  if (!current(doc)) return { epoch: doc.epoch };
  const entries = unpack(db, doc);
  if (doc.keysRule) {
    const from = { keys: doc.keys };
    entries.forEach((entry, index) => keysRead.set(entry, { rule: doc.keysRule!, from, index }));
  }
  return { epoch: doc.epoch, entries };
}

const entryKeys = (doc: { keys: Binary }) => JSON.parse(inflateRawSync(doc.keys.buffer).toString('utf8')) as string[][];

/**
 * The school's accounts with any of the given keys, when its roster is current (undefined otherwise). Only those
 * accounts are decoded: the keys are packed apart, so looking through an LA's rosters costs little memory.
 */
export async function rosterEntriesWithKeys(
  db: Db,
  dfeNumber: string,
  wanted: ReadonlySet<string>,
  options: {
    /** The keys wanted are this rule's: a roster saved by another has its entries' keys worked out again. */
    keys?: RosterKeys;
    /** Sees every entry's keys (to count values across rosters without decoding their accounts). */
    tally?: (keys: readonly string[]) => void;
    /** Only tally: no entry is wanted. */
    tallyOnly?: boolean;
  } = {},
): Promise<Record<string, unknown>[] | undefined> {
  const doc = await coll(db).findOne({ _id: dfeNumber });
  if (!doc) return (await rostersComplete(db)) ? [] : undefined;
  if (!current(doc)) return undefined;
  const worked = options.keys && doc.keysRule !== options.keys.rule ? options.keys : undefined;
  const all = worked ? unpack(db, doc) : undefined;
  const keys = all && worked ? all.map(worked.of) : entryKeys(doc);
  const hits = new Set<number>();
  keys.forEach((k, i) => {
    options.tally?.(k);
    if (!options.tallyOnly && k.some((x) => wanted.has(x))) hits.add(i);
  });
  if (all) return all.filter((_e, i) => hits.has(i));
  return hits.size ? unpack(db, doc, hits) : [];
}

/**
 * Keeps the school's accounts as read or written at `epoch`, unless the epoch has moved on since. `rule` gives the
 * lookup keys of an entry, packed apart for `rosterEntriesWithKeys`.
 */
export async function saveRoster(
  db: Db,
  dfeNumber: string,
  epoch: number,
  entries: readonly Record<string, unknown>[],
  rule: RosterKeys,
): Promise<boolean> {
  const data = pack(entries);
  const lists = entries.map((e) => {
    const read = keysRead.get(e);
    if (read?.rule !== rule.rule) return rule.of(e);
    read.from.lists ??= entryKeys(read.from);
    return read.from.lists[read.index] ?? rule.of(e);
  });
  const keys = new Binary(deflateRawSync(Buffer.from(JSON.stringify(lists)), { level: 1 }));
  if (data.length() + keys.length() > MAX_PACKED_BYTES) return false;
  try {
    const res = await coll(db).updateOne(
      { _id: dfeNumber, epoch },
      { $set: { builtAt: epoch, data, keys, keysRule: rule.rule, size: entries.length, format: 'json' } },
      { upsert: epoch === 0 },
    );
    return res.matchedCount + res.upsertedCount === 1;
  } catch (err) {
    // the entry was made by a writer meanwhile: its epoch has moved, so this roster is not current anyway
    if ((err as { code?: number }).code === 11000) return false;
    throw err;
  }
}

/**
 * The text an entry was decoded from, while the entry lives: an entry kept as it was read is packed again from it,
 * not serialised again (a run that changes a few accounts keeps the rest of its school's roster as it found it).
 */
const bytesOf = new WeakMap<object, Uint8Array>();

/**
 * The entries as JSON texts one after another, each after its length, deflated. JSON, not BSON: an account holds
 * only text, numbers, lists and objects, and V8 reads JSON about twice as fast as BSON is decoded in JavaScript.
 */
function pack(entries: readonly Record<string, unknown>[]): Binary {
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    const text = bytesOf.get(e) ?? Buffer.from(JSON.stringify(e));
    const size = Buffer.allocUnsafe(4);
    size.writeInt32LE(text.length);
    parts.push(size, text);
  }
  return new Binary(deflateRawSync(Buffer.concat(parts), { level: 1 }));
}

/** The packed entries, or only those at the given positions. */
function unpack(
  db: Db,
  doc: Pick<RosterDoc, 'format'> & { data: Binary },
  only?: ReadonlySet<number>,
): Record<string, unknown>[] {
  const { promoteBuffers, promoteLongs, promoteValues, bsonRegExp, useBigInt64 } = db.bsonOptions;
  const options = { promoteBuffers, promoteLongs, promoteValues, bsonRegExp, useBigInt64 };
  const bytes = inflateRawSync(doc.data.buffer);
  const json = doc.format === 'json';
  const out: Record<string, unknown>[] = [];
  for (let offset = 0, i = 0; offset < bytes.length; i++) {
    const size = bytes.readInt32LE(offset);
    if (json) {
      if (!only || only.has(i)) {
        const text = bytes.subarray(offset + 4, offset + 4 + size);
        const entry = JSON.parse(text.toString('utf8')) as Record<string, unknown>;
        bytesOf.set(entry, text);
        out.push(entry);
      }
      offset += 4 + size;
    } else {
      if (!only || only.has(i)) out.push(BSON.deserialize(bytes.subarray(offset, offset + size), options));
      offset += size;
    }
  }
  return out;
}
