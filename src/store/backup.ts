// A logical copy of the whole store, through the store's own protocol (so the same for MongoDB and the embedded
// FerretDB): every collection, document by document, in canonical Extended JSON (types kept: dates, binaries), one
// line each, gzipped, between a header and a trailer that counts what was written. A restore checks the trailer (a
// cut-off copy is refused), goes only into an empty store unless told to replace it, and writes in batches the
// embedded store takes.
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { createGunzip, createGzip } from 'node:zlib';
import { BSON, type Db, type Document } from 'mongodb';
import { UsoError } from '../errors.js';

export const BACKUP_FORMAT = 'uso-autoupdate-backup';
const INSERT_BATCH = 500;

interface Header {
  format: typeof BACKUP_FORMAT;
  formatVersion: 1;
  schemaVersion: number;
  serviceVersion: string;
  takenAt: string;
}
interface Trailer {
  end: true;
  counts: Record<string, number>;
}

/** Every collection's name, in a stable order. */
async function collectionsOf(db: Db): Promise<string[]> {
  const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
  return names.filter((n) => !n.startsWith('system.')).sort();
}

/**
 * Writes the store to `path`. `substitute` replaces a document as it is written (the backup's own pause is not
 * copied: a restored store runs as the original did).
 */
export async function backupStore(
  db: Db,
  path: string,
  header: Omit<Header, 'format' | 'formatVersion' | 'takenAt'>,
  substitute: (collection: string, doc: Document) => Document = (_c, d) => d,
): Promise<Record<string, number>> {
  const gzip = createGzip();
  const file = createWriteStream(path, { mode: 0o600 });
  gzip.pipe(file);
  // documents in canonical Extended JSON (their types kept); the header and trailer in plain JSON
  const write = async (line: unknown, ejson = true) => {
    const text = ejson ? BSON.EJSON.stringify(line, { relaxed: false }) : JSON.stringify(line);
    if (!gzip.write(`${text}\n`)) await once(gzip, 'drain');
  };
  const counts: Record<string, number> = {};
  await write({ format: BACKUP_FORMAT, formatVersion: 1, takenAt: new Date().toISOString(), ...header }, false);
  for (const name of await collectionsOf(db)) {
    counts[name] = 0;
    for await (const doc of db.collection(name).find({})) {
      await write({ c: name, d: substitute(name, doc) });
      counts[name]++;
    }
  }
  await write({ end: true, counts } satisfies Trailer, false);
  gzip.end();
  await once(file, 'close');
  return counts;
}

/** Reads a backup's header, and checks its trailer is there (a copy cut off part-way is not restored). */
export async function readBackupHeader(path: string): Promise<Header & { counts: Record<string, number> }> {
  let header: Header | undefined;
  let trailer: Trailer | undefined;
  // only the first and last lines are read as values: the documents between are not parsed here
  for await (const line of lines(path)) {
    if (!header) {
      const value = parseLine(line) as Partial<Header>;
      if (value.format !== BACKUP_FORMAT) throw new UsoError('usage', `${path} is not a uso-autoupdate backup`);
      header = value as Header;
    } else if (line.startsWith('{"end":')) trailer = parseLine(line) as Trailer;
  }
  if (!header) throw new UsoError('usage', `${path} is empty`);
  if (!trailer) throw new UsoError('usage', `${path} is cut off (no end record): take the backup again`);
  return { ...header, counts: trailer.counts };
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    throw new UsoError('usage', 'a line of the backup is not JSON');
  }
}

async function* lines(path: string): AsyncGenerator<string> {
  const input = createReadStream(path).pipe(createGunzip());
  const reader = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const line of reader) if (line) yield line;
  } catch (err) {
    throw new UsoError('usage', `${path} cannot be read as a backup: ${(err as Error).message}`, { cause: err });
  }
}

/** True when the store holds no school, account or audit entry (only what opening a store writes for itself). */
export async function storeIsEmpty(db: Db): Promise<boolean> {
  for (const name of ['schools', 'accounts', 'audit']) if (await db.collection(name).findOne({})) return false;
  return true;
}

/**
 * Restores a backup into `db`: into an empty store, or, with `replace`, over one (every collection is dropped first).
 * Returns how many documents went into each collection; the caller prepares the store afterwards (indexes, migrations).
 */
export async function restoreStore(
  db: Db,
  path: string,
  options: { replace?: boolean } = {},
): Promise<Record<string, number>> {
  const header = await readBackupHeader(path);
  if (!options.replace && !(await storeIsEmpty(db)))
    throw new UsoError(
      'usage',
      'the store is not empty: restore into an empty one, or pass --replace to drop what is there',
    );
  // what opening the store wrote for itself (its schema version, marks) goes too: the backup's own come back
  for (const name of await collectionsOf(db)) await db.collection(name).drop();
  const counts: Record<string, number> = {};
  let batch: { name: string; docs: Document[] } | undefined;
  const flush = async () => {
    if (batch?.docs.length) await db.collection(batch.name).insertMany(batch.docs, { ordered: true });
    batch = undefined;
  };
  let first = true;
  for await (const line of lines(path)) {
    if (first) {
      first = false;
      continue;
    }
    if (line.startsWith('{"end":')) break;
    const value = BSON.EJSON.parse(line, { relaxed: false }) as { c: string; d: Document };
    if (batch && (batch.name !== value.c || batch.docs.length >= INSERT_BATCH)) await flush();
    batch ??= { name: value.c, docs: [] };
    batch.docs.push(value.d);
    counts[value.c] = (counts[value.c] ?? 0) + 1;
  }
  await flush();
  for (const [name, n] of Object.entries(header.counts))
    if ((counts[name] ?? 0) !== n)
      throw new UsoError(
        'internal',
        `restored ${counts[name] ?? 0} of ${n} documents of ${name}: restore again with --replace`,
      );
  return counts;
}
