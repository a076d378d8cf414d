// The webhook route as Request -> Response, signed with the same code production verifies with.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { getSchool, upsertSchool } from '../../src/store/schools.js';
import { integrisSignatureHeader } from '../../src/sync/integris/signature.js';
import { integrisWebhookRoutes } from '../../src/webhooks/index.js';
import { captureLogger } from '../helpers/log.js';
import { useTestStore } from '../helpers/store.js';

const ctx = useTestStore();
const SECRET = 'webhook-secret-0001';
const NEW_SECRET = 'webhook-secret-0002';
const calls: string[] = [];
/** Set to make the next scheduling call fail (the store or the scheduler down for a moment). */
let failNext = false;
const scheduler = {
  recordsChanged: async (dfe: string) => {
    if (failNext) {
      failNext = false;
      throw new Error('scheduler unavailable');
    }
    calls.push(`changed:${dfe}`);
  },
  revoke: async (dfe: string) => void calls.push(`revoke:${dfe}`),
  scheduleNightly: async (dfe: string) => void calls.push(`nightly:${dfe}`),
};
let app: ReturnType<typeof createApp>;
const log = captureLogger();

beforeAll(async () => {
  await upsertSchool(ctx.store.db, {
    dfeNumber: '2093456',
    name: 'Test School',
    laCode: '209',
    grant: { state: 'granted' },
  });
  app = createApp({
    store: ctx.store,
    logger: log.logger,
    routes: [integrisWebhookRoutes({ db: ctx.store.db, logger: log.logger, secrets: [SECRET, NEW_SECRET], scheduler })],
  });
});

let n = 0;
function event(type: string, extra: Record<string, unknown> = {}) {
  return {
    id: `evt-${++n}`,
    type,
    dfeNumber: '2093456',
    occurredAt: '2026-11-27T18:00:00Z',
    data: { reports: ['students'] },
    ...extra,
  };
}

function post(
  body: unknown,
  options: { secrets?: string[]; t?: number; header?: string; raw?: string; id?: string } = {},
) {
  const raw = options.raw ?? JSON.stringify(body);
  const t = options.t ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const signature = options.header ?? integrisSignatureHeader(raw, options.secrets ?? [SECRET], t);
  if (signature) headers['integris-signature'] = signature;
  if (options.id ?? (body as { id?: string })?.id)
    headers['integris-event-id'] = options.id ?? (body as { id: string }).id;
  return app.request('/webhooks/integris', { method: 'POST', headers, body: raw });
}

describe('POST /webhooks/integris', () => {
  it('accepts a signed records.changed and hands it to a job', async () => {
    calls.length = 0;
    const res = await post(event('records.changed'));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    expect(calls).toEqual(['changed:2093456']);
  });

  it('accepts either secret during a rotation, and several v1 values', async () => {
    expect((await post(event('records.changed'), { secrets: [NEW_SECRET] })).status).toBe(200);
    expect((await post(event('records.changed'), { secrets: ['some-other-secret-x', SECRET] })).status).toBe(200);
  });

  it.each([
    ['a missing signature', { header: '' }],
    ['a wrong secret', { secrets: ['wrong-secret-000000'] }],
    ['a timestamp more than 5 minutes old', { t: Math.floor(Date.now() / 1000) - 330 }],
    ['a timestamp more than 5 minutes ahead', { t: Math.floor(Date.now() / 1000) + 400 }],
    ['a malformed header', { header: 'v1=zz' }],
  ])('refuses %s with 401', async (_name, options) => {
    calls.length = 0;
    const res = await post(event('records.changed'), options);
    expect(res.status).toBe(401);
    expect(calls).toEqual([]);
  });

  it('refuses a signed but malformed body with 400 and says what is wrong', async () => {
    const res = await post({ id: 'x1', type: 'records.exploded', dfeNumber: '12', occurredAt: 'yesterday' });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { message: string };
    expect(body.message).toMatch(/type: .*dfeNumber: expected a 7-digit DfE number/s);
    expect((await post(null, { raw: '{not json' })).status).toBe(400);
  });

  it('answers a duplicate event id 200 without doing the work again', async () => {
    calls.length = 0;
    const e = event('records.changed');
    expect((await post(e)).status).toBe(200);
    const again = await post(e);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ ok: true, duplicate: true });
    expect(calls).toEqual(['changed:2093456']);
  });

  it('updates the school at once on access granted and revoked', async () => {
    calls.length = 0;
    expect(
      (
        await post(
          event('datashare.access_granted', {
            dfeNumber: '2094000',
            data: { name: 'New Academy', permissions: ['students', 'staff'] },
          }),
        )
      ).status,
    ).toBe(200);
    expect(await getSchool(ctx.store.db, '2094000')).toMatchObject({
      name: 'New Academy',
      laCode: '209',
      grant: { state: 'granted', permissions: ['students', 'staff'] },
      acceptedReports: [], // nothing is read until the school's head accepts reports
    });
    expect((await post(event('datashare.access_revoked', { dfeNumber: '2094000' }))).status).toBe(200);
    expect(calls).toEqual(['nightly:2094000', 'revoke:2094000']);
    expect(log.text()).not.toContain('New Academy');
  });

  it('checks the signature over the bytes as sent: a non-UTF-8 body signed correctly is a 400, not a 401', async () => {
    const t = Math.floor(Date.now() / 1000);
    const latin1 = Buffer.from(JSON.stringify(event('records.changed', { data: { name: 'Zoë' } })), 'latin1');
    const res = await app.request('/webhooks/integris', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'integris-signature': integrisSignatureHeader(latin1, [SECRET], t),
      },
      body: latin1,
    });
    expect(res.status).toBe(400);
    const utf8 = JSON.stringify(event('records.changed', { data: { name: 'Zoë Ørsted 王' } }));
    expect((await post(null, { raw: utf8 })).status).toBe(200);
  });

  it('refuses a body that is not declared JSON with 415', async () => {
    const raw = JSON.stringify(event('records.changed'));
    const res = await app.request('/webhooks/integris', {
      method: 'POST',
      headers: {
        'content-type': 'text/plain',
        'integris-signature': integrisSignatureHeader(raw, [SECRET], Math.floor(Date.now() / 1000)),
      },
      body: raw,
    });
    expect(res.status).toBe(415);
  });

  it("does an event's work on Integris' retry when the first delivery failed half way", async () => {
    calls.length = 0;
    const e = event('records.changed');
    failNext = true;
    expect((await post(e)).status).toBe(500);
    const retry = await post(e);
    expect(retry.status).toBe(200);
    expect(await retry.json()).toEqual({ ok: true });
    expect(calls).toEqual(['changed:2093456']);
  });

  it('answers no signed or unsigned request of any shape with a 5xx (1,000 generated)', async () => {
    const type = fc.oneof(
      {
        weight: 8,
        arbitrary: fc.constantFrom(
          'datashare.access_granted',
          'datashare.access_revoked',
          'records.changed',
          'export.ready',
        ),
      },
      { weight: 1, arbitrary: fc.string() },
    );
    const dfe = fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom('2093456', '2094001', '8881234') },
      { weight: 1, arbitrary: fc.string() },
    );
    const data = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.record(
          {
            reports: fc.array(fc.constantFrom('students', 'staff', 'contacts', 'groups', 'attendance', 'x')),
            personIds: fc.array(fc.string()),
            name: fc.string(),
            permissions: fc.array(fc.constantFrom('students', 'staff', 'contacts')),
          },
          { requiredKeys: [] },
        ),
      },
      { weight: 1, arbitrary: fc.anything() },
    );
    const body = fc.oneof(
      {
        weight: 8,
        arbitrary: fc
          .record(
            {
              id: fc.oneof({ weight: 8, arbitrary: fc.uuid() }, { weight: 1, arbitrary: fc.string() }),
              type,
              dfeNumber: dfe,
              occurredAt: fc.oneof(
                {
                  weight: 8,
                  arbitrary: fc
                    .date({ noInvalidDate: true, min: new Date('2000-01-01'), max: new Date('2100-01-01') })
                    .map((d) => d.toISOString()),
                },
                { weight: 1, arbitrary: fc.string() },
              ),
              data,
            },
            { requiredKeys: ['id', 'type', 'dfeNumber', 'occurredAt'] },
          )
          .map((b) => JSON.stringify(b)),
      },
      { weight: 1, arbitrary: fc.oneof(fc.json(), fc.string()) },
    );
    const signing = fc.constantFrom('good', 'good', 'good', 'none', 'wrong', 'stale');
    const contentType = fc.oneof(
      { weight: 9, arbitrary: fc.constant('application/json') },
      { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/json; charset=utf-8', '') },
    );
    const statuses: Record<number, number> = {};
    await fc.assert(
      fc.asyncProperty(body, signing, contentType, async (raw, how, type) => {
        const t = Math.floor(Date.now() / 1000) - (how === 'stale' ? 900 : 0);
        const headers: Record<string, string> = { 'content-type': type };
        if (how !== 'none')
          headers['integris-signature'] = integrisSignatureHeader(
            raw,
            [how === 'wrong' ? 'wrong-secret-000000' : SECRET],
            t,
          );
        const res = await app.request('/webhooks/integris', { method: 'POST', headers, body: raw });
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        expect(res.status, raw.slice(0, 300)).toBeLessThan(500);
      }),
      { numRuns: 1000, seed: 19 },
    );
    expect(statuses[200] ?? 0).toBeGreaterThan(150); // a good share were accepted and did their work
  });
});
