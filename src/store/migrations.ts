// The store's schema version and the migrations that bring a store from one version to the next. Each version of
// the stored shapes is named here once; a build knows the versions up to SCHEMA_VERSION, applies the ones a store
// lacks (at start-up, or `uso migrate run`), and refuses a store newer than itself: an older build would misread
// shapes it has never seen. A migration is idempotent and resumable: a stop part-way through is finished by the next
// start. Derived data (block keys, rosters) is not versioned here: it is rebuilt whenever its own rule changes.
import { randomUUID } from 'node:crypto';
import type { AnyBulkWriteOperation, Db } from 'mongodb';
import { UsoError } from '../errors.js';
import type { Logger } from '../log.js';
import { upgradeQueues } from './deliveries.js';
import { releaseExclusive, renewLease, takeExclusive } from './leases.js';
import { bulkWriteInBatches } from './bulk.js';
import { WRITE_BATCH } from './kind.js';
import { coll, type AccountDoc } from './accounts.js';
import { moveEpochs } from './rosters.js';
import { exclusionId } from './exclusions.js';

export interface Migration {
  version: number;
  name: string;
  /** What it changes, for `uso migrate status` and the upgrade notes. */
  what: string;
  /** Applies it; returns how many documents it changed. */
  run(db: Db): Promise<number>;
}

interface SchemaDoc {
  _id: 'schema';
  version: number;
  applied: { version: number; name: string; at: Date; changed: number }[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'school-settings-held-min',
    what: "schools' `settings.unallocationThresholdMin` becomes `settings.heldChangesMin` (it holds updates too)",
    run: renameHeldChangesMin,
  },
  {
    version: 2,
    name: 'event-queue-segments',
    what: "subscribers' event queues of one document per event become segments of up to 500 events, delivery going on where it was",
    run: (db) => upgradeQueues(db, new Date()),
  },
  {
    version: 3,
    name: 'association-moved-in',
    what: "every association carries its own 'latest move or create' (`movedInAt`), from the account's where it had none",
    run: stampMovedIn,
  },
  {
    version: 4,
    name: 'exclusion-ids',
    what: "each exclusion is kept under `_id` DfE number ':' name key (a run reads its school's by id), and the index on school and name goes",
    run: exclusionIds,
  },
];

/** The schema version this build writes and reads. */
export const SCHEMA_VERSION = MIGRATIONS.at(-1)!.version;

const schema = (db: Db) => db.collection<SchemaDoc>('globals');

/**
 * The store's schema version: as recorded; else the latest for a store with nothing in it yet, and 0 for one
 * written before versions were recorded.
 */
export async function storeVersion(
  db: Db,
): Promise<{ version: number; applied: SchemaDoc['applied']; recorded: boolean }> {
  const doc = await schema(db).findOne({ _id: 'schema' });
  if (doc) return { version: doc.version, applied: doc.applied, recorded: true };
  const used = (await db.collection('schools').findOne({})) ?? (await db.collection('accounts').findOne({}));
  return { version: used ? 0 : SCHEMA_VERSION, applied: [], recorded: false };
}

export interface MigrationStatus {
  version: number;
  buildVersion: number;
  pending: { version: number; name: string; what: string }[];
  applied: SchemaDoc['applied'];
}

export async function migrationStatus(db: Db): Promise<MigrationStatus> {
  const { version, applied } = await storeVersion(db);
  tooNewCheck(version);
  return {
    version,
    buildVersion: SCHEMA_VERSION,
    pending: MIGRATIONS.filter((m) => m.version > version).map(({ version: v, name, what }) => ({
      version: v,
      name,
      what,
    })),
    applied,
  };
}

function tooNewCheck(version: number): void {
  if (version > SCHEMA_VERSION)
    throw new UsoError(
      'store_too_new',
      `the store is at schema version ${version}, newer than this build's ${SCHEMA_VERSION}: run the build that wrote it or a later one (CHANGELOG.md)`,
    );
}

/**
 * Applies the migrations the store lacks, one worker at a time (the others wait for it), recording each as it
 * finishes. Refuses a store newer than this build. Returns the migrations applied here.
 */
export async function migrate(db: Db, logger: Logger, options: { waitMs?: number } = {}): Promise<Migration[]> {
  const waitMs = options.waitMs ?? 10 * 60_000;
  const first = await storeVersion(db);
  tooNewCheck(first.version);
  if (first.version === SCHEMA_VERSION) {
    if (!first.recorded) await record(db, SCHEMA_VERSION, []);
    return [];
  }
  const owner = randomUUID();
  const ttlMs = 60_000;
  const deadline = Date.now() + waitMs;
  while (!(await takeExclusive(db, 'migrate', owner, ttlMs))) {
    if (Date.now() > deadline)
      throw new UsoError('store_unavailable', 'another worker has been migrating the store for too long');
    await new Promise((r) => setTimeout(r, 500));
  }
  const heartbeat = setInterval(() => void renewLease(db, 'migrate', owner, ttlMs).catch(() => {}), ttlMs / 3);
  heartbeat.unref();
  const done: Migration[] = [];
  try {
    // read again under the lease: another worker may have finished while this one waited
    let { version, applied } = await storeVersion(db);
    tooNewCheck(version);
    for (const m of MIGRATIONS.filter((x) => x.version > version)) {
      logger.info({ version: m.version, migration: m.name }, 'migrating the store');
      const changed = await m.run(db);
      applied = [...applied, { version: m.version, name: m.name, at: new Date(), changed }];
      version = m.version;
      await record(db, version, applied);
      logger.info({ version, migration: m.name, changed }, 'store migrated');
      done.push(m);
    }
    return done;
  } finally {
    clearInterval(heartbeat);
    await releaseExclusive(db, 'migrate', owner).catch(() => {});
  }
}

async function record(db: Db, version: number, applied: SchemaDoc['applied']): Promise<void> {
  await schema(db).replaceOne({ _id: 'schema' }, { version, applied }, { upsert: true });
}

/** Migration 1: the held-changes minimum under its own name. */
async function renameHeldChangesMin(db: Db): Promise<number> {
  const schools = db.collection<{ _id: string; settings?: Record<string, unknown> }>('schools');
  let changed = 0;
  for (const s of await schools.find({ 'settings.unallocationThresholdMin': { $exists: true } }).toArray()) {
    const old = s.settings!.unallocationThresholdMin;
    const set = s.settings!.heldChangesMin === undefined ? { 'settings.heldChangesMin': old } : {};
    const r = await schools.updateOne({ _id: s._id }, {
      $set: set,
      $unset: { 'settings.unallocationThresholdMin': '' },
    } as never);
    changed += r.modifiedCount;
  }
  return changed;
}

/**
 * Migration 3: an association without its own `movedInAt` takes the account's `latestMoveOrCreateAt` (what readers
 * showed for it). Written only at the version read, so a concurrent change wins and is taken on the next pass; the
 * account's version is left as it is (the meaning did not change, and a held change made against it stays valid).
 * The schools' rosters are read afresh afterwards.
 */
async function stampMovedIn(db: Db): Promise<number> {
  const accounts = coll(db);
  let changed = 0;
  const touched = new Set<string>();
  for (let pass = 0; pass < 5; pass++) {
    let ops: AnyBulkWriteOperation<AccountDoc>[] = [];
    let missed = 0;
    const flush = async () => {
      if (!ops.length) return;
      const r = await bulkWriteInBatches(accounts, ops, { ordered: false });
      changed += r.modifiedCount;
      missed += ops.length - r.matchedCount;
      ops = [];
    };
    const projection = { version: 1, latestMoveOrCreateAt: 1, assoc: 1 };
    for await (const a of accounts.find({}, { projection })) {
      const set: Record<string, string> = {};
      for (const [key, x] of Object.entries(a.assoc ?? {}))
        if (x.movedInAt === undefined && a.latestMoveOrCreateAt) {
          set[`assoc.${key}.movedInAt`] = a.latestMoveOrCreateAt;
          touched.add(x.dfeNumber);
        }
      if (Object.keys(set).length === 0) continue;
      ops.push({ updateOne: { filter: { _id: a._id, version: a.version }, update: { $set: set } } });
      if (ops.length >= WRITE_BATCH) await flush();
    }
    await flush();
    if (missed === 0) break;
  }
  await moveEpochs(db, touched);
  return changed;
}

/** Exclusions under their new `_id`: a copy first, then the original, so a stop between loses none. */
async function exclusionIds(db: Db): Promise<number> {
  const exclusions = db.collection<{ _id: unknown; dfeNumber: string; nameKey: string }>('exclusions');
  // the `_id` holds school and name now: their unique index would refuse a copy beside its original
  await exclusions.dropIndex('school_name').catch((err: unknown) => {
    const code = (err as { code?: number }).code;
    // no such index, or no such collection
    if (code !== 27 && code !== 26) throw err;
  });
  let changed = 0;
  for await (const doc of exclusions.find({})) {
    const _id = exclusionId(doc.dfeNumber, doc.nameKey);
    if (doc._id === _id) continue;
    const { _id: original, ...fields } = doc;
    await exclusions.insertOne({ _id, ...fields }).catch((err: unknown) => {
      // copied before a stop: the original is deleted below
      if ((err as { code?: number }).code !== 11000) throw err;
    });
    await exclusions.deleteOne({ _id: original });
    changed++;
  }
  return changed;
}
