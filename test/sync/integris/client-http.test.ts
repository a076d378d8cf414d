// Exact request shapes on the wire, intercepted with nock at Integris's HTTP boundary, and retry timing with fake timers.
import nock from 'nock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { IntegrisClient } from '../../../src/sync/integris/client.js';

const BASE = 'https://integris.example.org/api';

function tokenScope(times = 1) {
  return nock(BASE)
    .post('/oauth/token', 'grant_type=client_credentials&client_id=cid&client_secret=sec&scope=datashare')
    .matchHeader('content-type', 'application/x-www-form-urlencoded')
    .times(times)
    .reply(200, { access_token: 'tok-1', token_type: 'Bearer', expires_in: 3600 });
}

const page = (data: unknown[], page: number, totalPages: number, totalRecords: number) => ({
  data,
  meta: { page, pageSize: 2, totalRecords, totalPages },
});

afterEach(() => {
  vi.useRealTimers();
});

describe('IntegrisClient on the wire', () => {
  it('sends the token form, the bearer header and page parameters, and pages to the end', async () => {
    tokenScope();
    const api = nock(BASE)
      .matchHeader('authorization', 'Bearer tok-1')
      .get('/datashare/v1/schools/2093456/staff')
      .query({ page: '1', pageSize: '2' })
      .reply(200, page([{ a: 1 }, { a: 2 }], 1, 2, 3))
      .get('/datashare/v1/schools/2093456/staff')
      .query({ page: '2', pageSize: '2' })
      .reply(200, page([{ a: 3 }], 2, 2, 3));
    const client = new IntegrisClient({ baseUrl: BASE, clientId: 'cid', clientSecret: 'sec', pageSize: 2 });
    const file = await client.exportSchool('2093456', ['staff']);
    expect(file.reports.staff).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }]);
    expect(file.completeness.staff).toEqual({ totalRecords: 3, pages: 2 });
    expect(api.isDone()).toBe(true);
  });

  it('passes updatedSince and attendance bounds as query parameters', async () => {
    tokenScope();
    const api = nock(BASE)
      .get('/datashare/v1/schools/2093456/students')
      .query({ page: '1', pageSize: '500', updatedSince: '2026-11-27T18:00:00Z' })
      .reply(200, page([], 1, 0, 0))
      .get('/datashare/v1/schools/2093456/attendance')
      .query({ page: '1', pageSize: '500', from: '2026-11-23', to: '2026-11-27' })
      .reply(200, page([], 1, 0, 0));
    const client = new IntegrisClient({ baseUrl: BASE, clientId: 'cid', clientSecret: 'sec' });
    await client.exportSchool('2093456', ['students'], { updatedSince: '2026-11-27T18:00:00Z' });
    await client.exportSchool('2093456', ['attendance'], { from: '2026-11-23', to: '2026-11-27' });
    expect(api.isDone()).toBe(true);
  });

  it('waits out Retry-After and backs off on 5xx before retrying, not sooner', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'Date'] });
    tokenScope();
    const requestTimes: number[] = [];
    nock(BASE)
      .get('/datashare/v1/schools/2093456/staff')
      .query(true)
      .times(3)
      .reply(function () {
        requestTimes.push(Date.now());
        return requestTimes.length === 1
          ? [429, { error: 'slow down' }, { 'Retry-After': '3' }]
          : requestTimes.length === 2
            ? [503, {}]
            : [200, page([], 1, 0, 0)];
      });
    const client = new IntegrisClient({
      baseUrl: BASE,
      clientId: 'cid',
      clientSecret: 'sec',
      random: () => 0.5,
      baseDelayMs: 1000,
    });
    const scheduled = vi.spyOn(globalThis, 'setTimeout');
    let finished = false;
    const done = client.exportSchool('2093456', ['staff']).finally(() => (finished = true));
    // step the clock: nock and fetch schedule their own timers between ours
    for (let step = 0; step < 2000 && !finished; step++) await vi.advanceTimersByTimeAsync(10);
    await done;
    expect(requestTimes).toHaveLength(3);
    // the waits the client asked for: Retry-After 3 s, then 1000 * 2^1 * (0.5 + 0.5/2)
    const waits = scheduled.mock.calls
      .map((c) => c[1])
      .filter((ms): ms is number => typeof ms === 'number' && ms >= 1000 && ms < 30_000);
    expect(waits).toEqual([3000, 1500]);
    // and no retry went out sooner than its wait
    expect(requestTimes[1]! - requestTimes[0]!).toBeGreaterThanOrEqual(3000);
    expect(requestTimes[2]! - requestTimes[1]!).toBeGreaterThanOrEqual(1500);
  });

  it('treats a page envelope that does not add up as an incomplete export', async () => {
    tokenScope();
    nock(BASE)
      .get('/datashare/v1/schools/2093456/students')
      .query(true)
      .reply(200, page([{ a: 1 }], 1, 1, 412));
    const client = new IntegrisClient({ baseUrl: BASE, clientId: 'cid', clientSecret: 'sec' });
    await expect(client.exportSchool('2093456', ['students'])).rejects.toMatchObject({
      code: 'export_incomplete',
      message: expect.stringMatching(/received 1 records over 1 pages, the source promised 412/),
    });
  });
});
