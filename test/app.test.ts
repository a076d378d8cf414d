import { describe, expect, it } from 'vitest';
import { createApp, MAX_BODY_BYTES } from '../src/app.js';
import { UsoError } from '../src/errors.js';
import { useTestStore } from './helpers/store.js';
import { upsertSchool } from '../src/store/schools.js';
import { syncSchool } from '../src/sync/process.js';
import { enqueue } from '../src/bot/outbox.js';
import { captureLogger } from './helpers/log.js';

const ctx = useTestStore();

describe('app', () => {
  it('serves health and readiness with request ids, logging paths only', async () => {
    const { logger, lines } = captureLogger();
    const app = createApp({ store: ctx.store, logger });
    const health = await app.request('/healthz?upn=B801200005001');
    expect(health.status).toBe(200);
    expect(health.headers.get('x-request-id')).toMatch(/[0-9a-f-]{36}/);
    const ready = await app.request('/readyz');
    expect(await ready.json()).toEqual({ status: 'ready', store: ctx.store.kind });
    const logged = lines.filter((l) => l.msg === 'request');
    expect(logged.map((l) => l.path)).toEqual(['/healthz', '/readyz']);
    expect(JSON.stringify(lines)).not.toContain('B801200005001');
  });

  it('answers / with a page saying what this is, whether it is ready, and where the API and metrics are', async () => {
    const app = createApp({ store: ctx.store, logger: captureLogger().logger });
    const home = await app.request('/');
    expect(home.status).toBe(200);
    expect(home.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await home.text();
    expect(page).toContain('<html lang="en">');
    expect(page).toContain(`Ready: the store (${ctx.store.kind}) answers.`);
    for (const link of ['/healthz', '/readyz', '/metrics', '/api/v1/openapi.json'])
      expect(page).toContain(`href="${link}"`);
    const down = createApp({
      store: { ...ctx.store, ping: () => Promise.reject(new Error('no answer')) },
      logger: captureLogger().logger,
    });
    const unready = await down.request('/');
    expect(unready.status).toBe(503);
    expect(await unready.text()).toContain('Not ready: the store does not answer.');
  });

  it('maps coded errors to statuses in one place and hides internal messages', async () => {
    const { logger } = captureLogger();
    const app = createApp({
      store: ctx.store,
      logger,
      routes: [
        (a) =>
          a.get('/boom/sig', () => {
            throw new UsoError('signature_invalid', 'bad signature');
          }),
        (a) =>
          a.get('/boom/raw', () => {
            throw new Error('secret internals');
          }),
      ],
    });
    const sig = await app.request('/boom/sig');
    expect(sig.status).toBe(401);
    expect(await sig.json()).toEqual({ error: 'signature_invalid', message: 'bad signature' });
    const raw = await app.request('/boom/raw');
    expect(raw.status).toBe(500);
    expect(await raw.text()).not.toContain('secret internals');
    expect((await app.request('/nowhere')).status).toBe(404);
  });

  it('refuses a body over 1 MiB before any route reads it', async () => {
    let read = false;
    const app = createApp({
      store: ctx.store,
      logger: captureLogger().logger,
      routes: [(a) => a.post('/in', async (c) => ((read = true), c.json(await c.req.json())))],
    });
    const big = await app.request('/in', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ x: 'a'.repeat(MAX_BODY_BYTES) }),
    });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: 'payload_invalid' });
    expect(read).toBe(false);
    expect(
      (await app.request('/in', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"x":1}' }))
        .status,
    ).toBe(200);
  });

  it('serves Prometheus metrics: runs and records by outcome, schools by their latest run, held changes, outbox, requests', async () => {
    const db = ctx.store.db;
    const { logger } = captureLogger();
    await upsertSchool(db, {
      dfeNumber: '2095000',
      name: 'Metric School',
      laCode: '209',
      acceptedReports: ['students'],
    });
    const pupils = Array.from({ length: 12 }, (_, i) => ({
      personId: `M${i}`,
      legalForename: `Met${String.fromCharCode(97 + i)}`,
      legalSurname: 'Rics',
      dateOfBirth: '2015-01-0' + ((i % 9) + 1),
      gender: 'F',
      admissionDate: '2020-09-01',
      enrolmentStatus: 'C',
    }));
    const file = (n: number) => ({
      dfeNumber: '2095000',
      exportedAt: `2026-11-2${n}T18:00:00Z`,
      source: 'integris' as const,
      reports: { students: pupils.slice(0, n === 6 ? 12 : 4) },
      completeness: {},
    });
    await syncSchool({ db, logger }, '2095000', { trigger: 'cli', file: file(6), today: '2026-11-26' });
    await syncSchool({ db, logger }, '2095000', { trigger: 'cli', file: file(7), today: '2026-11-27' }); // 8 of 12 leave: held
    await enqueue(
      db,
      `metric:${Date.now()}`,
      { platform: 'slack', workspace: 'T1', conversation: 'C1' },
      { text: 'x' },
    );
    const app = createApp({ store: ctx.store, logger });
    await app.request('/healthz');
    const res = await app.request('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^uso_runs_total\{status="succeeded",trigger="cli"\} [1-9]/m);
    expect(text).toMatch(/^uso_run_records_total\{outcome="created"\} [1-9]/m);
    expect(text).toMatch(/^uso_run_duration_seconds_count\{status="succeeded"\} [1-9]/m);
    expect(text).toMatch(/^uso_schools\{last_run="succeeded"\} [1-9]/m);
    expect(text).toMatch(/^uso_held_changes_pending\{kind="unallocation"\} 8$/m);
    expect(text).toMatch(/^uso_outbox_messages\{status="pending"\} [1-9]/m);
    expect(text).toMatch(/^uso_http_requests_total\{route="\/healthz",status="200"\} [1-9]/m);
    expect(text).not.toContain('Rics');
  });
});
