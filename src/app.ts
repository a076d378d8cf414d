// The one Hono app: health, webhooks and chat endpoints. Routes are thin; the work lives in sync/ and bot/.
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { requestId } from 'hono/request-id';
import { isUsoError, type ErrorCode } from './errors.js';
import type { Logger } from './log.js';
import type { Store } from './store/index.js';
import { appRegistry, recordRequest } from './metrics.js';
import { heldChangesPending, schoolsByLastRun } from './store/stats.js';
import { outboxCounts } from './store/outbox.js';
import { homeRoute } from './home.js';

export interface AppDeps {
  store: Store;
  logger: Logger;
  /** Extra route groups (webhooks, Slack, Teams), mounted after the health routes. */
  routes?: ((app: Hono) => void)[];
}

/** The only place error codes become HTTP statuses. */
const statusByCode: Partial<Record<ErrorCode, 400 | 401 | 403 | 404 | 409 | 415 | 503>> = {
  payload_invalid: 400,
  unsupported_media_type: 415,
  usage: 400,
  signature_invalid: 401,
  forbidden: 403,
  not_found: 404,
  run_in_progress: 409,
  stale_action: 409,
  not_alike: 409,
  store_unavailable: 503,
  store_timeout: 503,
};

/** A request's path as logged: an API path's username (a person's name, often) is left out. */
export const loggedPath = (path: string) =>
  path.replace(/^(\/api\/v1\/schools\/[^/]+\/accounts\/)[^/]+/, '$1:username');

/** Webhook and chat payloads are a few kilobytes; anything near this is not one of them. */
export const MAX_BODY_BYTES = 1024 * 1024;

export function createApp({ store, logger, routes = [] }: AppDeps): Hono {
  const app = new Hono();
  app.use(requestId());
  app.use(
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => c.json({ error: 'payload_invalid', message: `the body is over ${MAX_BODY_BYTES} bytes` }, 413),
    }),
  );
  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    recordRequest(c.req.path, c.res.status);
    // Paths only: query strings and bodies may carry personal data.
    logger.info(
      {
        requestId: c.get('requestId'),
        method: c.req.method,
        path: loggedPath(c.req.path),
        status: c.res.status,
        ms: Math.round(performance.now() - started),
      },
      'request',
    );
  });

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    try {
      await store.ping(1000);
      return c.json({ status: 'ready', store: store.kind });
    } catch (err) {
      return c.json({ status: 'unavailable', reason: `store: ${(err as Error).message}` }, 503);
    }
  });

  const metrics = appRegistry({
    schoolsByLastRun: () => schoolsByLastRun(store.db, new Date(Date.now() - 8 * 86_400_000)),
    heldChangesPending: () => heldChangesPending(store.db),
    outboxCounts: () => outboxCounts(store.db),
  });
  app.get('/metrics', async (c) => c.body(await metrics.metrics(), 200, { 'content-type': metrics.contentType }));

  for (const mount of routes) mount(app);
  // after the route groups: the console, when there is one, answers / itself
  homeRoute(app, store);

  app.notFound((c) => c.json({ error: 'not_found' }, 404));
  app.onError((err, c) => {
    const status = isUsoError(err) ? (statusByCode[err.code] ?? 500) : 500;
    if (status >= 500)
      logger.error(
        { requestId: c.get('requestId'), code: isUsoError(err) ? err.code : 'internal', err: { message: err.message } },
        'request failed',
      );
    return c.json(
      { error: isUsoError(err) ? err.code : 'internal', message: status >= 500 ? 'internal error' : err.message },
      status,
    );
  });
  return app;
}
