// Teams' token check when Microsoft's side misbehaves, and under fuzzed activities: every request whose token was
// not accepted is a 401 (never a 500), an unreachable key service is fetched once per window (not per request) and
// logged once, and no signed activity of any shape gets a 5xx.
import fc from 'fast-check';
import nock from 'nock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { routeConsoleTo } from '../../src/log.js';
import { createApp } from '../../src/app.js';
import { TokenGate } from '../../src/bot/teams/adapter.js';
import { createTeams } from '../../src/bot/teams/app.js';
import { captureLogger } from '../helpers/log.js';
import { chatScheduler, seedChatSchool } from '../helpers/chat-school.js';
import { useTestStore } from '../helpers/store.js';
import {
  APP_ID,
  channelToken,
  connector,
  message,
  serveBotFrameworkKeys,
  serveBotToken,
  SERVICE_URL,
} from '../helpers/teams.js';

const ctx = useTestStore();
const log = captureLogger();
let app: ReturnType<typeof createApp>;

async function send(activity: unknown, token: string): Promise<Response> {
  return app.request('/api/messages', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(activity),
  });
}

/** A fresh bot for each group of cases, so one group's key outage is not another's. */
async function freshApp() {
  const db = ctx.store.db;
  const scheduler = await chatScheduler(db);
  const teams = createTeams({
    db,
    logger: log.logger,
    appId: APP_ID,
    appPassword: 'bot-secret',
    appType: 'MultiTenant',
    scheduler,
    senders: {},
  });
  app = createApp({ store: ctx.store, logger: log.logger, routes: [teams.routes] });
}

beforeAll(async () => {
  await seedChatSchool(ctx.store.db, []);
});

describe('Teams token check', () => {
  beforeAll(freshApp);
  it("answers 401 while Microsoft's keys are unreachable, fetching them once, and says so in the log once", async () => {
    await serveBotFrameworkKeys(); // makes the signing key...
    nock.cleanAll(); // ...but nothing answers for Microsoft: the metadata fetch fails
    let fetches = 0;
    nock('https://login.botframework.com')
      .persist()
      .get('/v1/.well-known/openidconfiguration')
      .reply(() => {
        fetches++;
        return [503, 'unavailable'];
      });
    const token = await channelToken();
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await send(message('status'), token)).status);
    expect(statuses).toEqual(Array(20).fill(401));
    expect(fetches).toBe(1);
    expect(log.lines.filter((l) => l.code === 'teams_keys_unreachable')).toHaveLength(1);
  });

  it('says once when the keys answer again', () => {
    let now = 0;
    const lines: string[] = [];
    const gate = new TokenGate(
      { warn: (_o, m) => lines.push(`warn ${m}`), info: (_o, m) => lines.push(`info ${m}`) },
      () => now,
    );
    const outage = Object.assign(new Error('request to https://login.botframework.com failed'), {
      name: 'FetchError',
      type: 'system',
    });
    expect(gate.failed(outage)).toBe(true);
    expect(gate.failed(outage)).toBe(true);
    expect(gate.refuseNow()).toMatch(/unreachable/);
    now = 31_000;
    expect(gate.refuseNow()).toBeUndefined();
    gate.passed();
    gate.passed();
    expect(gate.failed(Object.assign(new Error('jwt expired'), { name: 'TokenExpiredError' }))).toBe(false);
    expect(lines.map((l) => l.split(' ')[0])).toEqual(['warn', 'info']);
  });
});

describe('Teams under fuzzed activities', () => {
  // as main.ts does: the Bot Framework library's console output goes to the service's log
  let restoreConsole: () => void;
  beforeAll(async () => {
    restoreConsole = routeConsoleTo(log.logger);
    await freshApp();
  });
  afterAll(() => restoreConsole());
  beforeEach(async () => {
    nock.cleanAll();
    await serveBotFrameworkKeys();
    serveBotToken();
    connector();
  });

  it('answers no signed or unsigned activity of any shape with a 5xx (1,000 generated)', async () => {
    const token = await channelToken();
    const text = fc.oneof(
      fc.string(),
      fc.constantFrom('status', 'match', 'help', 'link ABCD', 'grant <at>x</at> head', 'run 2090000', 'unallocated'),
    );
    const activity = fc.record(
      {
        // mostly envelopes that pass the shape check, so most requests reach the bot itself
        type: fc.oneof(
          {
            weight: 9,
            arbitrary: fc.constantFrom(
              'message',
              'invoke',
              'conversationUpdate',
              'installationUpdate',
              'messageReaction',
              'event',
            ),
          },
          { weight: 1, arbitrary: fc.string() },
        ),
        serviceUrl: fc.oneof(
          { weight: 9, arbitrary: fc.constant(SERVICE_URL) },
          { weight: 1, arbitrary: fc.oneof(fc.webUrl(), fc.string()) },
        ),
        conversation: fc.oneof(
          {
            weight: 9,
            arbitrary: fc.record(
              {
                id: fc.oneof(fc.constant('19:uso-admins@thread.tacv2'), fc.string({ minLength: 1 })),
                conversationType: fc.constantFrom('channel', 'personal', 'groupChat'),
                tenantId: fc.uuid(),
              },
              { requiredKeys: ['id'] },
            ),
          },
          { weight: 1, arbitrary: fc.anything() },
        ),
        from: fc.oneof(
          fc.record({ id: fc.string(), name: fc.string(), aadObjectId: fc.uuid() }, { requiredKeys: [] }),
          fc.anything(),
        ),
        recipient: fc.record({ id: fc.string(), name: fc.string() }, { requiredKeys: [] }),
        channelId: fc.oneof(
          { weight: 9, arbitrary: fc.constant('msteams') },
          { weight: 1, arbitrary: fc.constantFrom('webchat', '') },
        ), // the key is endorsed for msteams only
        id: fc.string(),
        text,
        name: fc.constantFrom('adaptiveCard/action', 'composeExtension/query', 'x'),
        value: fc.oneof(
          fc.record({
            action: fc.record(
              {
                type: fc.constant('Action.Execute'),
                verb: fc.constantFrom('uso.match', 'uso.create', 'uso.exclude', 'uso.restore', 'uso.approve', 'x'),
                data: fc.anything(),
              },
              { requiredKeys: [] },
            ),
          }),
          fc.anything(),
        ),
        channelData: fc.anything(),
        entities: fc.oneof(
          fc.array(
            fc.record(
              { type: fc.constantFrom('mention', 'clientInfo'), mentioned: fc.anything(), text: fc.string() },
              { requiredKeys: [] },
            ),
          ),
          fc.anything(),
        ),
        membersAdded: fc.anything(),
      },
      { requiredKeys: ['type', 'serviceUrl', 'conversation'] },
    );
    const body = fc.oneof({ weight: 8, arbitrary: activity }, { weight: 1, arbitrary: fc.anything() });
    const signed = fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) });
    let runs = 0;
    const statuses: Record<number, number> = {};
    await fc.assert(
      fc.asyncProperty(body, signed, async (b, sign) => {
        runs++;
        const res = await app.request('/api/messages', {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(sign ? { authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify(b) ?? 'null',
        });
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        expect(res.status, JSON.stringify(b)?.slice(0, 300)).toBeLessThan(500);
      }),
      { numRuns: 1000, seed: 19 },
    );
    expect(runs).toBe(1000);
    expect(statuses[200] ?? 0).toBeGreaterThan(333); // a good share reached the bot itself, not only the checks before it
  });
});
