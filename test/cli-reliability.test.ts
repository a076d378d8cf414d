// The CLI when things go wrong: piped output that must arrive whole, junk input, an import with a bad batch,
// `sync --all` past a failing school, and Ctrl-C in the middle of a run.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { generateLocalAuthority } from '../src/sync/integris/sim/generator.js';
import type { ExportFile } from '../src/domain/records.js';
import type { LeaseDoc } from '../src/store/leases.js';
import { requireFreshBuild } from './helpers/build.js';
import { uso } from './helpers/cli.js';

const dbName = `t_clir_${randomBytes(4).toString('hex')}`;
const dir = mkdtempSync(join(tmpdir(), 'uso-clir-'));
const la = generateLocalAuthority({ seed: 31, schools: 2, sizeFactor: 3 });
const [big, other] = la.schools as [(typeof la.schools)[0], (typeof la.schools)[0]];
let uri: string;
let client: MongoClient;

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function exportOf(s: typeof big): string {
  const body: ExportFile = {
    dfeNumber: s.dfeNumber,
    exportedAt: `${la.today}T18:00:00Z`,
    source: 'integris',
    reports: { students: s.students, staff: s.staff },
    completeness: {},
  };
  return file(`export-${s.dfeNumber}.json`, JSON.stringify(body));
}

beforeAll(requireFreshBuild);

/** The real `bin/uso.js` (the built CLI) in a child process, its stdout read through a pipe. */
function usoProcess(
  args: string[],
  onStarted?: (child: ReturnType<typeof spawn>) => void,
): Promise<{ code: number | null; out: Buffer; err: string }> {
  return new Promise((ok) => {
    const child = spawn(process.execPath, ['bin/uso.js', ...args], {
      env: { ...process.env, MONGODB_URI: uri },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('close', (code) => ok({ code, out: Buffer.concat(out), err }));
    onStarted?.(child);
  });
}

beforeAll(async () => {
  uri = `${inject('mongoUri').replace(/\/?$/, '/')}${dbName}`;
  process.env.MONGODB_URI = uri;
  client = new MongoClient(inject('mongoUri'));
  const schools = la.schools.map((s) => ({
    dfeNumber: s.dfeNumber,
    name: s.name,
    laCode: s.laCode,
    acceptedReports: ['students', 'staff'],
  }));
  expect((await uso('schools', 'import', file('schools.json', JSON.stringify(schools)))).code).toBe(0);
});

afterAll(async () => {
  await client
    .db(dbName)
    .dropDatabase()
    .catch(() => {});
  await client.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('uso at the edges', () => {
  it('delivers a large --json answer whole through a pipe', async () => {
    const run = await usoProcess(['sync', big.dfeNumber, '--file', exportOf(big), '--today', la.today, '--json']);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out.length).toBeGreaterThan(150_000); // past where a pipe cut it before (64-128 KiB)
    const parsed = JSON.parse(run.out.toString());
    expect(parsed.outcomes).toHaveLength(big.students.length + big.staff.length);
  });

  it('answers junk input with one line and exit 1 or 2, never a stack trace', async () => {
    const notJson = await uso('sync', big.dfeNumber, '--file', file('junk.json', '{"dfeNumber": '));
    expect(notJson.code).toBe(2);
    expect(notJson.err).toMatch(/^uso sync: .*junk\.json is not valid JSON/);
    expect(notJson.err.trim().split('\n')).toHaveLength(1);
    const binary = await uso('accounts', 'import', file('binary.jsonl', randomBytes(400_000)));
    expect(binary.code).toBe(0);
    const lines = binary.out.trim().split('\n');
    expect(lines.length).toBeLessThanOrEqual(22); // a summary, 20 rejections, and a count of the rest
    expect(lines.at(-1)).toMatch(/and \d+ more \(use --json for all\)/);
    for (const r of [notJson, binary]) expect(r.err + r.out).not.toMatch(/\n\s+at /);
  });

  it('imports past a batch with errors and reports exactly what was stored', async () => {
    const line = (i: number) =>
      JSON.stringify({
        username: `imp.user${i}`,
        kind: 'staff',
        legalForename: 'Imp',
        legalSurname: `User${i}`,
        associations: [{ dfeNumber: big.dfeNumber, source: 'manual' }],
      });
    // 2,500 lines; 10 usernames in the first batch already exist
    expect(
      (
        await uso(
          'accounts',
          'import',
          file('first.jsonl', Array.from({ length: 10 }, (_, i) => line(i * 7)).join('\n')),
        )
      ).code,
    ).toBe(0);
    const result = await uso(
      'accounts',
      'import',
      file('all.jsonl', Array.from({ length: 2500 }, (_, i) => line(i)).join('\n')),
      '--json',
    );
    expect(result.json().imported).toBe(2490);
    expect(result.json().rejected).toHaveLength(10);
    expect(result.json().rejected[0]).toEqual({ line: 1, reason: 'imp.user0: username already exists' });
    expect(
      await client
        .db(dbName)
        .collection('accounts')
        .countDocuments({ _id: { $regex: '^imp\\.user' } } as never),
    ).toBe(2500);
  });

  it('sync --all carries on past a failing school, records its failure, and exits 1', async () => {
    // the other school has no stored export and no Integris: its export fails
    const all = await uso('sync', '--all', '--today', la.today, '--json');
    expect(all.code).toBe(1);
    const runs = all.json() as { dfeNumber: string; status: string; error?: { code: string } }[];
    expect(runs.map((r) => r.dfeNumber).sort()).toEqual([big.dfeNumber, other.dfeNumber].sort());
    expect(runs.every((r) => r.status === 'failed' && r.error?.code === 'integris_unavailable')).toBe(true);
    const status = await uso('status', other.dfeNumber, '--json');
    expect(status.json().schools[0].lastRun).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/^integris_unavailable: /),
    });
  });

  it('on Ctrl-C settles the run as failed and frees the school at once', async () => {
    const path = exportOf(other);
    const run = await usoProcess(['sync', other.dfeNumber, '--file', path, '--today', la.today], (child) => {
      // interrupt once the run has started writing accounts (one look at a time: the store is shared)
      let closed = false;
      child.on('close', () => (closed = true));
      void (async () => {
        while (
          !closed &&
          (await client.db(dbName).collection('accounts').countDocuments({ schools: other.dfeNumber })) === 0
        )
          await new Promise((ok) => setTimeout(ok, 50));
        if (!closed) child.kill('SIGINT');
      })();
    });
    const db = client.db(dbName);
    const last = await db
      .collection('runs')
      .find({ dfeNumber: other.dfeNumber })
      .sort({ startedAt: -1 })
      .limit(1)
      .next();
    if (run.code === 0) return expect(last).toMatchObject({ status: 'succeeded' }); // it finished before the signal landed
    expect(run.code).toBe(130);
    expect(run.err).toMatch(/SIGINT: stopping/);
    expect(last).toMatchObject({ status: 'failed', error: { code: 'run_interrupted' } });
    // the lease is let go, saying the next runs should look for writes the stopped run had sent
    const lease = await db.collection<LeaseDoc>('leases').findOne({ _id: `run:${other.dfeNumber}` });
    expect(lease).toMatchObject({ released: true, expiresAt: new Date(0) });
    expect(lease!.recoverUntil!.getTime()).toBeGreaterThan(Date.now());
    // every account written was audited, and a new run finishes the job
    const written = await db.collection('accounts').countDocuments({ schools: other.dfeNumber });
    expect(await db.collection('audit').countDocuments({ dfeNumber: other.dfeNumber, action: 'account.created' })).toBe(
      written,
    );
    const again = await uso('sync', other.dfeNumber, '--file', path, '--today', la.today, '--json');
    expect(again.code).toBe(0);
    expect(await db.collection('accounts').countDocuments({ schools: other.dfeNumber })).toBe(
      other.students.length + other.staff.length,
    );
  });
});

describe('the CLI process', () => {
  it('loads no chat SDK (Slack Bolt, Teams AI, Bot Framework), whatever command runs', async () => {
    // Bolt and teams-ai are CommonJS: whatever loads them lands in the CommonJS module cache
    const script = `
      import { register } from 'tsx/esm/api';
      import { createRequire } from 'node:module';
      register();
      const { runCli } = await import('./src/cli.ts');
      await runCli(['status', '--json'], { out: () => {}, err: () => {} });
      await runCli(['sync', '--help'], { out: () => {}, err: () => {} });
      const loaded = Object.keys(createRequire(import.meta.url).cache);
      process.stdout.write(JSON.stringify({ total: loaded.length, chat: loaded.filter((p) => /@slack[\\\\/]bolt|@microsoft[\\\\/]teams-ai|[\\\\/]botbuilder/.test(p)) }));
    `;
    const run = await new Promise<{ code: number | null; out: string; err: string }>((ok) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
        env: { ...process.env, MONGODB_URI: uri },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr.on('data', (b: Buffer) => (err += b.toString()));
      child.on('close', (code) => ok({ code, out, err }));
    });
    expect(run.err).toBe('');
    const loaded = JSON.parse(run.out) as { total: number; chat: string[] };
    expect(loaded.total).toBeGreaterThan(50); // the store driver and the rest did load: the check can see modules
    expect(loaded.chat).toEqual([]);
  });
});
