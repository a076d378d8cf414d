// Failures said out loud: a scheduler on the test store, Integris simulated at its HTTP boundary, and the school
// linked in Slack and Teams. Each problem puts exactly one message per conversation in the outbox however often it
// recurs, rendered for each platform, and its end is said once.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { redeemLinkCode, createLinkCode } from '../../src/bot/access.js';
import * as alerts from '../../src/bot/alerts.js';
import { queueLaDigests } from '../../src/bot/notify.js';
import { grantRole } from '../../src/bot/access.js';
import { blockKitProblems } from '../../src/bot/views/blocks.js';
import { cardProblems, type AdaptiveCard } from '../../src/bot/views/cards.js';
import { Scheduler } from '../../src/sync/jobs.js';
import { updateSchool } from '../../src/store/schools.js';
import { adaptiveCardErrors } from '../helpers/adaptive-cards.js';
import { la, linkSlackChannel, school, seedChatSchool } from '../helpers/chat-school.js';
import { simulatedIntegris } from '../helpers/integris.js';
import { captureLogger } from '../helpers/log.js';
import { useFreshStoreEachTest } from '../helpers/store.js';

const ctx = useFreshStoreEachTest();
const log = captureLogger();
let scheduler: Scheduler | undefined;

/** The notices queued for the school, by conversation. */
async function notices(): Promise<
  { _id: string; platform: string; message: { text: string; blocks?: unknown[]; card?: unknown } }[]
> {
  return ctx.store.db
    .collection<{ _id: string; platform: string; message: { text: string; blocks?: unknown[]; card?: unknown } }>(
      'outbox',
    )
    .find({ _id: { $regex: '^notice:' } })
    .sort({ createdAt: 1 })
    .toArray();
}

async function until<T>(what: () => Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await what();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every notice must be one its platform accepts. */
function expectRenderable(n: Awaited<ReturnType<typeof notices>>[number]): void {
  if (n.platform === 'slack') expect(blockKitProblems(n.message as never)).toEqual([]);
  else {
    expect(cardProblems(n.message.card as AdaptiveCard)).toEqual([]);
    expect(adaptiveCardErrors(n.message.card as Record<string, unknown>)).toEqual([]);
  }
}

beforeEach(async () => {
  const db = ctx.store.db;
  await seedChatSchool(db, []);
  await linkSlackChannel(db);
  const code = await createLinkCode(db, school.dfeNumber, { platform: 'cli', userId: 'ops', displayName: 'ops' });
  await redeemLinkCode(
    db,
    code,
    { platform: 'teams', workspace: 'tenant-1', userId: '29:head', displayName: 'Hazel Head' },
    { platform: 'teams', workspace: 'tenant-1', conversation: '19:channel@thread.tacv2' },
  );
});

afterEach(async () => {
  await scheduler?.stop();
  scheduler = undefined;
});

function start(client: ReturnType<typeof simulatedIntegris>['client']): Scheduler {
  const db = ctx.store.db;
  scheduler = new Scheduler({
    db,
    logger: log.logger,
    integris: client,
    timeZone: 'Europe/London',
    concurrency: 1,
    processDelayMinutes: 0,
    processEvery: 200,
    // wired as the service wires them
    onRun: async (run) => void (run.status === 'succeeded' && (await alerts.runSucceeded(db, run.dfeNumber))),
    onRunFailed: async (dfe, code) => void (await alerts.runFailed(db, dfe, code)),
    onRevoked: async (dfe) => void (await alerts.grantRevoked(db, dfe)),
    onGranted: async (dfe) => void (await alerts.grantRestored(db, dfe)),
    onReportsChanged: async (dfe, change) => void (await alerts.reportsChanged(db, dfe, change)),
  });
  return scheduler;
}

const runsOf = () => ctx.store.db.collection('runs').find({ dfeNumber: school.dfeNumber }).toArray();

describe('Failures said out loud', () => {
  it('says a failed run once per conversation with the reason and what to do, however often it fails, and its recovery once', async () => {
    const { sim, client } = simulatedIntegris({ la, client: { maxRetries: 0 } });
    sim.revoke(school.dfeNumber); // Integris now refuses this school's export
    const s = start(client);
    await s.start();
    await s.runNow(school.dfeNumber);
    await until(async () => (await runsOf()).filter((r) => r.status === 'failed').length >= 1);
    await s.runNow(school.dfeNumber);
    await until(async () => (await runsOf()).filter((r) => r.status === 'failed').length >= 2);
    const said = await until(async () => ((await notices()).length >= 2 ? notices() : undefined));
    expect(said.map((n) => n.platform).sort()).toEqual(['slack', 'teams']);
    for (const n of said) {
      expectRenderable(n);
      expect(JSON.stringify(n.message)).toContain('the run failed (integris_access_revoked)');
      expect(JSON.stringify(n.message)).toContain('grant it again in Integris');
    }

    sim.grant(school.dfeNumber);
    await s.runNow(school.dfeNumber);
    await until(async () => (await runsOf()).some((r) => r.status === 'succeeded'));
    const all = await until(async () => ((await notices()).length >= 4 ? notices() : undefined));
    expect(all).toHaveLength(4);
    const recovered = all.filter((n) => JSON.stringify(n.message).includes('runs are working again'));
    expect(recovered.map((n) => n.platform).sort()).toEqual(['slack', 'teams']);
    recovered.forEach(expectRenderable);
    // a later success says nothing more
    expect(await alerts.runSucceeded(ctx.store.db, school.dfeNumber)).toBe(0);
  });

  it('says a revoked grant once, an un-shared report once, and the grant coming back once', async () => {
    const { sim, client } = simulatedIntegris({ la });
    const s = start(client);
    await s.revoke(school.dfeNumber);
    await s.revoke(school.dfeNumber); // the hourly discovery and a webhook can both report it
    let said = await notices();
    expect(said).toHaveLength(2);
    for (const n of said) {
      expectRenderable(n);
      expect(JSON.stringify(n.message)).toContain('Integris Datashare access was withdrawn');
    }
    // granted again, without the staff report
    const listed = la.schools.find((x) => x.dfeNumber === school.dfeNumber)!;
    const before = listed.permissions;
    listed.permissions = before.filter((r) => r !== 'staff');
    sim.grant(school.dfeNumber);
    await s.discover();
    await s.discover();
    said = await notices();
    const texts = said.map((n) => JSON.stringify(n.message));
    expect(texts.filter((t) => t.includes('access was granted again'))).toHaveLength(2);
    expect(texts.filter((t) => t.includes('the staff report is no longer shared'))).toHaveLength(2);
    expect(said).toHaveLength(6);
    said.forEach(expectRenderable);
    listed.permissions = before;
  });

  it('says exports stopped arriving after two school days, once, and pauses; the LA digest lists what is open', async () => {
    const db = ctx.store.db;
    // the seeded export arrived on la.today; two school days later nothing more has come
    let day = la.today;
    for (let weekdays = 0; weekdays < 3;) {
      day = new Date(Date.parse(`${day}T12:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
      if (![0, 6].includes(new Date(`${day}T12:00:00Z`).getUTCDay())) weekdays++;
    }
    await updateSchool(db, school.dfeNumber, { grant: { state: 'granted', grantedAt: `${la.today}T00:00:00Z` } });
    expect(await alerts.checkExportsArriving(db, day)).toBe(2);
    expect(await alerts.checkExportsArriving(db, day)).toBe(0);
    expect(JSON.stringify((await notices()).map((n) => n.message))).toMatch(
      /no export from Integris for 2 school days/,
    );
    expect(await alerts.pauseChanged(db, {}, true, 'summer rollover')).toBe(2);
    expect(await alerts.pauseChanged(db, {}, true, 'summer rollover')).toBe(0);
    expect(JSON.stringify((await notices()).map((n) => n.message))).toContain(
      'paused by the operator: summer rollover',
    );
    await grantRole(db, { platform: 'cli', userId: 'ops', displayName: 'ops' }, school.dfeNumber, 'slack:T1:ULA', 'la');
    expect(await queueLaDigests(db, day)).toBe(1);
    const digest = await db.collection('outbox').findOne({ _id: `digest:${day}:slack:T1:ULA` as never });
    expect(digest?.message.text).toContain('no export for 2+ school days');
    expect(await alerts.pauseChanged(db, {}, false)).toBe(2);
    (await notices()).forEach(expectRenderable);
  });
});
