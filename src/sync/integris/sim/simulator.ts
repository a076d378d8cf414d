// A local Integris Datashare: the contract's OAuth, paging, updatedSince and endpoints over a simulated LA, with
// switchable faults, and signed webhooks sent to a configured URL. Used standalone (`npm run simulate`), by the
// demo, and in process by tests.
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Hono } from 'hono';
import { integrisSignatureHeader } from '../signature.js';
import { reportNames, type ReportName } from '../../../domain/records.js';
import type { SimLocalAuthority, SimSchool } from './types.js';

export interface SimulatorFaults {
  /** The next N data requests answer 429 with Retry-After (Infinity: every one). */
  rateLimited?: number;
  retryAfterSeconds?: number;
  /** The next N data requests answer 500. */
  serverErrors?: number;
  /** Every data request waits this long before answering. */
  slowMs?: number;
  /** The last page of every report is missing its final records (the meta still promises them). */
  truncateLastPage?: boolean;
  /** Tokens are refused once, as if they had expired. */
  expireTokens?: boolean;
}

export interface SimulatorOptions {
  la: SimLocalAuthority;
  clientId?: string;
  clientSecret?: string;
  tokenTtlSeconds?: number;
  webhook?: { url: string; secrets: string[] };
  fetch?: typeof fetch;
  now?: () => number;
}

export interface WebhookEvent {
  id: string;
  type: 'datashare.access_granted' | 'datashare.access_revoked' | 'records.changed' | 'export.ready';
  dfeNumber: string;
  occurredAt: string;
  data: Record<string, unknown>;
}

export interface Simulator {
  app: Hono;
  la: SimLocalAuthority;
  faults: SimulatorFaults;
  /** Requests served, by path, for assertions. */
  requests: { path: string; status: number }[];
  setFaults(faults: SimulatorFaults): void;
  revoke(dfeNumber: string): void;
  grant(dfeNumber: string): void;
  /** Signs and posts an event to the configured webhook URL; resolves with the HTTP status. */
  sendWebhook(
    event: Omit<WebhookEvent, 'id' | 'occurredAt'> & Partial<Pick<WebhookEvent, 'id' | 'occurredAt'>>,
  ): Promise<number>;
}

const MAX_PAGE_SIZE = 500;

export function createSimulator(options: SimulatorOptions): Simulator {
  const clientId = options.clientId ?? 'demo';
  const clientSecret = options.clientSecret ?? 'demo';
  const now = options.now ?? Date.now;
  const tokens = new Map<string, number>();
  const requests: Simulator['requests'] = [];
  const sim: Simulator = {
    app: new Hono(),
    la: options.la,
    faults: {},
    requests,
    setFaults(faults) {
      sim.faults = { ...faults };
    },
    revoke(dfe) {
      schoolOf(dfe)!.revoked = true;
    },
    grant(dfe) {
      schoolOf(dfe)!.revoked = false;
    },
    async sendWebhook(partial) {
      if (!options.webhook) throw new Error('the simulator has no webhook URL configured');
      const event: WebhookEvent = {
        id: partial.id ?? randomUUID(),
        occurredAt: partial.occurredAt ?? new Date(now()).toISOString(),
        ...partial,
      } as WebhookEvent;
      const body = JSON.stringify(event);
      const res = await (options.fetch ?? fetch)(options.webhook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'integris-event-id': event.id,
          'integris-signature': integrisSignatureHeader(body, options.webhook.secrets, Math.floor(now() / 1000)),
        },
        body,
      });
      await res.body?.cancel();
      return res.status;
    },
  };
  const schoolOf = (dfe: string): SimSchool | undefined => sim.la.schools.find((s) => s.dfeNumber === dfe);
  const app = sim.app;

  app.use(async (c, next) => {
    await next();
    requests.push({ path: c.req.path, status: c.res.status });
  });

  app.post('/oauth/token', async (c) => {
    const form = await c.req.parseBody();
    if (form.grant_type !== 'client_credentials') return c.json({ error: 'unsupported_grant_type' }, 400);
    if (form.client_id !== clientId || form.client_secret !== clientSecret)
      return c.json({ error: 'invalid_client' }, 401);
    const token = randomBytes(24).toString('hex');
    const ttl = options.tokenTtlSeconds ?? 3600;
    tokens.set(token, now() + ttl * 1000);
    return c.json({ access_token: token, token_type: 'Bearer', expires_in: ttl });
  });

  app.use('/datashare/*', async (c, next) => {
    const token = /^Bearer (\S+)$/.exec(c.req.header('authorization') ?? '')?.[1];
    const expiry = token ? tokens.get(token) : undefined;
    if (!expiry || expiry < now()) return c.json({ error: 'invalid_token' }, 401);
    if (sim.faults.expireTokens) {
      sim.faults.expireTokens = false;
      tokens.delete(token!);
      return c.json({ error: 'invalid_token' }, 401);
    }
    if (sim.faults.slowMs) await sleep(sim.faults.slowMs);
    if (sim.faults.rateLimited && sim.faults.rateLimited > 0) {
      sim.faults.rateLimited--;
      c.header('Retry-After', String(sim.faults.retryAfterSeconds ?? 1));
      return c.json({ error: 'rate_limited' }, 429);
    }
    if (sim.faults.serverErrors && sim.faults.serverErrors > 0) {
      sim.faults.serverErrors--;
      return c.json({ error: 'server_error' }, 500);
    }
    return next();
  });

  const paged = (items: readonly unknown[], pageParam: string | undefined, sizeParam: string | undefined) => {
    const pageSize = Math.min(Math.max(Number(sizeParam) || 100, 1), MAX_PAGE_SIZE);
    const page = Math.max(Number(pageParam) || 1, 1);
    const totalPages = Math.ceil(items.length / pageSize);
    let data = items.slice((page - 1) * pageSize, page * pageSize);
    if (sim.faults.truncateLastPage && page === totalPages && data.length > 0)
      data = data.slice(0, Math.max(0, data.length - 3));
    return { data, meta: { page, pageSize, totalRecords: items.length, totalPages } };
  };

  app.get('/datashare/v1/schools', (c) => {
    const granted = sim.la.schools
      .filter((s) => !s.revoked)
      .map((s) => ({
        dfeNumber: s.dfeNumber,
        name: s.name,
        laCode: s.laCode,
        grantedAt: s.grantedAt,
        permissions: s.permissions,
      }));
    return c.json(paged(granted, c.req.query('page'), c.req.query('pageSize')));
  });

  app.get('/datashare/v1/schools/:dfe/:report', (c) => {
    const school = schoolOf(c.req.param('dfe'));
    if (!school || school.revoked) return c.json({ error: 'not_found' }, 404);
    const report = c.req.param('report') as ReportName;
    if (!reportNames.includes(report)) return c.json({ error: 'not_found' }, 404);
    if (!school.permissions.includes(report)) return c.json({ error: 'forbidden' }, 403);
    let items: readonly { [k: string]: unknown }[] = school[report];
    const since = c.req.query('updatedSince');
    if (since && (report === 'students' || report === 'staff' || report === 'contacts')) {
      const idKey = report === 'contacts' ? 'contactId' : 'personId';
      items = items.filter((r) => (school.updatedAt[r[idKey] as string] ?? '') > since);
    }
    if (report === 'attendance') {
      const from = c.req.query('from');
      const to = c.req.query('to');
      items = items.filter((m) => (!from || (m.date as string) >= from) && (!to || (m.date as string) <= to));
    }
    return c.json(paged(items, c.req.query('page'), c.req.query('pageSize')));
  });

  // Standalone control: switch faults or revoke a school without restarting.
  app.post('/__sim/faults', async (c) => {
    sim.setFaults((await c.req.json()) as SimulatorFaults);
    return c.json(sim.faults);
  });

  return sim;
}
