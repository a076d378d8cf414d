// The webhook route as Request -> Response, signed with the same code production verifies with.
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
const scheduler = {
  recordsChanged: async (dfe: string) => void calls.push(`changed:${dfe}`),
  revoke: async (dfe: string) => void calls.push(`revoke:${dfe}`),
  scheduleNightly: async (dfe: string) => void calls.push(`nightly:${dfe}`),
};
let app: ReturnType<typeof createApp>;
const log = captureLogger();

beforeAll(async () => {
  await upsertSchool(ctx.store.db, { dfeNumber: '2093456', name: 'Test School', laCode: '209', grant: { state: 'granted' } });
  app = createApp({ store: ctx.store, logger: log.logger, routes: [integrisWebhookRoutes({ db: ctx.store.db, logger: log.logger, secrets: [SECRET, NEW_SECRET], scheduler })] });
});

let n = 0;
function event(type: string, extra: Record<string, unknown> = {}) {
  return { id: `evt-${++n}`, type, dfeNumber: '2093456', occurredAt: '2026-11-27T18:00:00Z', data: { reports: ['students'] }, ...extra };
}

function post(body: unknown, options: { secrets?: string[]; t?: number; header?: string; raw?: string; id?: string } = {}) {
  const raw = options.raw ?? JSON.stringify(body);
  const t = options.t ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const signature = options.header ?? integrisSignatureHeader(raw, options.secrets ?? [SECRET], t);
  if (signature) headers['integris-signature'] = signature;
  if (options.id ?? (body as { id?: string })?.id) headers['integris-event-id'] = options.id ?? (body as { id: string }).id;
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
    expect((await post(event('datashare.access_granted', { dfeNumber: '2094000', data: { name: 'New Academy', permissions: ['students', 'staff'] } }))).status).toBe(200);
    expect(await getSchool(ctx.store.db, '2094000')).toMatchObject({ name: 'New Academy', laCode: '209', grant: { state: 'granted' }, acceptedReports: ['students', 'staff'] });
    expect((await post(event('datashare.access_revoked', { dfeNumber: '2094000' }))).status).toBe(200);
    expect(calls).toEqual(['nightly:2094000', 'revoke:2094000']);
    expect(log.text()).not.toContain('New Academy');
  });
});
