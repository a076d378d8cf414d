// `uso discover`: the operator asks Integris now which schools granted access, instead of waiting for the hour.
import { serve } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MongoClient } from 'mongodb';
import { uso } from './helpers/cli.js';
import { generateLocalAuthority } from '../src/sync/integris/sim/generator.js';
import { createSimulator } from '../src/sync/integris/sim/simulator.js';

const la = generateLocalAuthority({ seed: 9, schools: 3, sizeFactor: 0.1 });
const sim = createSimulator({ la });
let server: Server;
const dbName = `t_discover_${randomBytes(4).toString('hex')}`;
const keys = ['MONGODB_URI', 'INTEGRIS_BASE_URL', 'INTEGRIS_CLIENT_ID', 'INTEGRIS_CLIENT_SECRET'] as const;
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  server = await new Promise<Server>((ok) => {
    const s = serve({ fetch: sim.app.fetch, port: 0, hostname: '127.0.0.1' }, () => ok(s as Server));
  });
  for (const k of keys) saved[k] = process.env[k];
  process.env.MONGODB_URI = `${inject('mongoUri').replace(/\/?$/, '/')}${dbName}`;
});

afterAll(async () => {
  for (const k of keys) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  server?.close();
  const client = new MongoClient(inject('mongoUri'));
  await client
    .db(dbName)
    .dropDatabase()
    .catch(() => {});
  await client.close();
});

describe('uso discover', () => {
  it('says plainly when Integris is not configured', async () => {
    for (const k of keys.slice(1)) delete process.env[k];
    const r = await uso('discover');
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      'uso discover: usage: Integris is not configured: set INTEGRIS_BASE_URL, INTEGRIS_CLIENT_ID and INTEGRIS_CLIENT_SECRET\n',
    );
  });

  it('records the schools that granted access now, says which are new, and which wait for a head to accept reports', async () => {
    process.env.INTEGRIS_BASE_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    process.env.INTEGRIS_CLIENT_ID = 'demo';
    process.env.INTEGRIS_CLIENT_SECRET = 'demo';
    const first = await uso('discover', '--json');
    expect(first.err).toBe('');
    expect(first.json()).toEqual({
      granted: la.schools.map((s) => s.dfeNumber).sort(),
      revoked: [],
      grantedSchools: 3,
      acceptingNothing: la.schools.map((s) => s.dfeNumber).sort(),
    });
    sim.revoke(la.schools[0]!.dfeNumber);
    const again = await uso('discover');
    expect(again.out).toBe(
      [
        '2 schools have granted access; 0 new, 1 withdrawn.',
        `  withdrawn: ${la.schools[0]!.dfeNumber}`,
        '2 accept no report yet (nothing is read until a head accepts, or: uso schools set DFE --accepted-reports students,staff).',
        '',
      ].join('\n'),
    );
  });
});
