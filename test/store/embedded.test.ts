import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { answersHello, openStore, type Store } from '../../src/store/index.js';
import { captureLogger } from '../helpers/log.js';

const dirs: string[] = [];
const stores: Store[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => {});
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'uso-embedded-'));
  dirs.push(d);
  return d;
}

async function open(dataDir: string): Promise<Store> {
  const store = await openStore({ dbName: 'uso', dataDir, timeoutMs: 5000, logger: captureLogger().logger });
  stores.push(store);
  return store;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('embedded FerretDB store', () => {
  it('takes FerretDB from where the launcher configured it, and says how to get one when it is not there', async () => {
    await expect(
      openStore({
        dbName: 'uso',
        dataDir: tempDir(),
        timeoutMs: 5000,
        logger: captureLogger().logger,
        ferretdbBin: '/nowhere/ferretdb',
      }),
    ).rejects.toMatchObject({
      code: 'ferretdb_unavailable',
      message: expect.stringMatching(/not at \/nowhere\/ferretdb: build it with `npm run ferretdb`.*MONGODB_URI/),
    });
  });

  it('starts, records its address, and stops leaving no process or record behind', async () => {
    const dataDir = tempDir();
    const store = await open(dataDir);
    expect(store.kind).toBe('ferretdb');
    const record = JSON.parse(readFileSync(join(dataDir, 'ferretdb.json'), 'utf8'));
    expect(record.pid).toBe(store.embedded?.pid);
    await store.db.collection('schools').insertOne({ _id: '2093456' as never, name: 'Test' });
    await store.close();
    expect(alive(record.pid)).toBe(false);
    expect(existsSync(join(dataDir, 'ferretdb.json'))).toBe(false);
  });

  it('lets a second process with the same DATA_DIR join the running server instead of starting another', async () => {
    const dataDir = tempDir();
    const first = await open(dataDir);
    const second = await open(dataDir);
    expect(first.embedded?.owned).toBe(true);
    expect(second.embedded?.owned).toBe(false);
    expect(second.embedded?.uri).toBe(first.embedded?.uri);
    await second.db.collection('schools').insertOne({ _id: '2090001' as never });
    expect(await first.db.collection('schools').countDocuments()).toBe(1);
    await second.close();
    expect(await answersHello(first.embedded!.uri)).toBe(true);
  });

  it('replaces a stale record left by a crashed process', async () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, 'ferretdb.json'), JSON.stringify({ pid: 2 ** 22 + 7, port: 1, startedAt: 'x' }));
    const store = await open(dataDir);
    expect(store.embedded?.owned).toBe(true);
    expect(JSON.parse(readFileSync(join(dataDir, 'ferretdb.json'), 'utf8')).pid).toBe(store.embedded?.pid);
  });

  it('creates its unique indexes idempotently on every start, and drops the others (never read there)', async () => {
    const dataDir = tempDir();
    const store = await open(dataDir);
    // as a store made by an earlier version has it
    await store.db.collection('accounts').createIndex({ schools: 1 }, { name: 'schools' });
    await store.close();
    const again = await open(dataDir);
    const names = async (c: string) => (await again.db.collection(c).listIndexes().toArray()).map((i) => i.name);
    expect(await names('accounts')).toEqual(['_id_']);
    expect(await names('exports')).toEqual(['_id_', 'school_seq']);
    expect(await names('runs')).toEqual(['_id_', 'run_key']);
    await expect(
      again.db.collection('schools').insertMany([{ _id: 'dup' as never }, { _id: 'dup' as never }]),
    ).rejects.toThrow(/duplicate key/);
  });

  it('answers /readyz 503 with the reason once the store stops answering', async () => {
    const store = await open(tempDir());
    const app = createApp({ store, logger: captureLogger().logger });
    expect((await app.request('/readyz')).status).toBe(200);
    process.kill(store.embedded!.pid, 'SIGKILL');
    const started = Date.now();
    const res = await app.request('/readyz');
    expect(res.status).toBe(503);
    expect(((await res.json()) as { reason: string }).reason).toMatch(/^store: /);
    expect(Date.now() - started).toBeLessThan(5000); // bounded by the 1 s ping timeout, not the driver's
    expect((await app.request('/healthz')).status).toBe(200);
  });
});
