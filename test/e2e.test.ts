// End to end through the CLI: a 30-school LA served by the Integris simulator over HTTP, a first sync of every
// school, then an aged night, with the counts the generator's change log predicts. Rolls are scaled to a fifth and
// attendance and contacts left out (process.test.ts covers them) so the run stays within minutes on FerretDB.
import { serve } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MongoClient } from 'mongodb';
import { uso } from './helpers/cli.js';
import { ageOneNight, generateLocalAuthority } from '../src/sync/integris/sim/generator.js';
import { createSimulator } from '../src/sync/integris/sim/simulator.js';

const la = generateLocalAuthority({ seed: 2026, schools: 30, sizeFactor: 0.2 });
for (const s of la.schools) s.permissions = ['students', 'staff', 'groups'];
const sim = createSimulator({ la });
let server: Server;
let dir: string;
const dbName = `t_e2e_${randomBytes(4).toString('hex')}`;
const env: Record<string, string | undefined> = {};

beforeAll(async () => {
  server = await new Promise<Server>((ok) => {
    const s = serve({ fetch: sim.app.fetch, port: 0, hostname: '127.0.0.1' }, () => ok(s as Server));
  });
  const base = inject('mongoUri').replace(/\/?$/, '/');
  Object.assign(env, {
    MONGODB_URI: process.env.MONGODB_URI,
    INTEGRIS_BASE_URL: process.env.INTEGRIS_BASE_URL,
    INTEGRIS_CLIENT_ID: process.env.INTEGRIS_CLIENT_ID,
    INTEGRIS_CLIENT_SECRET: process.env.INTEGRIS_CLIENT_SECRET,
  });
  process.env.MONGODB_URI = `${base}${dbName}`;
  process.env.INTEGRIS_BASE_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  process.env.INTEGRIS_CLIENT_ID = 'demo';
  process.env.INTEGRIS_CLIENT_SECRET = 'demo';
  dir = mkdtempSync(join(tmpdir(), 'uso-e2e-'));
}, 60_000);

afterAll(async () => {
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  server?.close();
  rmSync(dir, { recursive: true, force: true });
  const client = new MongoClient(inject('mongoUri'));
  await client
    .db(dbName)
    .dropDatabase()
    .catch(() => {});
  await client.close();
});

describe('uso end to end', () => {
  it('imports the schools, syncs the whole LA, and re-syncs an aged night with the expected counts', async () => {
    const schoolsFile = join(dir, 'schools.json');
    writeFileSync(
      schoolsFile,
      JSON.stringify(
        la.schools.map((s) => ({
          dfeNumber: s.dfeNumber,
          name: s.name,
          laCode: s.laCode,
          acceptedReports: s.permissions,
        })),
      ),
    );
    expect((await uso('schools', 'import', schoolsFile)).out).toBe('Imported 30 schools.\n');

    const first = await uso('sync', '--all', '--json', '--today', la.today);
    expect(first.code).toBe(0);
    const firstRuns = first.json() as {
      dfeNumber: string;
      status: string;
      counts: Record<string, number>;
      outcomes: { outcome: string; personId: string; username?: string }[];
    }[];
    expect(firstRuns).toHaveLength(30);
    for (const run of firstRuns) {
      const school = la.schools.find((s) => s.dfeNumber === run.dfeNumber)!;
      const subsidiaries = school.students.filter((p) => p.enrolmentStatus === 'S').length;
      expect(run.status).toBe('succeeded');
      // everyone gets an account; a dual-registered pupil's second school links to the same account
      expect(run.counts.created! + run.counts.auto_matched!).toBe(school.students.length + school.staff.length);
      expect(run.counts.auto_matched).toBe(subsidiaries);
      expect(run.counts.invalid).toBe(0);
    }

    const changes = ageOneNight(la);
    const night = (await uso('sync', '--all', '--json', '--today', la.today)).json() as typeof firstRuns;
    const count = (kind: string, outcome: string) =>
      changes
        .filter((c) => c.kind === kind)
        .filter((c) =>
          night
            .find((r) => r.dfeNumber === c.dfeNumber)!
            .outcomes.some((o) => o.personId === c.personId && o.outcome === outcome),
        ).length;
    expect(count('new_starter', 'created')).toBe(changes.filter((c) => c.kind === 'new_starter').length);
    expect(count('future_starter', 'future_starter')).toBe(changes.filter((c) => c.kind === 'future_starter').length);
    expect(count('leaver', 'unallocated')).toBe(changes.filter((c) => c.kind === 'leaver').length);
    expect(count('moved_school', 'auto_matched')).toBe(1);
    expect(count('staff_second_school', 'auto_matched')).toBe(1);
    expect(count('twins', 'created')).toBe(2);
    expect(count('name_change', 'updated')).toBe(1);
    expect(count('staff_leaver', 'unallocated')).toBe(1);
    expect(night.every((r) => r.counts.held_unallocation === 0 && r.counts.invalid === 0)).toBe(true);

    const status = (await uso('status', '--json')).json() as { schools: { lastRun: { status: string } }[] };
    expect(status.schools.every((s) => s.lastRun.status === 'succeeded')).toBe(true);
  }, 1_800_000);
});
