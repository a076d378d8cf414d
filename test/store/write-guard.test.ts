// The suite-wide guard itself: a write command of more statements than the store may take is refused on the wire
// (its connection closed), while the same writes sent through the store's bulk helper pass.
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { bulkWriteInBatches } from '../../src/store/bulk.js';
import { WRITE_BATCH } from '../../src/store/kind.js';
import { writeGuardProxy } from '../setup/write-guard.js';

describe('write command guard', () => {
  let guard: Awaited<ReturnType<typeof writeGuardProxy>>;
  let client: MongoClient;
  beforeAll(async () => {
    guard = await writeGuardProxy(inject('mongoUri'));
    client = new MongoClient(guard.uri, { serverSelectionTimeoutMS: 5000, maxPoolSize: 2 });
    await client.connect();
  });
  afterAll(async () => {
    await client
      .db('write_guard_test')
      .dropDatabase()
      .catch(() => {});
    await client.close();
    await guard.close();
  });

  it('refuses one update command of more than WRITE_BATCH statements, and passes the same through the helper', async () => {
    const coll = client.db('write_guard_test').collection<{ _id: string; n: number }>('things');
    const ops = Array.from({ length: WRITE_BATCH * 2 + 1 }, (_, i) => ({
      updateOne: { filter: { _id: `k${i}` }, update: { $inc: { n: 1 } }, upsert: true },
    }));
    await expect(coll.bulkWrite(ops, { ordered: false })).rejects.toThrow();
    expect(guard.oversized).toEqual([{ command: 'update', collection: 'things', statements: ops.length }]);
    const res = await bulkWriteInBatches(coll, ops, { ordered: false });
    expect(res.upsertedCount).toBe(ops.length);
    expect(guard.oversized).toHaveLength(1);
  });
});
