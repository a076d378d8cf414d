// The client against the in-process simulator: the happy path and every fault.
import { describe, expect, it } from 'vitest';
import { isUsoError } from '../../../src/errors.js';
import { ageOneNight } from '../../../src/sync/integris/sim/generator.js';
import { reportNames } from '../../../src/domain/records.js';
import { simulatedIntegris, simFetch, SIM_BASE } from '../../helpers/integris.js';
import { IntegrisClient } from '../../../src/sync/integris/client.js';

const secondaryOf = (la: { schools: { phase: string; dfeNumber: string }[] }) =>
  la.schools.find((s) => s.phase === 'secondary')!.dfeNumber;

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (isUsoError(err)) return err.code;
    throw err;
  }
  throw new Error('expected an error');
}

describe('IntegrisClient with the simulator', () => {
  it('exports a generated secondary school completely, over several pages', async () => {
    const { la, client, sim } = simulatedIntegris();
    const dfe = secondaryOf(la);
    const school = la.schools.find((s) => s.dfeNumber === dfe)!;
    const file = await client.exportSchool(dfe, reportNames);
    expect(file).toMatchObject({ dfeNumber: dfe, source: 'integris' });
    for (const report of reportNames) {
      expect(file.reports[report]).toEqual(school[report]);
      expect(file.completeness[report]).toEqual({
        totalRecords: school[report].length,
        pages: Math.ceil(school[report].length / 500),
      });
    }
    expect(school.students.length).toBeGreaterThan(500); // so paging really happened
    expect(sim.requests.filter((r) => r.path === '/oauth/token')).toHaveLength(1); // the token is cached
  });

  it('lists the schools that granted access with their permissions', async () => {
    const { la, client, sim } = simulatedIntegris();
    sim.revoke(la.schools[0]!.dfeNumber);
    const schools = await client.listSchools();
    expect(schools.map((s) => s.dfeNumber)).toEqual(la.schools.slice(1).map((s) => s.dfeNumber));
    expect(schools[0]!.permissions).toEqual(['students', 'staff', 'contacts', 'groups', 'attendance']);
  });

  it('rides out rate limiting, honouring Retry-After', async () => {
    const { la, client, sim, waits } = simulatedIntegris();
    sim.setFaults({ rateLimited: 2, retryAfterSeconds: 7 });
    const file = await client.exportSchool(la.schools[0]!.dfeNumber, ['staff']);
    expect(file.reports.staff).toHaveLength(la.schools[0]!.staff.length);
    expect(waits).toEqual([7000, 7000]);
  });

  it('rides out transient server errors with growing, jittered backoff', async () => {
    const { la, client, sim, waits } = simulatedIntegris();
    sim.setFaults({ serverErrors: 3 });
    await client.exportSchool(la.schools[0]!.dfeNumber, ['staff']);
    expect(waits).toEqual([375, 750, 1500]);
  });

  it.each([
    ['rate limiting', { rateLimited: Infinity }, 'integris_unavailable'],
    ['server errors', { serverErrors: Infinity }, 'integris_unavailable'],
    ['a truncated last page', { truncateLastPage: true }, 'export_incomplete'],
  ])('fails with a typed error, not partial data, when %s persists', async (_name, faults, code) => {
    const { la, client, sim } = simulatedIntegris();
    sim.setFaults(faults);
    expect(await codeOf(client.exportSchool(secondaryOf(la), ['students']))).toBe(code);
  });

  it('fails with access revoked for a school that withdrew its grant', async () => {
    const { la, client, sim } = simulatedIntegris();
    sim.revoke(la.schools[1]!.dfeNumber);
    expect(await codeOf(client.exportSchool(la.schools[1]!.dfeNumber, ['students']))).toBe('integris_access_revoked');
  });

  it('fails with a timeout error when pages are slower than the request timeout', async () => {
    const { la, client, sim } = simulatedIntegris({ client: { timeoutMs: 50, maxRetries: 1 } });
    sim.setFaults({ slowMs: 200 });
    const err = await client.exportSchool(la.schools[0]!.dfeNumber, ['staff']).catch((e: Error) => e);
    expect(isUsoError(err, 'integris_unavailable')).toBe(true);
    expect((err as Error).message).toMatch(/timed out/);
  });

  it('refreshes an expired token once and carries on', async () => {
    const { la, client, sim } = simulatedIntegris();
    await client.listSchools();
    sim.setFaults({ expireTokens: true });
    await client.exportSchool(la.schools[0]!.dfeNumber, ['staff']);
    expect(sim.requests.filter((r) => r.path === '/oauth/token')).toHaveLength(2);
  });

  it('says the credentials are wrong rather than retrying them', async () => {
    const { la, sim } = simulatedIntegris();
    const client = new IntegrisClient({
      baseUrl: SIM_BASE,
      clientId: 'demo',
      clientSecret: 'wrong',
      fetch: simFetch(sim),
    });
    expect(await codeOf(client.exportSchool(la.schools[0]!.dfeNumber, ['staff']))).toBe('integris_auth');
  });

  it('asks for changed records only with updatedSince', async () => {
    const { la, client } = simulatedIntegris();
    const before = `${la.today}T23:59:59Z`;
    const changes = ageOneNight(la);
    const dfe = la.schools[0]!.dfeNumber;
    const file = await client.exportSchool(dfe, ['students'], { updatedSince: before });
    const present = new Set(la.schools[0]!.students.map((s) => s.personId));
    const changedIds = new Set(
      changes
        .filter((c) => c.dfeNumber === dfe && c.kind !== 'leaver' && present.has(c.personId))
        .map((c) => c.personId),
    );
    expect(changedIds.size).toBeGreaterThan(0);
    const got = (file.reports.students as { personId: string }[]).map((s) => s.personId);
    expect(got.length).toBeGreaterThan(0);
    expect(got.length).toBeLessThan(la.schools[0]!.students.length / 4);
    for (const id of changedIds) expect(got).toContain(id);
    expect(file.updatedSince).toBe(before);
  });

  it('shares one concurrency limit across all schools', async () => {
    const { la, sim } = simulatedIntegris({ schools: 6 });
    let inFlight = 0;
    let peak = 0;
    const inner = simFetch(sim);
    const client = new IntegrisClient({
      baseUrl: SIM_BASE,
      clientId: 'demo',
      clientSecret: 'demo',
      concurrency: 2,
      fetch: async (input, init) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        try {
          return await inner(input, init);
        } finally {
          inFlight--;
        }
      },
    });
    await Promise.all(la.schools.map((s) => client.exportSchool(s.dfeNumber, ['staff', 'groups'])));
    expect(peak).toBeLessThanOrEqual(3); // two data requests plus the one token request
  });
});
