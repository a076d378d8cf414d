import { describe, expect, it } from 'vitest';
import { createApp, MAX_BODY_BYTES } from '../src/app.js';
import { UsoError } from '../src/errors.js';
import { useTestStore } from './helpers/store.js';
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

  it('maps coded errors to statuses in one place and hides internal messages', async () => {
    const { logger } = captureLogger();
    const app = createApp({
      store: ctx.store,
      logger,
      routes: [
        (a) => a.get('/boom/sig', () => { throw new UsoError('signature_invalid', 'bad signature'); }),
        (a) => a.get('/boom/raw', () => { throw new Error('secret internals'); }),
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
    const app = createApp({ store: ctx.store, logger: captureLogger().logger, routes: [(a) => a.post('/in', async (c) => ((read = true), c.json(await c.req.json())))] });
    const big = await app.request('/in', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ x: 'a'.repeat(MAX_BODY_BYTES) }) });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: 'payload_invalid' });
    expect(read).toBe(false);
    expect((await app.request('/in', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"x":1}' })).status).toBe(200);
  });
});
