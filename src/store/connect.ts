// Opens the store: MONGODB_URI when set, else the embedded FerretDB. Store code sticks to what both MongoDB and
// FerretDB 1.24 implement: no transactions, change streams, partial or TTL indexes, arrayFilters, positional `$`
// updates, $elemMatch or $lookup (FerretDB 1.24 rejects or silently mismatches those); expiry is a cleanup query.
import { MongoClient, type Db } from 'mongodb';
import { UsoError } from '../errors.js';
import type { Logger } from '../log.js';
import { startEmbeddedFerretdb, type EmbeddedFerretdb } from './embedded.js';
import { ensureIndexes } from './indexes.js';
import { ensureBlockKeys, ensureLookalikeIndex, ensureRosters } from './account-scans.js';
import { migrate, migrationStatus } from './migrations.js';
import { monitorStore } from '../metrics.js';
import { setStoreKind, type StoreKind } from './kind.js';

export interface Store {
  client: MongoClient;
  db: Db;
  /** 'mongodb' when MONGODB_URI was given, 'ferretdb' for the embedded store. */
  kind: StoreKind;
  embedded?: EmbeddedFerretdb;
  /** Resolves when the server answers a ping within the time given; rejects with the reason otherwise. */
  ping(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface StoreOptions {
  uri?: string;
  dbName: string;
  dataDir: string;
  timeoutMs: number;
  /** The watchdog: a socket with no answer for this long is closed and its operation fails. */
  opTimeoutMs?: number;
  ferretdbBin?: string;
  logger: Logger;
  /**
   * `apply` (the default): brings the store to this build's schema version first; `check`: only refuses a store newer
   * than this build (`uso migrate status` looks before anything is changed).
   */
  migrations?: 'apply' | 'check';
}

/** The URI with any password removed, for messages. */
export function redactUri(uri: string): string {
  return uri.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

function dbNameFrom(uri: string, fallback: string): string {
  const path = /^mongodb(?:\+srv)?:\/\/[^/]+\/([^?]*)/.exec(uri)?.[1];
  return path ? decodeURIComponent(path) : fallback;
}

export async function openStore(options: StoreOptions): Promise<Store> {
  let embedded: EmbeddedFerretdb | undefined;
  let uri = options.uri;
  if (!uri) {
    embedded = await startEmbeddedFerretdb({
      dataDir: options.dataDir,
      logger: options.logger,
      bin: options.ferretdbBin,
      timeoutMs: Math.max(options.timeoutMs, 15_000),
    });
    uri = embedded.uri;
  }
  const client = new MongoClient(uri, {
    appName: 'uso-autoupdate',
    serverSelectionTimeoutMS: options.timeoutMs,
    connectTimeoutMS: options.timeoutMs,
    // the driver's own watchdog (mongodb 7 has no per-operation timeoutMS): a stalled server fails the operation
    ...(options.opTimeoutMs ? { socketTimeoutMS: options.opTimeoutMs } : {}),
    // FerretDB 1.24 (SQLite) takes a pooled connection per statement from a pool of 100: many concurrent commands
    // from one client can exhaust it and stall every one of them, so the embedded store gets a small pool
    ...(embedded ? { maxPoolSize: 10 } : {}),
    // timings of every command, for the store latency metric
    monitorCommands: true,
  });
  monitorStore(client);
  try {
    await client.connect();
    await client.db('admin').command({ ping: 1 });
  } catch (err) {
    await client.close().catch(() => {});
    await embedded?.stop();
    const reason = (err as Error).message.split('\n')[0];
    throw new UsoError('store_unavailable', `Cannot reach the store at ${redactUri(uri)}: ${reason}`, { cause: err });
  }
  const db = client.db(options.uri ? dbNameFrom(options.uri, options.dbName) : options.dbName);
  const kind = embedded ? 'ferretdb' : 'mongodb';
  try {
    await prepareStore(db, kind, options.logger, options.migrations);
  } catch (err) {
    await client.close().catch(() => {});
    await embedded?.stop();
    throw err;
  }
  return storeFrom(client, db, kind, embedded);
}

/**
 * What every opening of a store does first (and a restore after it): the schema brought to this build's version (or
 * only checked), indexes made, block keys and rosters derived where their rule changed.
 */
export async function prepareStore(
  db: Db,
  kind: StoreKind,
  logger: Logger,
  migrations: 'apply' | 'check' = 'apply',
): Promise<void> {
  if (migrations === 'check') await migrationStatus(db);
  else await migrate(db, logger);
  await ensureIndexes(db, kind);
  await ensureBlockKeys(db);
  await ensureRosters(db);
  await ensureLookalikeIndex(db);
}

export function storeFrom(client: MongoClient, db: Db, kind: Store['kind'], embedded?: EmbeddedFerretdb): Store {
  setStoreKind(db, kind);
  let closed = false;
  return {
    client,
    db,
    kind,
    embedded,
    async ping(timeoutMs = 1000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, fail) => {
        timer = setTimeout(() => fail(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        await Promise.race([db.command({ ping: 1 }, { timeoutMS: timeoutMs }), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await client.close();
      await embedded?.stop();
    },
  };
}
