// A copy of the whole store taken while the service could be running, and restored into an empty store: every
// document comes back as it was (types included), runs are held off while it is taken, and a restore refuses what
// would lose data.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BSON, MongoClient, type Db } from 'mongodb';
import { generateLocalAuthority } from '../../src/sync/integris/sim/generator.js';
import { exportOf } from '../../src/sync/integris/sim/export-file.js';
import { globalPause } from '../../src/store/schools.js';
import { uso } from '../helpers/cli.js';

const la = generateLocalAuthority({ seed: 5, schools: 2, sizeFactor: 0.1 });
const base = () => inject('mongoUri').replace(/\/?$/, '/');
const names = {
  source: `t_bk_src_${randomBytes(3).toString('hex')}`,
  target: `t_bk_dst_${randomBytes(3).toString('hex')}`,
};
let client: MongoClient;
let dir: string;
let saved: string | undefined;
const useDb = (name: string) => (process.env.MONGODB_URI = `${base()}${name}`);

/** Every document of every collection, in canonical Extended JSON, by collection. */
async function contents(db: Db): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const { name } of await db.listCollections({}, { nameOnly: true }).toArray()) {
    const docs = await db.collection(name).find({}).toArray();
    out[name] = docs.map((d) => BSON.EJSON.stringify(d, { relaxed: false })).sort();
  }
  return out;
}

beforeAll(async () => {
  client = new MongoClient(inject('mongoUri'));
  await client.connect();
  dir = mkdtempSync(join(tmpdir(), 'uso-backup-'));
  saved = process.env.MONGODB_URI;
  useDb(names.source);
  const schools = join(dir, 'schools.json');
  writeFileSync(
    schools,
    JSON.stringify(
      la.schools.map((s) => ({
        dfeNumber: s.dfeNumber,
        name: s.name,
        laCode: s.laCode,
        acceptedReports: ['students', 'staff'],
      })),
    ),
  );
  expect((await uso('schools', 'import', schools)).code).toBe(0);
  for (const s of la.schools) {
    const file = join(dir, `${s.dfeNumber}.json`);
    writeFileSync(file, JSON.stringify(exportOf(s, `${la.today}T18:00:00Z`)));
    expect((await uso('sync', s.dfeNumber, '--file', file, '--today', la.today)).code).toBe(0);
  }
}, 120_000);

afterAll(async () => {
  if (saved === undefined) delete process.env.MONGODB_URI;
  else process.env.MONGODB_URI = saved;
  for (const name of Object.values(names))
    await client
      .db(name)
      .dropDatabase()
      .catch(() => {});
  await client.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('uso store backup and store restore', () => {
  it('restores every document of every collection as it was, into an empty store', async () => {
    const file = join(dir, 'store.uso.gz');
    useDb(names.source);
    const taken = await uso('store', 'backup', file, '--json');
    expect(taken.err).toBe('');
    const counts = taken.json().counts as Record<string, number>;
    expect(counts.accounts).toBeGreaterThan(50);
    expect(counts.audit).toBeGreaterThan(counts.accounts!);
    expect(counts.exports).toBeGreaterThan(0);
    // the service was not paused before, so it is not after, and the copy is not either
    expect((await globalPause(client.db(names.source))).paused).toBe(false);

    useDb(names.target);
    const restored = await uso('store', 'restore', file);
    expect(restored.err).toBe('');
    expect(restored.out).toMatch(/^Restored .+ \(taken .+, version .+, schema \d+\):\n/);
    const before = await contents(client.db(names.source));
    const after = await contents(client.db(names.target));
    // the restore is audited in the copy: everything else is the same, document for document
    const restoreEntries = after.audit!.filter((d) => d.includes('"store.restored"'));
    expect(restoreEntries).toHaveLength(1);
    after.audit = after.audit!.filter((d) => !d.includes('"store.restored"'));
    for (const name of Object.keys(before)) expect(after[name], name).toEqual(before[name]);
    // and it is a working store: the CLI reads it
    expect((await uso('status', la.schools[0]!.dfeNumber)).code).toBe(0);
  });

  it('refuses to restore over a store with data, unless told to replace it', async () => {
    const file = join(dir, 'again.uso.gz');
    useDb(names.source);
    expect((await uso('store', 'backup', file)).code).toBe(0);
    useDb(names.target);
    const refused = await uso('store', 'restore', file);
    expect(refused.code).not.toBe(0);
    expect(refused.err).toContain('the store is not empty');
    const replaced = await uso('store', 'restore', file, '--replace');
    expect(replaced.code).toBe(0);
  });

  it('refuses a copy that was cut off, or is not a backup', async () => {
    const whole = join(dir, 'whole.uso.gz');
    useDb(names.source);
    expect((await uso('store', 'backup', whole)).code).toBe(0);
    const lines = gunzipSync(readFileSync(whole)).toString().split('\n');
    const cut = join(dir, 'cut.uso.gz');
    writeFileSync(cut, gzipSync(lines.slice(0, Math.floor(lines.length / 2)).join('\n')));
    useDb(`t_bk_cut_${randomBytes(3).toString('hex')}`);
    const refused = await uso('store', 'restore', cut);
    expect(refused.err).toContain('is cut off (no end record)');
    const junk = join(dir, 'junk.gz');
    writeFileSync(junk, gzipSync('{"hello":1}\n'));
    expect((await uso('store', 'restore', junk)).err).toContain('is not a uso-autoupdate backup');
    await client.db(process.env.MONGODB_URI!.split('/').pop()!).dropDatabase();
  });

  it('waits for runs in progress, and gives up with the schools named when they do not finish', async () => {
    useDb(names.source);
    const db = client.db(names.source);
    const dfe = la.schools[0]!.dfeNumber;
    await db.collection<{ _id: string }>('leases').insertOne({
      _id: `run:${dfe}`,
      owner: 'another worker',
      expiresAt: new Date(Date.now() + 60_000),
    } as never);
    const busy = await uso('store', 'backup', join(dir, 'busy.uso.gz'), '--wait', '1');
    expect(busy.code).not.toBe(0);
    expect(busy.err).toContain(`runs still in progress after 1 s (${dfe})`);
    expect((await globalPause(db)).paused, 'the pause it took is taken back').toBe(false);
    await db.collection<{ _id: string }>('leases').deleteOne({ _id: `run:${dfe}` });
  });
});
