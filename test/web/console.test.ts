// The web console over HTTP, signed in through a real OpenID provider on this machine: a head sees her schools and
// decides a held change with the same action chat runs (audited as her), undoes it, and signs out; a contact of
// another school is refused that school's page and forms; forms without the session's CSRF token are refused; a
// sign-in's state is used once; an expired session signs out.
import { serve } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { consoleRoutes } from '../../src/web/console.js';
import { freePort } from '../../src/store/index.js';
import { saveRole } from '../../src/store/chat.js';
import { auditEntries } from '../../src/store/audit.js';
import { recordTeamsUser } from '../../src/store/web-sessions.js';
import { generateLocalAuthority } from '../../src/sync/integris/sim/generator.js';
import { exportOf } from '../../src/sync/integris/sim/export-file.js';
import { syncSchool, type RunSummary } from '../../src/sync/process.js';
import { upsertSchool } from '../../src/store/schools.js';
import { captureLogger } from '../helpers/log.js';
import { useTestStore } from '../helpers/store.js';
import { browserFetch, postForm, signInThrough, startOidcProvider, type LocalProvider } from '../helpers/oidc.js';

const ctx = useTestStore();
const la = generateLocalAuthority({ seed: 21, schools: 2, sizeFactor: 0.15 });
const [a, b] = la.schools as [(typeof la.schools)[0], (typeof la.schools)[0]];
let provider: LocalProvider;
let server: Server;
let consoleUrl: string;
let held: RunSummary;
const TENANT = '0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9';

beforeAll(async () => {
  const db = ctx.store.db;
  const logger = captureLogger().logger;
  const port = await freePort();
  consoleUrl = `http://127.0.0.1:${port}`;
  provider = await startOidcProvider([
    { id: 'slack-console', secret: 'slack-secret', redirect: `${consoleUrl}/auth/callback` },
    { id: 'entra-console', secret: 'entra-secret', redirect: `${consoleUrl}/auth/callback` },
  ]);
  for (const s of la.schools)
    await upsertSchool(db, {
      dfeNumber: s.dfeNumber,
      name: s.name,
      laCode: s.laCode,
      acceptedReports: ['students', 'staff'],
    });
  for (const s of la.schools)
    await syncSchool({ db, logger }, s.dfeNumber, {
      trigger: 'file',
      file: exportOf(s, `${la.today}T18:00:00Z`),
      today: la.today,
    });
  // a third of school A's pupils are gone from the next export: over its threshold, held for the head
  a.students = a.students.slice(0, Math.floor(a.students.length * 0.66));
  held = await syncSchool({ db, logger }, a.dfeNumber, {
    trigger: 'file',
    file: exportOf(a, `${la.today}T19:00:00Z`),
    today: la.today,
  });
  expect(held.counts.held_unallocation).toBeGreaterThan(5);
  await saveRole(db, { actor: 'slack:T1:UHEAD', role: 'head', dfeNumber: a.dfeNumber, grantedBy: 'test' });
  await saveRole(db, { actor: 'slack:T1:UCONTACT', role: 'contact', dfeNumber: b.dfeNumber, grantedBy: 'test' });
  await saveRole(db, {
    actor: `teams:${TENANT}:29:teams-head`,
    role: 'head',
    dfeNumber: b.dfeNumber,
    grantedBy: 'test',
  });
  await recordTeamsUser(db, TENANT, 'aad-object-1', '29:teams-head');
  provider.accounts.set('head', {
    name: 'Ada Head',
    'https://slack.com/team_id': 'T1',
    'https://slack.com/user_id': 'UHEAD',
  });
  provider.accounts.set('contact', {
    name: 'Cal Contact',
    'https://slack.com/team_id': 'T1',
    'https://slack.com/user_id': 'UCONTACT',
  });
  provider.accounts.set('teams-head', { name: 'Tess Teams', tid: TENANT, oid: 'aad-object-1' });
  const app = createApp({
    store: ctx.store,
    logger,
    routes: [
      consoleRoutes({
        db,
        logger,
        oidc: {
          publicUrl: consoleUrl,
          slack: { issuer: provider.issuer, clientId: 'slack-console', clientSecret: 'slack-secret' },
          entra: { authority: provider.issuer, clientId: 'entra-console', clientSecret: 'entra-secret' },
        },
        sessionSecret: 'a-session-secret-of-at-least-32-characters',
        ctx: { db },
      }),
    ],
  });
  server = await new Promise<Server>((ok) => {
    const s = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => ok(s as Server));
  });
  expect((server.address() as AddressInfo).port).toBe(port);
}, 120_000);

afterAll(async () => {
  server?.close();
  await provider?.close();
});

const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

describe('the web console', () => {
  it('sends a visitor to sign in, and signs a head in with Slack to the schools she acts for', async () => {
    const browser = browserFetch();
    const first = await browser.send(`${consoleUrl}/`);
    expect(first.url).toBe(`${consoleUrl}/signin`);
    expect(first.body).toContain('Sign in with Slack');
    const board = await signInThrough(browser, consoleUrl, 'slack', 'head');
    expect(board.url).toBe(`${consoleUrl}/`);
    expect(board.body).toContain('Signed in as Ada Head');
    expect(board.body).toContain(a.name);
    expect(board.body).not.toContain(b.name);
    const cookie = browser.jar.get(new URL(consoleUrl).host)!.get('uso_session');
    expect(cookie).toBeTruthy();
  });

  it('a head approves one held change, as chat would (audited as her), undoes it, and signs out', async () => {
    const browser = browserFetch();
    await signInThrough(browser, consoleUrl, 'slack', 'head');
    const page = await browser.send(`${consoleUrl}/schools/${a.dfeNumber}`);
    expect(page.res.status).toBe(200);
    const username = /name="u" value="([^"]+)"/.exec(page.body)![1]!;
    const approved = await browser.send(
      `${consoleUrl}/schools/${a.dfeNumber}/actions/approveOne`,
      postForm({ csrf: csrfOf(page.body), r: held.runId, u: username }),
    );
    expect(approved.res.status).toBe(200);
    expect(approved.body).toContain(`${username} was approved by Ada Head: 1 applied.`);
    const entries = await auditEntries(ctx.store.db, { username, action: 'account.unallocated' }, 10);
    expect(entries[0]?.actor).toBe('slack:T1:UHEAD');
    const undone = await browser.send(
      `${consoleUrl}/schools/${a.dfeNumber}/actions/undo`,
      postForm({ csrf: csrfOf(approved.body), r: held.runId, u: username, k: 'approve' }),
    );
    expect(undone.res.status).toBe(200);
    expect(undone.body).toMatch(/class="notice"/);
    const out = await browser.send(`${consoleUrl}/signout`, postForm({ csrf: csrfOf(undone.body) }));
    expect(out.url).toBe(`${consoleUrl}/signin`);
    expect((await browser.send(`${consoleUrl}/schools/${a.dfeNumber}`)).url).toBe(`${consoleUrl}/signin`);
  });

  it("refuses a contact of another school that school's page and its forms", async () => {
    const browser = browserFetch();
    const board = await signInThrough(browser, consoleUrl, 'slack', 'contact');
    expect(board.body).toContain(b.name);
    const page = await browser.send(`${consoleUrl}/schools/${a.dfeNumber}`);
    expect(page.res.status).toBe(403);
    expect(page.body).not.toContain('Held changes');
    const own = await browser.send(`${consoleUrl}/schools/${b.dfeNumber}`);
    const forged = await browser.send(
      `${consoleUrl}/schools/${a.dfeNumber}/actions/approve`,
      postForm({ csrf: csrfOf(own.body), r: held.runId }),
    );
    expect(forged.res.status).toBe(403);
    const csv = await browser.send(`${consoleUrl}/schools/${a.dfeNumber}/new-accounts.csv`);
    expect(csv.res.status).toBe(403);
    // a contact may not approve even at her own school (a head decides held changes)
    const notHead = await browser.send(
      `${consoleUrl}/schools/${b.dfeNumber}/actions/approve`,
      postForm({ csrf: csrfOf(own.body), r: held.runId }),
    );
    expect(notHead.res.status).toBe(403);
  });

  it('refuses a form without the session’s CSRF token, and an action the console does not offer', async () => {
    const browser = browserFetch();
    await signInThrough(browser, consoleUrl, 'slack', 'head');
    const page = await browser.send(`${consoleUrl}/schools/${a.dfeNumber}`);
    const noToken = await browser.send(
      `${consoleUrl}/schools/${a.dfeNumber}/actions/approve`,
      postForm({ r: held.runId }),
    );
    expect(noToken.res.status).toBe(403);
    const wrongToken = await browser.send(
      `${consoleUrl}/schools/${a.dfeNumber}/actions/approve`,
      postForm({ csrf: 'x'.repeat(43), r: held.runId }),
    );
    expect(wrongToken.res.status).toBe(403);
    const other = await browser.send(
      `${consoleUrl}/schools/${a.dfeNumber}/actions/preApproval`,
      postForm({ csrf: csrfOf(page.body), o: 'allow' }),
    );
    expect(other.res.status).toBe(404);
  });

  it('signs a Teams head in with Microsoft, for her organisation, as the Teams user the bot knows', async () => {
    const browser = browserFetch();
    const bad = await browser.send(`${consoleUrl}/auth/entra`, postForm({ tenant: 'not a domain' }));
    expect(bad.res.status).toBe(400);
    expect(bad.body).toMatch(/expected your organisation(&#39;|')s domain/);
    const board = await signInThrough(browser, consoleUrl, 'entra', 'teams-head', { tenant: TENANT });
    expect(board.body).toContain('Signed in as Tess Teams');
    expect(board.body).toContain(b.name);
    expect(board.body).not.toContain(a.name);
  });

  it('uses a sign-in’s state once', async () => {
    const browser = browserFetch();
    await signInThrough(browser, consoleUrl, 'slack', 'head');
    const replay = await browser.send(`${consoleUrl}/auth/callback?state=made-up&code=made-up`);
    expect(replay.res.status).toBe(400);
    expect(replay.body).toContain('That sign-in has expired or was already used');
  });
});
