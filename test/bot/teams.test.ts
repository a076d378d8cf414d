// Signed Bot Framework activities into the Hono app's /api/messages, with only Microsoft's HTTP endpoints
// intercepted (nock): the OpenID metadata and keys, the login token endpoint, and the Bot Connector.
import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/app.js';
import { conversationsOfSchool, createLinkCode, grantRole } from '../../src/bot/access.js';
import { slackSender } from '../../src/bot/slack/sender.js';
import { notifyRun, queueLaDigests } from '../../src/bot/notify.js';
import { deliverDue, outboxItem } from '../../src/bot/outbox.js';
import { createTeams } from '../../src/bot/teams/app.js';
import { cardProblems, type AdaptiveCard } from '../../src/bot/views/cards.js';
import { getAccount } from '../../src/store/accounts.js';
import { insertAccounts } from '../../src/store/account-inserts.js';
import { linkedAccount, pupil, school as school_ } from '../helpers/people.js';
import { getMatch } from '../../src/store/matches.js';
import { getSchool, updateSchool } from '../../src/store/schools.js';
import { requestAccount } from '../../src/sync/school-admin.js';
import { finishRun, getRun, startRun } from '../../src/store/runs.js';
import { captureLogger } from '../helpers/log.js';
import { chatScheduler, school, seedChatSchool, linkSlackChannel, nightWithLeavers } from '../helpers/chat-school.js';
import { adaptiveCardErrors } from '../helpers/adaptive-cards.js';
import { useFreshStoreEachTest } from '../helpers/store.js';
import {
  actionsIn,
  APP_ID,
  botInTeam,
  cardIn,
  CHANNEL,
  channelToken,
  connector,
  execute,
  HEAD,
  message,
  searchInvoke,
  serveBotFrameworkKeys,
  serveBotToken,
  strangerKey,
  TENANT,
  type Person,
} from '../helpers/teams.js';

const ctx = useFreshStoreEachTest();
const CONTACT: Person = { id: '29:contact-user', name: 'Colin Contact' };
const STRANGER: Person = { id: '29:stranger', name: 'Sam Stranger' };
let app: ReturnType<typeof createApp>;
let teams: ReturnType<typeof createTeams>;
let bc: ReturnType<typeof connector>;
let token: ReturnType<typeof serveBotToken>;
const slack = slackSender('xoxb-test');
/** Everything the bot and the HTTP shell log in this file. */
/** The service's log at debug level, and whatever the Teams SDKs (botbuilder, teams-ai) write to the console. */
const log = captureLogger('debug');
const consoleOut: string[] = [];
beforeEach(() => {
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const)
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      consoleOut.push(args.map((a) => (a instanceof Error ? `${a.message} ${a.stack}` : JSON.stringify(a))).join(' '));
    });
});
// whatever a case did, neither the service's log nor the SDKs' console output names a pupil, a birth date or a UPN
afterEach(() => {
  vi.restoreAllMocks();
  const text = `${log.text()}\n${consoleOut.join('\n')}`;
  consoleOut.length = 0;
  const names = [...school.students.map((p) => p.legalSurname), 'Whitfield'].filter((n) => n.length >= 6);
  for (const name of names) expect(text, 'a pupil name reached the log').not.toMatch(new RegExp(`\\b${name}\\b`));
  const births = school.students.map((p) => p.dateOfBirth).filter(Boolean);
  for (const born of births) expect(text, 'a birth date reached the log').not.toContain(born);
  expect(text).not.toMatch(/\b[A-Z]\d{12}\b/);
});

async function send(activity: object, token?: string | null): Promise<Response> {
  const auth: Record<string, string> =
    token === null ? {} : { authorization: `Bearer ${token ?? (await channelToken())}` };
  return app.request('/api/messages', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth },
    body: JSON.stringify(activity),
  });
}

/** Every card the bot sends must be one Teams accepts (schema 1.5 as the Adaptive Cards SDK reads it, verbs, under 28 KB). */
function expectAcceptable(body: Record<string, unknown>): void {
  const card = cardIn(body);
  if (!card) return;
  expect(cardProblems(card as unknown as AdaptiveCard)).toEqual([]);
  expect(adaptiveCardErrors(card)).toEqual([]);
}

/** Sends a message and returns what the bot replied into the conversation. */
async function say(text: string, options: Parameters<typeof message>[1] = {}) {
  const before = bc.posted.length;
  const res = await send(message(text, options));
  expect(res.status).toBe(200);
  const replies = bc.posted.slice(before);
  expect(replies).toHaveLength(1);
  expectAcceptable(replies[0]!.body);
  return replies[0]!.body;
}

/** Presses a card button; returns the invoke response and the updates made for everyone. */
async function press(
  action: { verb: string; data: Record<string, unknown> },
  options: Parameters<typeof execute>[2] = {},
) {
  const before = bc.updated.length;
  const res = await send(execute(action.verb, action.data, options));
  expect(res.status).toBe(200);
  const body = (await res.json()) as { statusCode: number; type: string; value: unknown };
  const updates = bc.updated.slice(before);
  for (const sent of [body as unknown as Record<string, unknown>, ...updates.map((u) => u.body)])
    expectAcceptable(sent);
  return { body, updates };
}

// the nock setup clears interceptors after each test
beforeEach(async () => {
  await serveBotFrameworkKeys();
  token = serveBotToken();
  bc = connector();
});

/** Links the team channel to the school by saying `link CODE` there as Hazel Head (who becomes its head). */
async function linkChannel(): Promise<void> {
  const code = await createLinkCode(ctx.store.db, school.dfeNumber, {
    platform: 'cli',
    userId: 'ops',
    displayName: 'ops',
  });
  expect((await say(`link ${code}`)).text).toContain('now speaks for school');
}

/** Colin Contact may decide people at the school. */
async function grantContact(): Promise<void> {
  const operator = { platform: 'cli' as const, userId: 'ops', displayName: 'ops' };
  await grantRole(
    ctx.store.db,
    operator,
    school.dfeNumber,
    { platform: 'teams', workspace: TENANT, userId: CONTACT.id, displayName: CONTACT.name },
    'contact',
  );
}

/** A night where three pupils left (under the guard: unallocated at once), summarised in Teams and in Slack (ts ...900). */
async function nightWithLeaversPosted(): Promise<void> {
  const run = await nightWithLeavers(ctx.store.db, 3);
  expect(run.counts.unallocated).toBe(3);
  expect(await notifyRun(ctx.store.db, run)).toBe(2);
  nock('https://slack.com')
    .post('/api/chat.postMessage')
    .reply(200, { ok: true, channel: 'C1', ts: '1700000000.000900' });
  expect(
    await deliverDue(ctx.store.db, { teams: teams.sender, slack }, captureLogger().logger, { perConversationGapMs: 0 }),
  ).toEqual({ sent: 2, retrying: 0 });
}

// every case starts from its own database: the school synced once, with newcomers who look like a hand-made account
beforeEach(async () => {
  const db = ctx.store.db;
  await seedChatSchool(db, [
    ['NEW-TOM', 'Whitfield'],
    ['NEW-A', 'Whitfeld'],
    ['NEW-B', 'Whitfielde'],
  ]);
  const scheduler = await chatScheduler(db);
  teams = createTeams({
    db,
    logger: log.logger,
    appId: APP_ID,
    appPassword: 'bot-secret',
    appType: 'MultiTenant',
    scheduler,
    senders: { slack },
  });
  app = createApp({ store: ctx.store, logger: log.logger, routes: [teams.routes] });
});

describe('Teams', () => {
  it('refuses unsigned, expired, wrong-audience, wrong-service and forged tokens with 401, and does nothing', async () => {
    const code = await createLinkCode(ctx.store.db, school.dfeNumber, {
      platform: 'cli',
      userId: 'ops',
      displayName: 'ops',
    });
    const link = message(`link ${code}`);
    const refused = [
      await send(link, null),
      await send(link, 'not-a-jwt'),
      await send(link, await channelToken({ expiresIn: -600 })), // past the 5-minute clock allowance
      await send(link, await channelToken({ audience: '00000000-0000-4000-8000-000000000000' })),
      await send(link, await channelToken({ issuer: 'https://sts.example.com/' })),
      await send(link, await channelToken({ serviceUrl: 'https://attacker.example.com/' })),
      await send(link, await channelToken({ key: await strangerKey() })),
    ];
    expect(refused.map((r) => r.status)).toEqual([401, 401, 401, 401, 401, 401, 401]);
    expect(await refused[0]!.json()).toEqual({ error: 'signature_invalid' });
    expect(bc.posted).toHaveLength(0);
    expect(await ctx.store.db.collection('chatLinks').countDocuments()).toBe(0);
    expect(await ctx.store.db.collection('linkCodes').countDocuments({ _id: code as never })).toBe(1);

    const malformed = await app.request('/api/messages', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await channelToken()}` },
      body: JSON.stringify({ type: 'message', serviceUrl: 'not a url' }),
    });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({
      error: 'payload_invalid',
      message: expect.stringContaining('serviceUrl'),
    });
  });

  it('walks from a signed `match` message to the card\'s "Match to ..." action to the account linked in the store', async () => {
    const code = await createLinkCode(ctx.store.db, school.dfeNumber, {
      platform: 'cli',
      userId: 'ops',
      displayName: 'ops',
    });
    const linked = await say(`link ${code}`);
    expect(linked.text).toBe(
      `This conversation now speaks for school ${school.dfeNumber}. Hazel Head is its head here.`,
    );
    // the reply went to the message's thread, with the bot's own token from Microsoft login
    expect(bc.posted[0]).toMatchObject({
      conversation: expect.stringContaining(`${CHANNEL};messageid=`),
      authorization: 'Bearer bot-access-token',
    });
    expect(linked).toMatchObject({
      replyToId: expect.stringMatching(/^\d+$/),
      conversation: { id: `${CHANNEL};messageid=${String(linked.replyToId)}` },
    });
    // at most one token request (the token is cached for the process, so a case run earlier may have asked), for the
    // Bot Connector, with the app's own id and secret
    expect(token.requests.length).toBeLessThanOrEqual(1);
    for (const request of token.requests) {
      expect(request).toEqual({
        path: '/botframework.com/oauth2/v2.0/token',
        form: expect.objectContaining({
          grant_type: 'client_credentials',
          client_id: APP_ID,
          client_secret: 'bot-secret',
          scope: 'https://api.botframework.com/.default',
        }),
      });
    }
    expect(await ctx.store.db.collection('audit').findOne({ action: 'chat.linked' })).toMatchObject({
      actor: `teams:${TENANT}:${HEAD.id}`,
      dfeNumber: school.dfeNumber,
    });

    const listed = await say('match');
    const card = cardIn(listed)!;
    expect(card).toMatchObject({ type: 'AdaptiveCard', version: '1.5' });
    expect(cardProblems(card as unknown as AdaptiveCard)).toEqual([]);
    const buttons = actionsIn(card);
    const matchTom = buttons.find((b) => b.title === 'Match to tom.requested' && b.data.p === 'NEW-TOM')!;
    expect(matchTom).toMatchObject({
      verb: 'uso.match',
      data: { d: school.dfeNumber, p: 'NEW-TOM', u: 'tom.requested' },
    });
    expect(buttons.map((b) => b.title)).toEqual(expect.arrayContaining(['Create new account', 'Exclude from USO']));

    const { body, updates } = await press(matchTom, { replyToId: 'card-match-1' });
    expect(body).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.card.adaptive' });
    expect(JSON.stringify(body.value)).toContain('matched to tom.requested by Hazel Head');
    // everyone in the channel sees the decision: the card message is replaced where it is
    expect(updates).toHaveLength(1);
    expect(updates[0]).toMatchObject({ conversation: `${CHANNEL};messageid=card-match-1`, id: 'card-match-1' });
    expect(JSON.stringify(cardIn(updates[0]!.body))).toContain('matched to tom.requested by Hazel Head');
    const account = await getAccount(ctx.store.db, 'tom.requested');
    expect(account!.associations).toEqual([
      expect.objectContaining({ source: 'mis', misPersonId: 'NEW-TOM', status: 'active' }),
    ]);
    const audit = await ctx.store.db.collection('audit').findOne({ username: 'tom.requested', action: 'match.linked' });
    expect(audit).toMatchObject({ actor: `teams:${TENANT}:${HEAD.id}` });

    // the same button again: the clicker alone is told why, the card and the store stay as they are
    const again = await press(matchTom, { replyToId: 'card-match-1' });
    expect(again.body).toMatchObject({
      statusCode: 200,
      type: 'application/vnd.microsoft.activity.message',
      value: expect.stringMatching(/already matched/),
    });
    expect(again.updates).toHaveLength(0);
  });

  it('the head approves a service from Teams, the receipt is shown to the channel; a contact may not; a revoke stops the API at once', async () => {
    await linkChannel();
    await grantContact();
    const db = ctx.store.db;
    const { addSubscriber } = await import('../../src/store/subscribers.js');
    const { apiRoutes } = await import('../../src/api/index.js');
    const { createApp } = await import('../../src/app.js');
    const api = createApp({
      store: ctx.store,
      logger: captureLogger().logger,
      routes: [apiRoutes({ db, perMinute: 100 })],
    });
    const sub = await addSubscriber(db, {
      name: 'Staff rota',
      url: 'https://rota.example.org/uso',
      events: ['account.*'],
      scope: { schools: [school.dfeNumber] },
      reports: ['staff'],
      purpose: 'staff logins to the rota',
    });
    const read = async () =>
      (
        await api.request(`/api/v1/schools/${school.dfeNumber}/accounts`, {
          headers: { authorization: `Bearer ${sub.apiKey}` },
        })
      ).status;
    expect(await read()).toBe(403);
    const listed = cardIn(await say('sharing'))!;
    expect(JSON.stringify(listed)).toContain('Staff rota');
    const approve = actionsIn(listed).find((b) => b.verb === 'uso.sharingApprove')!;
    expect(approve.data).toEqual({ d: school.dfeNumber, s: sub.id });
    const byContact = await press(approve, { from: CONTACT });
    expect(byContact.body).toMatchObject({
      type: 'application/vnd.microsoft.activity.message',
      value: expect.stringMatching(/head/),
    });
    expect(await read()).toBe(403);
    const { body, updates } = await press(approve, { replyToId: 'card-sharing-1' });
    expect(JSON.stringify(body.value)).toMatch(
      /Staff rota: approved by Hazel Head on \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC, in chat: reports staff; fields names, username, dateOfBirth, upn, email; for staff logins/,
    );
    expect(updates).toHaveLength(1);
    expect(await read()).toBe(200);
    const revoke = actionsIn(cardIn(await say('sharing'))!).find((b) => b.verb === 'uso.sharingRevoke')!;
    await press(revoke, { replyToId: 'card-sharing-2' });
    expect(await read()).toBe(403);
  });

  it('refuses people without a role at the school, and old or forged card data, without changing anything', async () => {
    await linkChannel();
    const listed = cardIn(await say('match'))!;
    const create = actionsIn(listed).find((b) => b.verb === 'uso.create' && b.data.p === 'NEW-A')!;
    const stranger = await press(create, { from: STRANGER });
    expect(stranger.body).toMatchObject({
      type: 'application/vnd.microsoft.activity.message',
      value: expect.stringMatching(/Sam Stranger is not an admin of school/),
    });
    expect(stranger.updates).toHaveLength(0);
    const forged = await press({ verb: 'uso.create', data: { d: 'DROP TABLE', p: 'NEW-A' } });
    expect(forged.body).toMatchObject({
      type: 'application/vnd.microsoft.activity.message',
      value: 'That card is out of date; send the command again.',
    });
    const retired = await press({ verb: 'uso.retired-verb', data: { d: school.dfeNumber } });
    expect(retired.body).toMatchObject({
      statusCode: 200,
      type: 'application/vnd.microsoft.activity.message',
      value: 'That card is out of date; send the command again.',
    });
    expect(await ctx.store.db.collection('matches').findOne({ misPersonId: 'NEW-A' })).toMatchObject({
      status: 'open',
    });
    const status = await say('status', { from: STRANGER });
    expect(status.text).toMatch(/Sam Stranger is not an admin of school/);
  });

  it('grants a role by @mention; the contact creates one person and excludes another after confirming', async () => {
    await linkChannel();
    expect((await say('grant contact', { mentions: [] })).text).toMatch(/mentioning one person/);
    expect((await say('grant <at>Colin Contact</at> contact', { mentions: [CONTACT] })).text).toBe(
      `Colin Contact is now contact for school ${school.dfeNumber}.`,
    );
    expect((await say('grant <at>Sam Stranger</at> head', { from: CONTACT, mentions: [STRANGER] })).text).toMatch(
      /only the school's head/,
    );

    const listed = cardIn(await say('match', { from: CONTACT }))!;
    const create = actionsIn(listed).find((b) => b.verb === 'uso.create' && b.data.p === 'NEW-A')!;
    const created = await press(create, { from: CONTACT, replyToId: 'card-match-2' });
    expect(JSON.stringify(created.body.value)).toMatch(/given a new account \S+ by Colin Contact/);
    expect(created.updates).toHaveLength(1);

    const exclude = actionsIn(created.body.value).find((b) => b.verb === 'uso.exclude' && b.data.p === 'NEW-B')!;
    // first press: a question for the clicker only, nothing decided
    const asked = await press(exclude, { from: CONTACT, replyToId: 'card-match-2' });
    expect(asked.updates).toHaveLength(0);
    expect(JSON.stringify(asked.body.value)).toContain('Exclude from USO?');
    expect(await ctx.store.db.collection('matches').findOne({ misPersonId: 'NEW-B' })).toMatchObject({
      status: 'open',
    });
    const [yes, cancel] = actionsIn(asked.body.value);
    expect(cancel).toMatchObject({ title: 'Cancel', verb: 'uso.matches' });
    expect((await press(cancel!, { from: CONTACT })).updates).toHaveLength(0);
    const excluded = await press(yes!, { from: CONTACT, replyToId: 'card-match-2' });
    expect(JSON.stringify(excluded.body.value)).toContain('excluded from USO by Colin Contact');
    expect(excluded.updates).toHaveLength(1);
    const decided = await ctx.store.db
      .collection('matches')
      .find({ misPersonId: { $in: ['NEW-A', 'NEW-B'] } })
      .toArray();
    expect(decided.map((m) => m.status).sort()).toEqual(['created', 'excluded']);
  });

  it('posts the run summary through the outbox; approving its held changes asks first, then updates it in place, on Slack too', async () => {
    await linkChannel();
    await grantContact();
    // the school also has a Slack channel
    await linkSlackChannel(ctx.store.db);
    await ctx.store.db.collection('leases').deleteMany({});
    const run = await nightWithLeavers(ctx.store.db, Math.ceil(school.students.length / 4));
    expect(run.counts.held_unallocation).toBeGreaterThan(5);
    expect(await notifyRun(ctx.store.db, run)).toBe(2);
    expect(await notifyRun(ctx.store.db, run)).toBe(0);
    const key = `summary:${run.runId}:teams:${TENANT}:${CHANNEL}`;
    expect(await outboxItem(ctx.store.db, `summary:${run.runId}:slack:T1:C1`)).toMatchObject({
      platform: 'slack',
      message: { blocks: expect.any(Array) },
    });
    expect(await outboxItem(ctx.store.db, key)).toMatchObject({
      platform: 'teams',
      status: 'pending',
      message: { card: { version: '1.5' } },
    });

    const before = bc.posted.length;
    nock('https://slack.com')
      .post('/api/chat.postMessage', (b) => b.channel === 'C1')
      .reply(200, { ok: true, channel: 'C1', ts: '1700000000.000900' });
    expect(
      await deliverDue(ctx.store.db, { teams: teams.sender, slack: slack }, captureLogger().logger, {
        perConversationGapMs: 0,
      }),
    ).toEqual({ sent: 2, retrying: 0 });
    const post = bc.posted[before]!;
    expect(post).toMatchObject({
      conversation: CHANNEL,
      authorization: 'Bearer bot-access-token',
      body: { summary: expect.stringContaining(school.name) },
    });
    const summary = cardIn(post.body)!;
    expect(cardProblems(summary as unknown as AdaptiveCard)).toEqual([]);
    const item = await outboxItem(ctx.store.db, key);
    expect(item).toMatchObject({ status: 'sent', messageId: expect.stringMatching(/^posted-/) });

    const approve = actionsIn(summary).find((b) => b.verb === 'uso.approve')!;
    const asked = await press(approve, { replyToId: item!.messageId! });
    expect(JSON.stringify(asked.body.value)).toContain('Apply the held changes?');
    expect(asked.updates).toHaveLength(0);
    expect((await getRun(ctx.store.db, run.runId))?.heldState).not.toBe('approved');

    const [yes] = actionsIn(asked.body.value);
    // the Slack channel's summary is refreshed as well
    const slackRefresh = nock('https://slack.com')
      .post(
        '/api/chat.update',
        (b) =>
          b.channel === 'C1' &&
          b.ts === '1700000000.000900' &&
          JSON.stringify(b.blocks).includes(`held changes approved by teams:${TENANT}:${HEAD.id}`),
      )
      .reply(200, { ok: true });
    const approved = await press(yes!, { replyToId: item!.messageId! });
    expect((await getRun(ctx.store.db, run.runId))?.heldState).toBe('approved');
    expect(slackRefresh.isDone()).toBe(true);
    // the summary message itself becomes the current summary, under a line saying what was done
    expect(approved.updates).toHaveLength(1);
    expect(approved.updates[0]).toMatchObject({
      conversation: `${CHANNEL};messageid=${item!.messageId}`,
      id: item!.messageId,
    });
    const now = JSON.stringify(cardIn(approved.updates[0]!.body));
    expect(now).toMatch(/were approved by Hazel Head: \d+ applied/);
    expect(now).toContain(`held changes approved by teams:${TENANT}:${HEAD.id}`);
    expect(now).not.toContain('uso.approve');

    // a stranger is not even asked, and a forged confirmation is refused; a contact may not approve
    expect((await press(approve, { from: STRANGER })).body.value).toMatch(/not an admin/);
    expect((await press({ ...approve, data: { ...approve.data, c: 1 } }, { from: STRANGER })).body.value).toMatch(
      /not an admin/,
    );
    expect((await press(approve, { from: CONTACT })).body.value).toMatch(/only the school's head/);
  });

  it('reviews held changes person by person: the summary names the guard, the card lists each person, approving two applies exactly those', async () => {
    await linkChannel();
    const db = ctx.store.db;
    await db.collection('leases').deleteMany({});
    const run = await nightWithLeavers(db, Math.ceil(school.students.length / 4));
    const heldCount = run.counts.held_unallocation;
    expect(heldCount).toBeGreaterThan(5);
    await notifyRun(db, run);
    const item = await outboxItem(db, `summary:${run.runId}:teams:${TENANT}:${CHANNEL}`);
    const summary = item!.message.card as Record<string, unknown>;
    expect(JSON.stringify(summary)).toMatch(
      new RegExp(`${heldCount} of \\d+ pupils would leave: over this school's \\d+% threshold`),
    );
    const review = actionsIn(summary).find((a) => a.verb === 'uso.held')!;
    const list = await press(review);
    const card = list.body.value;
    expect(list.updates).toHaveLength(0); // a list is shown to whoever asked
    const held = (await getRun(db, run.runId))!.held!;
    const rows = actionsIn(card).filter((a) => a.verb === 'uso.approveOne');
    expect(rows).toHaveLength(Math.min(10, heldCount));
    for (const row of rows) {
      const h = held.find((x) => x.username === row.data.u)!;
      expect(JSON.stringify(card)).toContain(
        `**${h.before.preferredForename ?? h.before.legalForename} ${h.before.preferredSurname ?? h.before.legalSurname}** (${h.username})`,
      );
    }
    expect(JSON.stringify(card)).toContain('would lose access to this school');

    const first = await press(rows[0]!);
    expect(first.updates).toHaveLength(1); // a decision replaces the card for everyone
    expect(JSON.stringify(first.body.value)).toContain(
      `${String(rows[0]!.data.u)} was approved by Hazel Head: 1 applied.`,
    );
    const next = actionsIn(first.body.value).find((a) => a.verb === 'uso.approveOne')!;
    expect(next.data.u).not.toBe(rows[0]!.data.u);
    await press(next);
    const approved = [String(rows[0]!.data.u), String(next.data.u)];

    for (const h of held) {
      const account = await getAccount(db, h.username);
      const here = account!.associations.find((x) => x.dfeNumber === school.dfeNumber && x.source === 'mis');
      expect(here?.status, h.username).toBe(approved.includes(h.username) ? 'ended' : 'active');
    }
    const audited = await db.collection('audit').find({ runId: run.runId, action: 'account.unallocated' }).toArray();
    expect(audited.map((a) => a.username).sort()).toEqual([...approved].sort());
    expect(audited.every((a) => a.actor === `teams:${TENANT}:${HEAD.id}`)).toBe(true);
    const now = await press({
      verb: 'uso.held',
      data: { d: school.dfeNumber, r: run.runId, page: Math.ceil(heldCount / 10) - 1 },
    });
    expect(JSON.stringify(now.body.value)).toContain(`${heldCount - 2} still to decide`);
    expect(JSON.stringify(now.body.value)).toMatch(
      new RegExp(`approved by teams:${TENANT}:${HEAD.id.replace(/[:]/g, '.')}`),
    );
    // a stranger may not decide, and nothing changes
    expect((await press(rows[2]!, { from: STRANGER })).body.value).toMatch(/not an admin/);
    expect((await getRun(db, run.runId))?.heldState).toBe('pending');
  });

  it('lists unallocated accounts and restores one after confirming, keeping the posted summary current', async () => {
    await linkChannel();
    await linkSlackChannel(ctx.store.db);
    await nightWithLeaversPosted();
    const list = cardIn(await say('unallocated'))!;
    expect(cardProblems(list as unknown as AdaptiveCard)).toEqual([]);
    const restore = actionsIn(list).find((b) => b.verb === 'uso.restore')!;
    const username = String(restore.data.u);
    const asked = await press(restore, { replyToId: 'card-unallocated' });
    const [yes] = actionsIn(asked.body.value);
    const slackRefresh = nock('https://slack.com')
      .post('/api/chat.update', (b) => b.ts === '1700000000.000900')
      .reply(200, { ok: true });
    const restored = await press(yes!, { replyToId: 'card-unallocated' });
    expect(JSON.stringify(restored.body.value)).toContain(
      `${username} was restored at ${school.dfeNumber} by Hazel Head`,
    );
    expect(slackRefresh.isDone()).toBe(true);
    // the list's card, and the run summary posted earlier, are both replaced
    const summary = await ctx.store.db
      .collection<{ messageId: string }>('outbox')
      .findOne({ platform: 'teams', _id: { $regex: /^summary:/ } as never });
    expect(restored.updates.map((u) => u.id).sort()).toEqual(['card-unallocated', summary!.messageId].sort());
    expect((await getAccount(ctx.store.db, username))!.status).toBe('active');
  });

  it('one behaviour per action, as on Slack: a restore shows the unallocated list again; removing an exclusion refreshes the posted summaries', async () => {
    await linkChannel();
    await linkSlackChannel(ctx.store.db);
    await nightWithLeaversPosted();
    const restore = actionsIn(cardIn(await say('unallocated'))!).find((b) => b.verb === 'uso.restore')!;
    nock('https://slack.com').post('/api/chat.update').reply(200, { ok: true });
    const restored = await press({ ...restore, data: { ...restore.data, c: 1 } }, { replyToId: 'card-list' });
    expect(JSON.stringify(restored.body.value)).toContain(`Unallocated accounts at ${school.dfeNumber}`);

    const { addExclusion } = await import('../../src/store/exclusions.js');
    await addExclusion(ctx.store.db, school.dfeNumber, 'Nobody', 'Ever', 'teams:x');
    const remove = actionsIn(cardIn(await say('exclusions'))!).find((b) => b.verb === 'uso.exclusionRemove')!;
    const slackRefresh = nock('https://slack.com')
      .post('/api/chat.update', (b) => b.ts === '1700000000.000900')
      .reply(200, { ok: true });
    const removed = await press(remove, { replyToId: 'card-exclusions' });
    expect(slackRefresh.isDone()).toBe(true);
    const summary = await ctx.store.db
      .collection<{ messageId: string }>('outbox')
      .findOne({ platform: 'teams', _id: { $regex: /^summary:/ } as never });
    expect(removed.updates.map((u) => u.id).sort()).toEqual(['card-exclusions', summary!.messageId].sort());
  });

  it('restores the ticked accounts of the unallocated list after confirming', async () => {
    await linkChannel();
    await linkSlackChannel(ctx.store.db);
    await nightWithLeaversPosted();
    const list = cardIn(await say('unallocated'))!;
    const choices = JSON.stringify(list).match(/"choices":(\[[^\]]*\])/)!;
    const usernames = (JSON.parse(choices[1]!) as { value: string }[]).map((c) => c.value);
    expect(usernames).toHaveLength(3);
    const restoreSelected = actionsIn(list).find((a) => a.verb === 'uso.restoreSelected')!;
    // Teams sends the ticked choices with the button's data (associatedInputs), comma-separated
    const asked = await press({
      ...restoreSelected,
      data: { ...restoreSelected.data, sel: usernames.slice(0, 2).join(',') },
    });
    expect(JSON.stringify(asked.body.value)).toContain('Restore the ticked accounts?');
    expect(asked.updates).toHaveLength(0);
    const [yes] = actionsIn(asked.body.value);
    const done = await press(yes!);
    expect(JSON.stringify(done.body.value)).toContain('2 account(s) restored');
    for (const u of usernames.slice(0, 2)) expect((await getAccount(ctx.store.db, u))!.status).toBe('active');
    expect((await getAccount(ctx.store.db, usernames[2]!))!.status).toBe('unallocated');
  });

  it('undoes a wrong match, then matches the held person to another account found by a partial name', async () => {
    await linkChannel();
    await grantContact();
    const db = ctx.store.db;
    const right = await requestAccount(
      db,
      school.dfeNumber,
      { kind: 'pupil', legalForename: 'Tommy', legalSurname: 'Whitfield-Oduya', startDate: '2026-09-01' },
      'cli:ops',
    );
    const listed = cardIn(await say('match', { from: CONTACT }))!;
    const wrong = actionsIn(listed).find(
      (a) => a.verb === 'uso.match' && a.data.p === 'NEW-TOM' && a.data.u === 'tom.requested',
    )!;
    const matched = await press(wrong, { from: CONTACT });
    expect((await getAccount(db, 'tom.requested'))!.associations.some((x) => x.misPersonId === 'NEW-TOM')).toBe(true);
    const undo = actionsIn(matched.body.value).find((a) => a.verb === 'uso.undo')!;
    expect(undo.data).toEqual({ d: school.dfeNumber, p: 'NEW-TOM', k: 'match' });
    const undone = await press(undo, { from: CONTACT });
    expect(JSON.stringify(undone.body.value)).toContain('was undone: they are held for matching again');
    expect(undone.updates).toHaveLength(1); // the card changes for everyone
    expect((await getAccount(db, 'tom.requested'))!.associations).toEqual([
      expect.objectContaining({ source: 'manual', status: 'active' }),
    ]);
    expect((await getMatch(db, school.dfeNumber, 'NEW-TOM'))?.status).toBe('open');

    // Another account...: a search card, answered as the contact types part of the surname
    const other = actionsIn(undone.body.value).find((a) => a.verb === 'uso.otherAccount' && a.data.p === 'NEW-TOM')!;
    const searchCard = (await press(other, { from: CONTACT })).body.value;
    expect(JSON.stringify(searchCard)).toContain('"choices.data":{"type":"Data.Query","dataset":"uso.accounts"}');
    const res = await send(searchInvoke('uso.accounts', 'whitfield-od', { from: CONTACT }));
    expect(res.status).toBe(200);
    const results = ((await res.json()) as { value: { results: { title: string; value: string }[] } }).value.results;
    expect(results.map((r) => r.value)).toContain(right);
    // another school's pupil with a like surname is never offered, and a forged choice of them is refused without a
    // word about them
    await insertAccounts(db, [
      linkedAccount(
        'tomas.whitfield',
        pupil({ legalForename: 'Tomas', legalSurname: 'Whitfield-Odell', dateOfBirth: '2014-02-02' }),
        school_('2092777'),
      ),
    ]);
    const again = await send(searchInvoke('uso.accounts', 'whitfield-od', { from: CONTACT }));
    const offered = JSON.stringify(await again.json());
    expect(offered).not.toContain('tomas.whitfield');
    expect(offered).not.toContain('Odell');
    // the chosen account arrives with the button (associatedInputs); it is shown before the match
    const show = actionsIn(searchCard).find((a) => a.verb === 'uso.chooseAccount')!;
    const forged = JSON.stringify(
      (await press({ ...show, data: { ...show.data, u: 'tomas.whitfield' } }, { from: CONTACT })).body,
    );
    expect(forged).toContain('you may not choose that account');
    expect(forged).not.toMatch(/Odell|Tomas|2014/);
    const confirm = (await press({ ...show, data: { ...show.data, u: right } }, { from: CONTACT })).body.value;
    expect(JSON.stringify(confirm)).toContain(`(${right}), born unknown?`);
    await press(
      actionsIn(confirm).find((a) => a.verb === 'uso.match')!,
      { from: CONTACT },
    );
    expect((await getAccount(db, right))!.associations).toEqual(
      expect.arrayContaining([expect.objectContaining({ source: 'mis', misPersonId: 'NEW-TOM', status: 'active' })]),
    );
    const trail = await db
      .collection('audit')
      .find({ dfeNumber: school.dfeNumber, action: { $regex: '^match\\.' } })
      .sort({ at: 1 })
      .toArray();
    expect(trail.map((a) => `${a.action} ${a.username}`)).toEqual([
      'match.linked tom.requested',
      'match.undone tom.requested',
      `match.linked ${right}`,
    ]);
    // a stranger can neither search nor undo
    const none = await send(searchInvoke('uso.accounts', 'whitfield', { from: STRANGER }));
    expect(((await none.json()) as { value: { results: unknown[] } }).value.results).toEqual([]);
  });

  it("changes the school's settings from a card: a head changes grace days and refuses a report; a contact cannot", async () => {
    await linkChannel();
    await grantContact();
    await linkSlackChannel(ctx.store.db);
    const db = ctx.store.db;
    await updateSchool(db, school.dfeNumber, {
      grant: { state: 'granted', permissions: ['students', 'staff', 'contacts'] },
    });
    const shown = cardIn(await say('settings'))!;
    expect(JSON.stringify(shown)).toContain('contacts** (parental services): shared, not accepted');
    const change = actionsIn(shown).find((a) => a.verb === 'uso.openForm')!;
    const form = (await press(change)).body.value;
    const submit = actionsIn(form).find((a) => a.verb === 'uso.submitSettings')!;
    const values = {
      reports: 'students,contacts',
      graceDays: '10',
      leavers: '10',
      changes: '75',
      preProvision: '0',
      paused: 'no',
    };
    // a contact may see the form but not change anything
    expect((await press({ ...submit, data: { ...submit.data, ...values } }, { from: CONTACT })).body.value).toMatch(
      /only the school's head/,
    );
    // a value out of range is answered with what to correct
    expect((await press({ ...submit, data: { ...submit.data, ...values, graceDays: '90' } })).body.value).toMatch(
      /Please correct: graceDays/,
    );
    const saved = await press({ ...submit, data: { ...submit.data, ...values } });
    expect(JSON.stringify(saved.body.value)).toContain('leaver grace days 10');
    const now = await getSchool(db, school.dfeNumber);
    expect(now?.settings.graceDays).toBe(10);
    expect(now?.acceptedReports).toEqual(['students', 'contacts']);
    const audited = await db.collection('audit').findOne({ action: 'school.settings', dfeNumber: school.dfeNumber });
    expect(audited).toMatchObject({ actor: `teams:${TENANT}:${HEAD.id}` });
    expect(audited?.detail).toMatch(/contacts accepted .*staff no longer accepted.*leaver grace days: 0 -> 10/);
    // announced to each conversation of the school
    const announced = await db
      .collection('outbox')
      .find({ _id: { $regex: `^settings:${school.dfeNumber}:` } as never })
      .toArray();
    expect(announced.map((a) => a.platform).sort()).toEqual(['slack', 'teams']);
    expect(JSON.stringify(announced[0]!.message)).toContain('Settings changed by Hazel Head');
  });

  it('answers status, non-mis, run, help and unknown words, and takes a DfE number in a personal chat', async () => {
    await linkChannel();
    const personal = 'a:personal-chat-with-head';
    const status = cardIn(await say(`status ${school.dfeNumber}`, { conversation: personal }))!;
    expect(JSON.stringify(status)).toContain(`(${school.dfeNumber})`);
    // no school named or linked: the head's only school is meant; someone with none is told how to name one
    expect(JSON.stringify(cardIn(await say('match', { conversation: personal })))).toContain(`at ${school.dfeNumber}`);
    expect((await say('status', { conversation: 'a:personal-chat-with-stranger', from: STRANGER })).text).toMatch(
      /not linked to a school/,
    );
    expect(JSON.stringify(cardIn(await say('non-mis')))).toContain(`not in the MIS`);
    expect(JSON.stringify(cardIn(await say('run')))).toContain(
      `A run for ${school.dfeNumber} was started by Hazel Head`,
    );
    expect(
      await ctx.store.db
        .collection('agendaJobs')
        .countDocuments({ name: 'integris:export', 'data.dfeNumber': school.dfeNumber, 'data.trigger': 'force' }),
    ).toBe(1);
    expect((await say('help')).text).toContain('**match [school]**');
    expect((await say('frobnicate')).text).toContain('I do not know **frobnicate**');
  });

  it("sends an LA admin's morning digest to their personal chat with the bot", async () => {
    const LA: Person = { id: '29:la-admin', name: 'Lee LA' };
    await grantRole(
      ctx.store.db,
      { platform: 'cli', userId: 'ops', displayName: 'ops' },
      school.dfeNumber,
      `teams:${TENANT}:${LA.id}`,
      'la',
    );
    const failed = (await startRun(ctx.store.db, { dfeNumber: school.dfeNumber, trigger: 'nightly' }))!;
    await finishRun(ctx.store.db, failed._id, {
      status: 'failed',
      error: { code: 'integris_unavailable', message: 'Integris answered 503' },
    });
    expect(await queueLaDigests(ctx.store.db, '2026-12-01')).toBe(0); // no personal chat yet: Teams cannot start one
    // their `status` lists every school of their LA
    expect(
      JSON.stringify(cardIn(await say('status', { from: LA, conversation: 'a:personal-chat-with-la' }))),
    ).toContain(`(${school.dfeNumber})`);
    expect(await queueLaDigests(ctx.store.db, '2026-12-01')).toBe(1);
    const digest = await outboxItem(ctx.store.db, `digest:2026-12-01:teams:${TENANT}:${LA.id}`);
    expect(digest).toMatchObject({ platform: 'teams', conversation: 'a:personal-chat-with-la' });
    expect(digest!.message.text).toContain(`**${school.name}** (${school.dfeNumber})`);
    const before = bc.posted.length;
    await deliverDue(ctx.store.db, { teams: teams.sender }, captureLogger().logger, { perConversationGapMs: 0 });
    expect(bc.posted.slice(before)).toEqual([
      expect.objectContaining({
        conversation: 'a:personal-chat-with-la',
        body: expect.objectContaining({ text: digest!.message.text }),
      }),
    ]);
  });
});

describe('Teams logs', () => {
  it('name no person: not the admins, not the pupils, not their birth dates', async () => {
    const from = log.lines.length;
    await linkChannel();
    await grantContact();
    const listed = cardIn(await say('match'))!;
    await press(
      actionsIn(listed).find((b) => b.verb === 'uso.match' && b.data.p === 'NEW-TOM')!,
      { replyToId: 'card-1' },
    );
    await press(
      actionsIn(listed).find((b) => b.verb === 'uso.create' && b.data.p === 'NEW-A')!,
      { from: STRANGER },
    );
    await say(`status ${school.dfeNumber}`, { conversation: 'a:personal-chat-with-head' });
    expect((await send(message('status'), null)).status).toBe(401);
    // the people lists: who, held changes decided person by person, new accounts, invalid records
    const leaver = school.students[0]!;
    expect(JSON.stringify(await say(`who ${leaver.legalForename} ${leaver.legalSurname}`))).toContain(
      leaver.legalSurname,
    );
    await ctx.store.db.collection('leases').deleteMany({});
    const run = await nightWithLeavers(ctx.store.db, Math.ceil(school.students.length / 4));
    const heldCard = cardIn(await say('held'))!;
    await press(actionsIn(heldCard).find((a) => a.verb === 'uso.approveOne')!);
    await press({ verb: 'uso.newAccounts', data: { d: school.dfeNumber, r: run.runId, page: 0 } });
    await press({ verb: 'uso.newAccountsTable', data: { d: school.dfeNumber, r: run.runId, page: 0 } });
    await say('invalid');
    const lines = log.lines.slice(from);
    const text = lines.map((l) => JSON.stringify(l)).join('\n');
    expect(lines.filter((l) => l.msg === 'request' && l.path === '/api/messages').length).toBe(12);
    expect(text).toContain('teams request refused: token not valid');
    for (const personal of [
      'Hazel',
      'Colin',
      'Sam Stranger',
      'Whitfield',
      'Thomas',
      '2016-03-14',
      school.students[0]!.legalSurname,
      school.students[0]!.legalForename,
      school.students[0]!.dateOfBirth,
    ]) {
      expect(text).not.toContain(personal);
    }
  });
});

describe('Teams, when the bot joins and leaves a team', () => {
  it('says hello with how to link the conversation, and keeps where to post', async () => {
    const res = await send(botInTeam('membersAdded'));
    expect(res.status).toBe(200);
    expect(bc.posted).toEqual([
      expect.objectContaining({
        conversation: '19:team@thread.tacv2',
        body: expect.objectContaining({ text: expect.stringContaining('**link CODE**') }),
      }),
    ]);
    expect(
      await ctx.store.db.collection('teamsConversations').findOne({ _id: `${TENANT}:19:team@thread.tacv2` as never }),
    ).toMatchObject({ teamId: '19:team@thread.tacv2', reference: { serviceUrl: expect.stringContaining('smba') } });
  });

  it("on leaving, unlinks the team's channels from their school and posts nothing more there", async () => {
    await linkChannel();
    await linkSlackChannel(ctx.store.db);
    await say('help', { conversation: 'a:personal-chat-with-head' }); // a personal chat the bot keeps
    expect(
      await ctx.store.db.collection('chatLinks').countDocuments({ platform: 'teams', conversation: CHANNEL }),
    ).toBe(1);
    const res = await send(botInTeam('membersRemoved'));
    expect(res.status).toBe(200);
    expect(
      await ctx.store.db.collection('chatLinks').countDocuments({ platform: 'teams', conversation: CHANNEL }),
    ).toBe(0);
    expect(await ctx.store.db.collection('teamsConversations').countDocuments({ teamId: '19:team@thread.tacv2' })).toBe(
      0,
    );
    expect(await ctx.store.db.collection('audit').findOne({ action: 'chat.unlinked' })).toMatchObject({
      dfeNumber: school.dfeNumber,
      detail: expect.stringContaining(CHANNEL),
    });
    // run summaries now go only to the school's Slack channel
    expect((await conversationsOfSchool(ctx.store.db, school.dfeNumber)).map((l) => l.platform)).toEqual(['slack']);
    // the personal chats stay: the LA admin still gets the digest
    expect(await ctx.store.db.collection('teamsConversations').countDocuments()).toBeGreaterThan(0);
  });
});

describe('Teams single-tenant registration', () => {
  // its own app id: the Bot Framework client caches tokens per app id for the whole process
  const appId = 'a6b5c4d3-e2f1-4a0b-9c8d-7e6f5a4b3c2d';
  const singleTenant = (tenantId: string) => {
    const bot = createTeams({
      db: ctx.store.db,
      logger: captureLogger().logger,
      appId,
      appPassword: 'bot-secret',
      appType: 'SingleTenant',
      tenantId,
    });
    const hono = createApp({ store: ctx.store, logger: captureLogger().logger, routes: [bot.routes] });
    return async (activity: object) =>
      hono.request('/api/messages', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${await channelToken({ audience: appId })}`,
        },
        body: JSON.stringify(activity),
      });
  };

  it('answers its own tenant with tokens from that tenant, and ignores any other', async () => {
    const elsewhere = await singleTenant('99999999-9999-4999-8999-999999999999')(message('help'));
    expect(elsewhere.status).toBe(200);
    expect(bc.posted).toHaveLength(0);

    const own = await singleTenant(TENANT)(message('help'));
    expect(own.status).toBe(200);
    expect(bc.posted).toHaveLength(1);
    expect(token.requests).toEqual([
      { path: `/${TENANT}/oauth2/v2.0/token`, form: expect.objectContaining({ client_id: appId }) },
    ]);
  });
});
