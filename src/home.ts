// GET /: a small page for whoever opens the service's address: what it is, whether it is ready, and where its
// machine-readable parts are. No personal data and no figures about schools: the page is public.
import { html } from 'hono/html';
import type { Hono } from 'hono';
import type { Store } from './store/index.js';
import { SCHEMA_VERSION } from './store/migrations.js';
import { SERVICE_VERSION } from './version.js';

export function homeRoute(app: Hono, store: Store): void {
  app.get('/', async (c) => {
    const ready = await store.ping(1000).then(
      () => true,
      () => false,
    );
    const page = html`<!doctype html>
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>uso-autoupdate</title>
          <style>
            body {
              font:
                16px/1.5 system-ui,
                sans-serif;
              max-width: 42rem;
              margin: 2rem auto;
              padding: 0 1rem;
              color: #1b1b1b;
            }
            .ok {
              color: #0a6b2d;
            }
            .down {
              color: #a4001d;
            }
            code {
              background: #f2f2f2;
              padding: 0 0.25rem;
            }
          </style>
        </head>
        <body>
          <main>
            <h1>uso-autoupdate</h1>
            <p>
              Keeps the network's single-sign-on accounts in step with each school's MIS (RM Integris): new starters get
              accounts, leavers are unallocated, look-alikes are held for a person to match. School admins act on each
              night's results in Slack or Microsoft Teams.
            </p>
            <h2>Status</h2>
            <p class="${ready ? 'ok' : 'down'}">
              ${ready ? `Ready: the store (${store.kind}) answers.` : 'Not ready: the store does not answer.'}
            </p>
            <p>Version ${SERVICE_VERSION}, store schema ${String(SCHEMA_VERSION)}.</p>
            <h2>For machines</h2>
            <ul>
              <li><a href="/healthz">/healthz</a>: the process is up</li>
              <li><a href="/readyz">/readyz</a>: the store answers (503 if not)</li>
              <li><a href="/metrics">/metrics</a>: Prometheus metrics</li>
              <li><a href="/api/v1/openapi.json">/api/v1/openapi.json</a>: the read API for approved services</li>
            </ul>
          </main>
        </body>
      </html>`;
    return c.html(page, ready ? 200 : 503);
  });
}
