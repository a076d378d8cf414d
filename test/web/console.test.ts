// The web console over HTTP, signed in through a real OpenID provider on this machine: a head sees her schools and
// decides a held change with the same action chat runs (audited as her), undoes it, and signs out; a contact of
// another school is refused that school's page and forms; forms without the session's CSRF token are refused; a
// sign-in's state is used once; an expired session signs out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEntries } from '../../src/store/audit.js';
import { saveWebLogin, takeWebLogin } from '../../src/store/web-sessions.js';
import type { RunSummary } from '../../src/sync/process.js';
import { useTestStore } from '../helpers/store.js';
import { browserFetch, postForm, signInThrough } from '../helpers/oidc.js';
import { FIXTURE_TENANT, startConsoleFixture, type ConsoleFixture } from '../helpers/console-fixture.js';

const ctx = useTestStore();
let fx: ConsoleFixture;
let consoleUrl: string;
let held: RunSummary;
let a: ConsoleFixture['a'];
let b: ConsoleFixture['b'];
const TENANT = FIXTURE_TENANT;

beforeAll(async () => {
  fx = await startConsoleFixture(ctx.store);
  ({ consoleUrl, held, a, b } = fx);
}, 120_000);

afterAll(async () => fx?.close());

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
    // now a leaver in the pool, restorable from the same page
    expect(approved.body).toContain(`Restore ${username}`);
    // the account kept by hand that the MIS does not export, to keep (with a reason) or retire
    expect(page.body).toContain('Retire kept.byhand');
    const keep = await browser.send(`${consoleUrl}/schools/${a.dfeNumber}/forms/keep?u=kept.byhand`);
    expect(keep.res.status).toBe(200);
    expect(keep.body).toContain('<h1>Keep this account</h1>');
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

  it('finishes only the sign-in this browser started', async () => {
    // an attacker starts a sign-in and hands the victim the callback with the attacker's state and code
    const started = await fetch(`${consoleUrl}/auth/slack`, { ...postForm({}), redirect: 'manual' });
    const state = new URL(started.headers.get('location')!).searchParams.get('state')!;
    expect(state).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    const victim = browserFetch();
    const forced = await victim.send(`${consoleUrl}/auth/callback?state=${state}&code=stolen`);
    expect(forced.res.status).toBe(400);
    expect(forced.body).toContain('That sign-in was not started in this browser');
    expect(victim.jar.get(new URL(consoleUrl).host)?.get('uso_session')).toBeUndefined();
  });

  it('refuses a made-up callback, and a sign-in finished once is not finished again', async () => {
    const browser = browserFetch();
    await signInThrough(browser, consoleUrl, 'slack', 'head');
    const madeUp = await browser.send(`${consoleUrl}/auth/callback?state=made-up&code=made-up`);
    expect(madeUp.res.status).toBe(400);
    expect(madeUp.body).toContain('sign in again');
    const login = await saveWebLogin(ctx.store.db, { provider: 'slack', issuer: 'x', codeVerifier: 'v', nonce: 'n' });
    expect(await takeWebLogin(ctx.store.db, login)).toMatchObject({ provider: 'slack', nonce: 'n' });
    expect(await takeWebLogin(ctx.store.db, login)).toBeUndefined();
  });

  it('shows a run record by record, by kind and a page at a time, and the school’s audit, to those who may read them', async () => {
    const browser = browserFetch();
    await signInThrough(browser, consoleUrl, 'slack', 'head');
    const run = await browser.send(`${consoleUrl}/runs/${held.runId}`);
    expect(run.res.status).toBe(200);
    expect(run.body).toContain('held_unallocation');
    const kind = await browser.send(`${consoleUrl}/runs/${held.runId}?kind=held_unallocation`);
    const rows = kind.body.match(/<td>held_unallocation<\/td>/g) ?? [];
    expect(rows.length).toBe(Math.min(50, held.counts.held_unallocation!));
    const whoIs = await browser.send(`${consoleUrl}/schools/${a.dfeNumber}/who?q=kept.byhand`);
    expect(whoIs.res.status).toBe(200);
    expect(whoIs.body).toContain('Account kept.byhand, active');
    const audit = await browser.send(`${consoleUrl}/schools/${a.dfeNumber}/audit`);
    expect(audit.res.status).toBe(200);
    expect(audit.body).toContain('run.finished');

    const other = browserFetch();
    await signInThrough(other, consoleUrl, 'slack', 'contact');
    expect((await other.send(`${consoleUrl}/runs/${held.runId}`)).res.status).toBe(403);
    expect((await other.send(`${consoleUrl}/schools/${a.dfeNumber}/audit`)).res.status).toBe(403);
    expect((await other.send(`${consoleUrl}/schools/${a.dfeNumber}/who?q=kept`)).res.status).toBe(403);
    expect((await other.send(`${consoleUrl}/runs/no-such-run`)).res.status).toBe(404);
  });

  it("the school's forms are chat's forms: settings checked field by field, for those who may change them", async () => {
    const browser = browserFetch();
    await signInThrough(browser, consoleUrl, 'slack', 'head');
    const form = await browser.send(`${consoleUrl}/schools/${a.dfeNumber}/forms/settings`);
    expect(form.res.status).toBe(200);
    expect(form.body).toMatch(/<label for="f-graceDays">/);
    const values = (extra: Record<string, string>) => {
      const fields: Record<string, string> = { csrf: csrfOf(form.body) };
      // as a browser sends it: text inputs, and each select's chosen option (the first, when none is marked)
      for (const m of form.body.matchAll(/<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g))
        if (!/type="checkbox"/.test(m[0])) fields[m[1]!] ??= m[2]!;
      for (const m of form.body.matchAll(/<select[^>]*name="([^"]+)"[^>]*>(.*?)<\/select>/gs))
        fields[m[1]!] = (/<option value="([^"]*)" selected/.exec(m[2]!) ?? /<option value="([^"]*)"/.exec(m[2]!))![1]!;
      return { ...fields, ...extra };
    };
    const bad = await browser.send(
      `${consoleUrl}/schools/${a.dfeNumber}/forms/settings`,
      postForm(values({ graceDays: '99' })),
    );
    expect(bad.res.status).toBe(400);
    expect(bad.body).toMatch(/id="f-graceDays-error"/);
    const good = await browser.send(
      `${consoleUrl}/schools/${a.dfeNumber}/forms/settings`,
      postForm(values({ graceDays: '3' })),
    );
    expect(good.res.status).toBe(200);
    expect(good.body).toContain('The school&#39;s settings are saved.');
    const saved = await auditEntries(ctx.store.db, { dfeNumber: a.dfeNumber, action: 'school.settings' }, 5);
    expect(saved[0]?.actor).toBe('slack:T1:UHEAD');

    const other = browserFetch();
    await signInThrough(other, consoleUrl, 'slack', 'contact');
    expect((await other.send(`${consoleUrl}/schools/${a.dfeNumber}/forms/settings`)).res.status).toBe(403);
    expect((await other.send(`${consoleUrl}/schools/${b.dfeNumber}/forms/no-such-form`)).res.status).toBe(404);
  });
});
