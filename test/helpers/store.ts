// Each test file works in its own database on the shared test server, dropped when the file ends.
import { randomBytes } from 'node:crypto';
import { MongoClient, type CommandStartedEvent, type Db } from 'mongodb';
import { afterAll, afterEach, beforeAll, beforeEach, inject } from 'vitest';
import { storeFrom, ensureIndexes, type Store } from '../../src/store/index.js';
import { ensureLookalikeIndex, ensureRosters } from '../../src/store/account-scans.js';

export function useTestStore(): { readonly store: Store } {
  const holder: { store?: Store } = {};
  let client: MongoClient;
  beforeAll(async () => {
    client = new MongoClient(inject('mongoUri'), { serverSelectionTimeoutMS: 5000 });
    await client.connect();
    const db = client.db(`t_${randomBytes(6).toString('hex')}`);
    await ensureIndexes(db, inject('storeKind'));
    await ensureRosters(db);
    await ensureLookalikeIndex(db);
    holder.store = storeFrom(client, db, inject('storeKind'));
  });
  afterAll(async () => {
    await holder.store?.db.dropDatabase().catch(() => {});
    await client?.close();
  });
  return {
    get store() {
      if (!holder.store) throw new Error('test store not ready');
      return holder.store;
    },
  };
}

/**
 * A database of its own for every test of the file (made in a `beforeEach`, dropped after): for suites whose cases
 * must each pass alone, in any order, seeding what they need.
 */
export function useFreshStoreEachTest(): { readonly store: Store } {
  const holder: { store?: Store } = {};
  let client: MongoClient;
  beforeAll(async () => {
    client = new MongoClient(inject('mongoUri'), { serverSelectionTimeoutMS: 5000 });
    await client.connect();
  });
  beforeEach(async () => {
    const db = client.db(`t_${randomBytes(6).toString('hex')}`);
    await ensureIndexes(db, inject('storeKind'));
    await ensureRosters(db);
    await ensureLookalikeIndex(db);
    holder.store = storeFrom(client, db, inject('storeKind'));
  });
  afterEach(async () => {
    await holder.store?.db.dropDatabase().catch(() => {});
  });
  afterAll(async () => {
    await client?.close();
  });
  return {
    get store() {
      if (!holder.store) throw new Error('test store not ready');
      return holder.store;
    },
  };
}

export function silentLogger() {
  return import('../../src/log.js').then((m) => m.createLogger({ level: 'silent', pretty: false }));
}

/**
 * A second client on the test server that records every command it sends: `db(name)` is a database to send the
 * commands to watch through, `seen` what was sent (empty it before the part watched).
 */
export function watchCommands(): { db: (name: string) => Db; seen: CommandStartedEvent[] } {
  const seen: CommandStartedEvent[] = [];
  let watcher: MongoClient | undefined;
  beforeAll(async () => {
    watcher = new MongoClient(inject('mongoUri'), { monitorCommands: true, serverSelectionTimeoutMS: 5000 });
    watcher.on('commandStarted', (e) => seen.push(e));
    await watcher.connect();
  });
  afterAll(() => watcher?.close());
  return {
    db: (name) => {
      if (!watcher) throw new Error('command watcher not ready');
      return watcher.db(name);
    },
    seen,
  };
}
