import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { verifyIntegrisSignature } from '../../../src/sync/integris/signature.js';
import { createSimulator } from '../../../src/sync/integris/sim/simulator.js';
import { generateLocalAuthority } from '../../../src/sync/integris/sim/generator.js';

describe('simulator webhooks', () => {
  it('posts signed events that verify with the shared secret', async () => {
    const received: { ok: boolean; id?: string; body: unknown }[] = [];
    const receiver = new Hono().post('/hook', async (c) => {
      const raw = await c.req.text();
      const check = verifyIntegrisSignature(
        c.req.header('integris-signature'),
        raw,
        ['s3cret-s3cret-s3cret'],
        Math.floor(Date.now() / 1000),
      );
      received.push({ ok: check.ok, id: c.req.header('integris-event-id'), body: JSON.parse(raw) });
      return c.body(null, check.ok ? 200 : 401);
    });
    const sim = createSimulator({
      la: generateLocalAuthority({ seed: 1, schools: 1 }),
      webhook: { url: 'http://receiver/hook', secrets: ['s3cret-s3cret-s3cret'] },
      fetch: async (input, init) => receiver.fetch(new Request(input, init)),
    });
    const status = await sim.sendWebhook({
      type: 'records.changed',
      dfeNumber: '2092000',
      data: { reports: ['students'] },
    });
    expect(status).toBe(200);
    expect(received[0]).toMatchObject({ ok: true, body: { type: 'records.changed', dfeNumber: '2092000' } });
    expect(received[0]!.id).toBe((received[0]!.body as { id: string }).id);
  });
});
