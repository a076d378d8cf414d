// The console in a real browser (Debian's Chromium, driven by playwright-core): a head signs in through the local
// OpenID provider's own pages, sees the LA board, opens her school, approves one held change, undoes it and signs
// out. axe-core checks every page met on the way against WCAG 2.2 AA; the board and the school page are saved as the
// README's screenshots. Skipped where no Chromium is installed (CI installs it).
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { useTestStore } from '../helpers/store.js';
import { startConsoleFixture, type ConsoleFixture } from '../helpers/console-fixture.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', process.env.CHROMIUM_PATH ?? ''].find(
  (p) => p && existsSync(p),
);
const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
// the README's screenshots are taken again only when asked (UPDATE_SCREENSHOTS=1): a run leaves the repository as it was
const shots = process.env.UPDATE_SCREENSHOTS
  ? new URL('../../docs/screenshots/', import.meta.url).pathname
  : `${tmpdir()}/uso-console-screenshots/`;

const ctx = useTestStore();
let fx: ConsoleFixture;
let browser: Browser;

interface AxeResult {
  violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[];
}

/** axe-core's WCAG 2.2 AA rules on the page as it stands; the serious and critical findings, named. */
async function accessibilityProblems(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: axePath });
  const result = (await page.evaluate(() =>
    (globalThis as unknown as { axe: { run(o: unknown): Promise<unknown> } }).axe.run({
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
    }),
  )) as AxeResult;
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${page.url()}: ${v.id} (${v.impact}): ${v.help} at ${JSON.stringify(v.nodes[0]?.target)}`);
}

describe.skipIf(!CHROMIUM)('the console in a browser', () => {
  beforeAll(async () => {
    fx = await startConsoleFixture(ctx.store);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await fx?.close();
  });

  it('a head signs in, approves one held change, undoes it and signs out; every page passes axe', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    await page.goto(`${fx.consoleUrl}/`);
    expect(page.url()).toBe(`${fx.consoleUrl}/signin`);
    problems.push(...(await accessibilityProblems(page)));

    await page.getByRole('button', { name: 'Sign in with Slack' }).click();
    // the provider's own login and consent pages
    await page.locator('input[name="login"]').fill('head');
    await page.locator('input[name="password"]').fill('any');
    await page.locator('button[type="submit"]').click();
    await page.locator('button[type="submit"]').click();
    await page.waitForURL(`${fx.consoleUrl}/`);
    await page.getByText('Signed in as Ada Head').waitFor({ timeout: 5000 });
    expect(await page.locator('h1').textContent()).toBe('Your schools');
    problems.push(...(await accessibilityProblems(page)));
    mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: `${shots}la-board.png`, fullPage: true });

    await page.getByRole('link', { name: fx.a.name }).click();
    expect(page.url()).toBe(`${fx.consoleUrl}/schools/${fx.a.dfeNumber}`);
    problems.push(...(await accessibilityProblems(page)));
    await page.screenshot({ path: `${shots}school.png`, fullPage: false });

    const approve = page.getByRole('button', { name: /^Approve (?!all)/ }).first();
    const username = ((await approve.textContent()) ?? '').replace('Approve ', '');
    await approve.click();
    await page.getByText(`${username} was approved by Ada Head: 1 applied.`).waitFor({ timeout: 5000 });
    expect(await page.getByRole('status').textContent()).toContain(`${username} was approved by Ada Head`);
    problems.push(...(await accessibilityProblems(page)));

    await page.getByRole('status').getByRole('button', { name: 'Undo' }).click();
    expect(await page.getByRole('status').textContent()).toMatch(/undone|put back|again/i);
    expect(await page.getByRole('button', { name: `Approve ${username}` }).count()).toBe(1);

    await page.getByRole('link', { name: 'The last run, record by record' }).click();
    problems.push(...(await accessibilityProblems(page)));
    await page.goto(`${fx.consoleUrl}/schools/${fx.a.dfeNumber}/audit`);
    expect(await page.locator('h1').textContent()).toBe(`Audit of ${fx.a.dfeNumber}`);
    problems.push(...(await accessibilityProblems(page)));

    await page.goto(`${fx.consoleUrl}/schools/${fx.a.dfeNumber}/who?q=kept.byhand`);
    await page.getByText('Account kept.byhand, active').waitFor({ timeout: 5000 });
    problems.push(...(await accessibilityProblems(page)));
    await page.goto(`${fx.consoleUrl}/schools/${fx.a.dfeNumber}/forms/settings`);
    expect(await page.locator('h1').textContent()).toBe('School settings');
    problems.push(...(await accessibilityProblems(page)));

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${fx.consoleUrl}/signin`);
    await page.goto(`${fx.consoleUrl}/schools/${fx.a.dfeNumber}`);
    expect(page.url()).toBe(`${fx.consoleUrl}/signin`);
    expect(problems).toEqual([]);
  });

  it("a contact of one school gets 403 for another school's page", async () => {
    const page = await browser.newPage();
    await page.goto(`${fx.consoleUrl}/signin`);
    await page.getByRole('button', { name: 'Sign in with Slack' }).click();
    await page.locator('input[name="login"]').fill('contact');
    await page.locator('input[name="password"]').fill('any');
    await page.locator('button[type="submit"]').click();
    await page.locator('button[type="submit"]').click();
    await page.waitForURL(`${fx.consoleUrl}/`);
    const response = await page.goto(`${fx.consoleUrl}/schools/${fx.a.dfeNumber}`);
    expect(response?.status()).toBe(403);
    expect(await accessibilityProblems(page)).toEqual([]);
  });
});
