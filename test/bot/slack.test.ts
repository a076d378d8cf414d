// Signed Slack requests into the Hono app, with only Slack's Web API intercepted (nock).
import { createHmac } from 'node:crypto';
import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { createLinkCode } from '../../src/bot/access.js';
import { createSlack } from '../../src/bot/slack/app.js';
import { getAccount } from '../../src/store/accounts.js';
import { insertAccounts } from '../../src/store/account-inserts.js';
import { linkedAccount, pupil, school as school_ } from '../helpers/people.js';
import { getMatch } from '../../src/store/matches.js';
import { removeExclusion } from '../../src/store/exclusions.js';
import { requestAccount } from '../../src/sync/school-admin.js';
import type { ExportFile } from '../../src/domain/records.js';
import { syncSchool } from '../../src/sync/process.js';
import { notifyRun, queueLaDigests } from '../../src/bot/notify.js';
import { grantRole } from '../../src/bot/access.js';
import { deliverDue, outboxItem } from '../../src/bot/outbox.js';
import { slackSender } from '../../src/bot/slack/sender.js';
import { finishRun, getRun, lastSucceededRun, startRun } from '../../src/store/runs.js';
import { blockKitProblems } from '../../src/bot/views/blocks.js';
import { captureLogger } from '../helpers/log.js';
import {
  la,
  lookAlike,
  school,
  seedChatSchool,
  linkSlackChannel,
  nightWithLeavers,
  chatScheduler,
} from '../helpers/chat-school.js';
import { useFreshStoreEachTest } from '../helpers/store.js';

const ctx = useFreshStoreEachTest();
const SECRET = 'slack-signing-secret';
let app: ReturnType<typeof createApp>;
/** What Bolt and the Web API client logged (at debug level) in the current case. */
let slackLog: ReturnType<typeof captureLogger>;

function sign(body: string, ts = Math.floor(Date.now() / 1000)) {
  return {
    'x-slack-request-timestamp': String(ts),
    'x-slack-signature': `v0=${createHmac('sha256', SECRET).update(`v0:${ts}:${body}`).digest('hex')}`,
  };
}

function slash(text: string, user = 'UHEAD', extraHeaders: Record<string, string> = {}) {
  const body = new URLSearchParams({
    token: 'x',
    team_id: 'T1',
    team_domain: 'school',
    channel_id: 'C1',
    channel_name: 'uso',
    user_id: user,
    user_name: user.toLowerCase(),
    command: '/uso',
    text,
    api_app_id: 'A1',
    trigger_id: '1.2.3',
    response_url: 'https://hooks.slack.com/commands/T1/1/abc',
  }).toString();
  return app.request('/slack/events', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...sign(body), ...extraHeaders },
    body,
  });
}

/** A signed interaction payload (button, menu, modal) posted as Slack posts it. */
function interact(payload: object) {
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  return app.request('/slack/events', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...sign(body) },
    body,
  });
}

function click(
  actionId: string,
  value: string,
  user = 'UHEAD',
  ts = '1700000000.000200',
  state?: Record<string, unknown>,
) {
  const payload = {
    ...(state ? { state: { values: state } } : {}),
    type: 'block_actions',
    user: { id: user, username: user.toLowerCase(), team_id: 'T1' },
    api_app_id: 'A1',
    token: 'x',
    container: { type: 'message', message_ts: ts, channel_id: 'C1', is_ephemeral: false },
    trigger_id: '1.2.3',
    team: { id: 'T1', domain: 'school' },
    channel: { id: 'C1', name: 'uso' },
    message: { type: 'message', ts, text: 'people to match' },
    response_url: 'https://hooks.slack.com/actions/T1/1/abc',
    actions: [
      {
        type: 'button',
        action_id: actionId,
        block_id: 'b',
        value,
        action_ts: '1700000001.000000',
        text: { type: 'plain_text', text: 'x' },
      },
    ],
  };
  return interact(payload);
}

/** A night where three pupils left (under the guard, so their accounts are unallocated) and its summary in C1 (ts ...100). */
async function nightWithLeaversPosted(): Promise<void> {
  const run = await nightWithLeavers(ctx.store.db, 3);
  expect(run.counts.unallocated).toBe(3);
  await notifyRun(ctx.store.db, run);
  const posted = nock('https://slack.com')
    .post('/api/chat.postMessage')
    .reply(200, { ok: true, channel: 'C1', ts: '1700000000.000100' });
  await deliverDue(ctx.store.db, { slack: slackSender('xoxb-test') }, captureLogger().logger, {
    perConversationGapMs: 0,
  });
  expect(posted.isDone()).toBe(true);
}

// every case starts from its own database: the school synced once, with a newcomer who looks like a hand-made account
beforeEach(async () => {
  const db = ctx.store.db;
  await seedChatSchool(db, [['NEW-TOM', 'Whitfield']]);
  await linkSlackChannel(ctx.store.db);
  const scheduler = await chatScheduler(db);
  slackLog = captureLogger('debug');
  const slack = createSlack({
    db,
    logger: slackLog.logger,
    signingSecret: SECRET,
    token: 'xoxb-test',
    botUserId: 'UBOT',
    botId: 'BBOT',
    scheduler,
  });
  app = createApp({ store: ctx.store, logger: captureLogger().logger, routes: [slack.routes] });
});

// whatever a case did, the chat SDK's log (at debug level, where it logs request bodies) names no pupil
afterEach(() => {
  const text = slackLog.text();
  const names = [...school.students.map((p) => p.legalSurname), 'Whitfield'].filter((n) => n.length >= 6);
  for (const name of names) expect(text, 'a pupil name reached the log').not.toMatch(new RegExp(`\\b${name}\\b`));
  expect(text).not.toMatch(/\b\d{4}-\d{2}-\d{2}\b.*born|[A-Z]\d{12}/);
});

describe('Slack', () => {
  it('walks from a signed /uso command to the Match button to the account linked in the store', async () => {
    const code = await createLinkCode(ctx.store.db, school.dfeNumber, {
      platform: 'cli',
      userId: 'ops',
      displayName: 'ops',
    });
    const linked = await slash(`link ${code}`);
    expect(linked.status).toBe(200);
    expect(await linked.json()).toMatchObject({
      response_type: 'in_channel',
      text: expect.stringContaining(`now speaks for school ${school.dfeNumber}`),
    });

    const listed = await slash('match');
    const message = (await listed.json()) as {
      response_type: string;
      blocks: {
        type: string;
        elements?: { type: string; action_id: string; value: string; text: { text: string } }[];
      }[];
    };
    expect(message.response_type).toBe('ephemeral');
    const buttons = message.blocks.flatMap((b) => b.elements ?? []).filter((e) => e.type === 'button');
    const matchButton = buttons.find((b) => b.action_id === 'uso_match' && b.text.text === 'Match to tom.requested')!;
    expect(matchButton).toBeDefined();
    expect(buttons.map((b) => b.text.text)).toEqual(expect.arrayContaining(['Create new account', 'Exclude from USO']));

    const update = nock('https://slack.com')
      .post(
        '/api/chat.update',
        (body) =>
          body.channel === 'C1' &&
          body.ts === '1700000000.000200' &&
          String(body.text).includes('matched to `tom.requested`'),
      )
      .reply(200, { ok: true, channel: 'C1', ts: '1700000000.000200' });
    const clicked = await click('uso_match', matchButton.value);
    expect(clicked.status).toBe(200);
    await vi_waitFor(() => update.isDone());
    const account = await getAccount(ctx.store.db, 'tom.requested');
    expect(account!.associations).toEqual([
      expect.objectContaining({ source: 'mis', misPersonId: 'NEW-TOM', status: 'active' }),
    ]);

    // the same button again: a clear, private answer, no second change
    const stale = nock('https://slack.com')
      .post('/api/chat.postEphemeral', (body) => body.user === 'UHEAD' && /already matched/.test(String(body.text)))
      .reply(200, { ok: true });
    await click('uso_match', matchButton.value);
    await vi_waitFor(() => stale.isDone());
  });

  it('posts a run summary to the linked channel; the head approves the held unallocations from it', async () => {
    const run = await nightWithLeavers(ctx.store.db, Math.ceil(school.students.length / 4));
    expect(run.counts.held_unallocation).toBeGreaterThan(5);
    expect(await notifyRun(ctx.store.db, run)).toBe(1);
    expect(await notifyRun(ctx.store.db, run)).toBe(0); // one message per run and channel
    const item = await outboxItem(ctx.store.db, `summary:${run.runId}:slack:T1:C1`);
    expect(item?.message.text).toContain(school.name);
    const approve = (item!.message.blocks as { elements?: { action_id: string; value: string; confirm?: unknown }[] }[])
      .flatMap((b) => b.elements ?? [])
      .find((e) => e.action_id === 'uso_approve')!;
    expect(approve.confirm).toBeDefined();

    // delivered through the outbox: the posted summary's ts is the message the head then clicks on
    const posted = nock('https://slack.com')
      .post('/api/chat.postMessage', (b) => b.channel === 'C1')
      .reply(200, { ok: true, channel: 'C1', ts: '1700000000.000100' });
    expect(
      await deliverDue(ctx.store.db, { slack: slackSender('xoxb-test') }, captureLogger().logger, {
        perConversationGapMs: 0,
      }),
    ).toEqual({ sent: 1, retrying: 0 });
    expect(posted.isDone()).toBe(true);
    // the summary is updated in place: what was done on top, the counts below, no held changes left to approve
    const update = nock('https://slack.com')
      .post('/api/chat.update', (b) => {
        const all = String(b.text) + JSON.stringify(b.blocks);
        return (
          b.ts === '1700000000.000100' &&
          /were approved by uhead: \d+ applied/.test(all) &&
          all.includes('held changes approved by slack:T1:UHEAD') &&
          !all.includes('uso_approve')
        );
      })
      .reply(200, { ok: true });
    await click('uso_approve', approve.value, 'UHEAD', '1700000000.000100');
    await vi_waitFor(() => update.isDone());
    expect((await getRun(ctx.store.db, run.runId))?.heldState).toBe('approved');
  });

  it('reviews held changes person by person: the summary names the guard, the list names each person, approving two applies exactly those', async () => {
    const db = ctx.store.db;
    const run = await nightWithLeavers(db, Math.ceil(school.students.length / 4));
    const heldCount = run.counts.held_unallocation;
    expect(heldCount).toBeGreaterThan(5);
    await notifyRun(db, run);
    const item = await outboxItem(db, `summary:${run.runId}:slack:T1:C1`);
    const summaryText = JSON.stringify(item!.message.blocks);
    expect(summaryText).toMatch(
      new RegExp(`${heldCount} of \\d+ pupils would leave: over this school's \\d+% threshold`),
    );
    const review = buttonsIn(item!.message.blocks).find((e) => e.action_id === 'uso_held')!;

    /** Clicks a button and returns the message Slack was asked to show in its place. */
    const shownAfter = async (actionId: string, value: string) => {
      let shown: { text: string; blocks: unknown[] } | undefined;
      nock('https://slack.com')
        .post('/api/chat.update', (b) => {
          shown = { text: String(b.text), blocks: JSON.parse(String(b.blocks)) as unknown[] };
          return true;
        })
        .reply(200, { ok: true });
      await click(actionId, value);
      await vi_waitFor(() => shown !== undefined);
      return shown!;
    };
    const list = await shownAfter('uso_held', review.value);
    expect(blockKitProblems(list as never)).toEqual([]);
    const held = (await getRun(db, run.runId))!.held!;
    const rows = buttonsIn(list.blocks).filter((e) => e.action_id === 'uso_approve_one');
    expect(rows).toHaveLength(Math.min(10, heldCount)); // a page at a time
    const listText = JSON.stringify(list.blocks);
    for (const row of rows) {
      const h = held.find((x) => x.username === (JSON.parse(row.value) as { u: string }).u)!;
      expect(listText).toContain(
        `*${h.before.preferredForename ?? h.before.legalForename} ${h.before.preferredSurname ?? h.before.legalSurname}* \`${h.username}\``,
      );
    }
    expect(listText).toContain('would lose access to this school');
    expect(listText).toMatch(/pupils would leave: over this school/);

    // approve the first person, then the second from the refreshed list
    const first = JSON.parse(rows[0]!.value) as { u: string };
    const afterFirst = await shownAfter('uso_approve_one', rows[0]!.value);
    expect(JSON.stringify(afterFirst.blocks)).toContain(
      `${first.u} was approved by uhead: 1 applied. ${heldCount - 1} still held.`,
    );
    const second = buttonsIn(afterFirst.blocks).find((e) => e.action_id === 'uso_approve_one')!;
    const secondUser = (JSON.parse(second.value) as { u: string }).u;
    expect(secondUser).not.toBe(first.u);
    const afterSecond = await shownAfter('uso_approve_one', second.value);
    const approved = [first.u, secondUser];

    // exactly those two lost the school, each audited as itself naming the approver; the rest stay held
    for (const h of held) {
      const account = await getAccount(db, h.username);
      const here = account!.associations.find((x) => x.dfeNumber === school.dfeNumber && x.source === 'mis');
      expect(here?.status, h.username).toBe(approved.includes(h.username) ? 'ended' : 'active');
    }
    const audited = await db.collection('audit').find({ runId: run.runId, action: 'account.unallocated' }).toArray();
    expect(audited.map((a) => a.username).sort()).toEqual([...approved].sort());
    expect(audited.every((a) => a.actor === 'slack:T1:UHEAD')).toBe(true);
    expect((await getRun(db, run.runId))?.heldState).toBe('pending');
    expect(JSON.stringify(afterSecond.blocks)).toContain(`${heldCount - 2} still to decide`);
    // the decided show as decided (they sort after the undecided: the staff filter and paging reach them)
    const everyone = await shownAfter(
      'uso_held',
      JSON.stringify({ d: school.dfeNumber, r: run.runId, page: Math.ceil(heldCount / 10) - 1 }),
    );
    expect(JSON.stringify(everyone.blocks)).toMatch(/approved by slack:T1:UHEAD/);
    // a second click on an approved row is answered as already decided, privately
    const again = nock('https://slack.com')
      .post('/api/chat.postEphemeral', (b) => /already decided \(approved by slack:T1:UHEAD\)/.test(String(b.text)))
      .reply(200, { ok: true });
    await click('uso_approve_one', rows[0]!.value);
    await vi_waitFor(() => again.isDone());
    // a forged button naming this run under another school is refused
    const forged = nock('https://slack.com')
      .post('/api/chat.postEphemeral', (b) => /does not exist|not an admin/.test(String(b.text)))
      .reply(200, { ok: true });
    await click('uso_approve_one', JSON.stringify({ d: '2099999', r: run.runId, u: held[5]!.username }));
    await vi_waitFor(() => forged.isDone());
    expect((await getAccount(db, held[5]!.username))!.associations.some((x) => x.status === 'active')).toBe(true);
  });

  it('lists the new accounts of a run and uploads them as a CSV file for login slips', async () => {
    const run = (await lastSucceededRun(ctx.store.db, school.dfeNumber))!;
    let shown: string | undefined;
    nock('https://slack.com')
      .post('/api/chat.update', (b) => {
        shown = String(b.blocks);
        return true;
      })
      .reply(200, { ok: true });
    await click('uso_new_accounts', JSON.stringify({ d: school.dfeNumber, r: run._id, page: 0 }));
    await vi_waitFor(() => shown !== undefined);
    const created = run.counts?.created ?? 0;
    expect(shown).toContain(`${created}, newest first`);
    let csv = '';
    const upload = nock('https://slack.com')
      .post('/api/files.getUploadURLExternal')
      .reply(200, { ok: true, upload_url: 'https://files.slack.com/upload/v1/abc', file_id: 'F1' })
      .post('/api/files.completeUploadExternal', (b) => String(b.channel_id) === 'C1' && String(b.files).includes('F1'))
      .reply(200, { ok: true, files: [{ id: 'F1' }] });
    const file = nock('https://files.slack.com')
      .post('/upload/v1/abc', (b) => {
        csv = typeof b === 'string' ? b : JSON.stringify(b);
        return true;
      })
      .reply(200, 'OK');
    await click('uso_new_accounts_file', JSON.stringify({ d: school.dfeNumber, r: run._id }));
    await vi_waitFor(() => upload.isDone() && file.isDone());
    expect(csv).toContain('Name,Username,Pupil or staff,Year / role,First day,How,Date');
    expect(csv.split('\n').length).toBeGreaterThanOrEqual(created);
  });

  it('restores the ticked accounts of the unallocated list at once, saying which', async () => {
    await nightWithLeaversPosted();
    const list = (await (await slash('unallocated')).json()) as {
      blocks: {
        block_id?: string;
        elements?: { type: string; action_id: string; value?: string; options?: { value: string }[] }[];
      }[];
    };
    const selection = list.blocks.find((b) => b.block_id === 'uso_selection')!;
    const boxes = selection.elements!.find((e) => e.type === 'checkboxes')!;
    expect(boxes.options).toHaveLength(3);
    const ticked = boxes.options!.slice(0, 2).map((o) => o.value);
    const restoreSelected = selection.elements!.find((e) => e.action_id === 'uso_restore_selected')!;
    const shown = nock('https://slack.com')
      .post('/api/chat.update', (b) => String(b.text) === '2 account(s) restored')
      .reply(200, { ok: true });
    nock('https://slack.com').post('/api/chat.update').reply(200, { ok: true }); // the posted summary, refreshed
    await click('uso_restore_selected', restoreSelected.value!, 'UHEAD', '1700000000.000300', {
      uso_selection: {
        uso_select: {
          type: 'checkboxes',
          selected_options: ticked.map((value) => ({ value, text: { type: 'plain_text', text: value } })),
        },
      },
    });
    await vi_waitFor(() => shown.isDone());
    for (const u of ticked) expect((await getAccount(ctx.store.db, u))!.status).toBe('active');
    expect((await getAccount(ctx.store.db, boxes.options![2]!.value))!.status).toBe('unallocated');
    const audited = await ctx.store.db.collection('audit').find({ action: 'account.restored' }).toArray();
    expect(audited.map((a) => a.username).sort()).toEqual([...ticked].sort());
    // nothing ticked: said privately, nothing restored
    const none = nock('https://slack.com')
      .post('/api/chat.postEphemeral', (b) => /tick the accounts to restore first/.test(String(b.text)))
      .reply(200, { ok: true });
    await click('uso_restore_selected', restoreSelected.value!, 'UHEAD', '1700000000.000300', {
      uso_selection: { uso_select: { type: 'checkboxes', selected_options: [] } },
    });
    await vi_waitFor(() => none.isDone());
  });

  it('undoes a wrong match, then matches the held person to another account found by a partial name', async () => {
    const db = ctx.store.db;
    // the right account: made by hand for this pupil before the MIS had them
    const right = await requestAccount(
      db,
      school.dfeNumber,
      { kind: 'pupil', legalForename: 'Tommy', legalSurname: 'Whitfield-Oduya', startDate: la.today },
      'cli:ops',
    );
    const listed = (await (await slash('match')).json()) as {
      blocks: { block_id?: string; elements?: { type: string; action_id: string; value?: string }[] }[];
    };
    const wrong = listed.blocks.flatMap((b) => b.elements ?? []).find((e) => e.action_id === 'uso_match')!;
    let shown: { text: string; blocks: string } | undefined;
    const capture = () =>
      nock('https://slack.com')
        .post('/api/chat.update', (b) => {
          shown = { text: String(b.text), blocks: String(b.blocks) };
          return true;
        })
        .reply(200, { ok: true });
    capture();
    await click('uso_match', wrong.value!);
    await vi_waitFor(() => shown !== undefined);
    expect((await getAccount(db, 'tom.requested'))!.associations.some((x) => x.misPersonId === 'NEW-TOM')).toBe(true);
    const undoButton = (JSON.parse(shown!.blocks) as { elements?: { action_id: string; value: string }[] }[])
      .flatMap((b) => b.elements ?? [])
      .find((e) => e.action_id === 'uso_undo')!;
    expect(JSON.parse(undoButton.value)).toEqual({ d: school.dfeNumber, p: 'NEW-TOM', k: 'match' });

    // Undo: the account is as it was (kept by hand, no MIS association) and the person is held again
    shown = undefined;
    capture();
    await click('uso_undo', undoButton.value);
    await vi_waitFor(() => shown !== undefined);
    expect(shown!.blocks).toContain('was undone: they are held for matching again');
    const after = (await getAccount(db, 'tom.requested'))!;
    expect(after.associations).toEqual([expect.objectContaining({ source: 'manual', status: 'active' })]);
    expect((await getMatch(db, school.dfeNumber, 'NEW-TOM'))?.status).toBe('open');

    // Another account...: Slack asks for options as the contact types part of the surname
    const menuBlock = (JSON.parse(shown!.blocks) as { block_id?: string; elements?: { action_id: string }[] }[]).find(
      (b) => b.elements?.some((e) => e.action_id === 'uso_match_other'),
    )!;
    const options = await suggest('uso_match_other', menuBlock.block_id!, 'whitfield-od');
    expect(options.options.map((o) => o.value)).toContain(right);
    expect(options.options.find((o) => o.value === right)!.text.text).toMatch(
      /Tommy Whitfield-Oduya \(.+\) · born \? · 2092000/,
    );

    // another school's pupil with a like surname is never offered to this school's admins, and a forged choice of
    // them is refused without a word about them
    await insertAccounts(db, [
      linkedAccount(
        'tomas.whitfield',
        pupil({ legalForename: 'Tomas', legalSurname: 'Whitfield-Odell', dateOfBirth: '2014-02-02' }),
        school_('2092777'),
      ),
    ]);
    const offered = await suggest('uso_match_other', menuBlock.block_id!, 'whitfield-od');
    expect(offered.options.map((o) => o.value)).not.toContain('tomas.whitfield');
    expect(JSON.stringify(offered)).not.toContain('Odell');
    const said: string[] = [];
    const record = (b: unknown) => (said.push(JSON.stringify(b)), true);
    nock('https://slack.com').persist().post(/.*/, record).reply(200, { ok: true });
    nock('https://hooks.slack.com').persist().post(/.*/, record).reply(200, { ok: true });
    await choose('uso_match_other', menuBlock.block_id!, 'tomas.whitfield');
    await vi_waitFor(() => said.length > 0);
    expect(said.join('\n')).toContain('you may not choose that account');
    expect(said.join('\n')).not.toMatch(/Odell|Tomas|2014/);
    nock.cleanAll();

    // choosing it shows the account before matching; the match then lands on it
    shown = undefined;
    capture();
    await choose('uso_match_other', menuBlock.block_id!, right);
    await vi_waitFor(() => shown !== undefined);
    expect(shown!.text).toBe(`Match Thomas Whitfield to ${right}?`);
    const confirm = (JSON.parse(shown!.blocks) as { elements?: { action_id: string; value: string }[] }[])
      .flatMap((b) => b.elements ?? [])
      .find((e) => e.action_id === 'uso_match')!;
    shown = undefined;
    capture();
    await click('uso_match', confirm.value);
    await vi_waitFor(() => shown !== undefined);
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
    expect(trail.every((a) => a.actor === 'slack:T1:UHEAD')).toBe(true);
  });

  it('adds an exclusion from a modal before the person ever reaches a run, and removes it again', async () => {
    const db = ctx.store.db;
    const opened = nock('https://slack.com')
      .post('/api/views.open', (b) => String(b.view).includes('uso_form_exclusion'))
      .reply(200, { ok: true });
    await click('uso_open_form', JSON.stringify({ d: school.dfeNumber, form: 'exclusion' }));
    await vi_waitFor(() => opened.isDone());
    // a bad birth date is refused beside its field; nothing is added
    const bad = await submit(
      'uso_form_exclusion',
      { d: school.dfeNumber, ch: 'C1' },
      {
        forename: { forename: { value: 'Test' } },
        surname: { surname: { value: 'Pupil' } },
        dob: { dob: { selected_date: '2016-02-30' } },
      },
    );
    expect(bad).toMatchObject({ response_action: 'errors', errors: { dob: expect.any(String) } });
    const said = nock('https://slack.com')
      .post(
        '/api/chat.postMessage',
        (b) => b.channel === 'C1' && /Test Pupil is on the exclusion list/.test(String(b.text)),
      )
      .reply(200, { ok: true, ts: '1' });
    expect(
      await submit(
        'uso_form_exclusion',
        { d: school.dfeNumber, ch: 'C1' },
        {
          forename: { forename: { value: 'Test' } },
          surname: { surname: { value: 'Pupil' } },
          dob: { dob: { selected_date: null } },
        },
      ),
    ).toBe('');
    await vi_waitFor(() => said.isDone());
    // a forged form naming another channel: the answer goes to the person who submitted it, privately, never there
    const channels: string[] = [];
    nock('https://slack.com')
      .post('/api/chat.postMessage', (b) => (channels.push(String(b.channel)), true))
      .reply(200, { ok: true, ts: '2' });
    await submit(
      'uso_form_exclusion',
      { d: school.dfeNumber, ch: 'CSOMEONE_ELSES' },
      {
        forename: { forename: { value: 'Forged' } },
        surname: { surname: { value: 'Channel' } },
        dob: { dob: { selected_date: null } },
      },
    );
    await vi_waitFor(() => channels.length > 0);
    expect(channels).toEqual(['UHEAD']);
    await removeExclusion(db, school.dfeNumber, 'Forged', 'Channel');
    const testPupil = { ...lookAlike('TEST-1', 'Pupil'), legalForename: 'Test', dateOfBirth: '2016-05-01' };
    const night = async (seq: number) => {
      await db.collection('leases').deleteMany({});
      return syncSchool({ db, logger: captureLogger().logger }, school.dfeNumber, {
        trigger: 'file',
        file: {
          dfeNumber: school.dfeNumber,
          exportedAt: `${la.today}T2${seq}:00:00Z`,
          source: 'integris',
          reports: { students: [...school.students, testPupil], staff: school.staff },
          completeness: {},
        },
        today: la.today,
      });
    };
    const first = await night(1);
    expect(first.outcomes.find((o) => o.personId === 'TEST-1')?.outcome).toBe('excluded');
    // removed from the list in chat: the next run creates the account
    const list = (await (await slash('exclusions')).json()) as {
      blocks: { accessory?: { action_id: string; value: string } }[];
    };
    const remove = list.blocks.map((b) => b.accessory).find((a) => a?.action_id === 'uso_exclusion_remove')!;
    const removed = nock('https://slack.com')
      .post('/api/chat.update', (b) => /Test Pupil is no longer excluded/.test(String(b.blocks)))
      .reply(200, { ok: true });
    await click('uso_exclusion_remove', remove.value);
    await vi_waitFor(() => removed.isDone());
    const second = await night(2);
    expect(second.outcomes.find((o) => o.personId === 'TEST-1')?.outcome).toBe('created');
  });

  it('makes a requested account from a modal, which the next run links when the MIS has the person', async () => {
    const db = ctx.store.db;
    const opened = nock('https://slack.com')
      .post('/api/views.open', (b) => String(b.trigger_id) === '1.2.3' && String(b.view).includes('uso_form_request'))
      .reply(200, { ok: true });
    await slash('request');
    await vi_waitFor(() => opened.isDone());
    nock('https://slack.com').post('/api/chat.postMessage').reply(200, { ok: true, ts: '1' });
    expect(
      await submit(
        'uso_form_request',
        { d: school.dfeNumber, ch: 'C1' },
        {
          kind: { kind: { selected_option: { value: 'pupil' } } },
          forename: { forename: { value: 'Nia' } },
          surname: { surname: { value: 'Okafor-Reyes' } },
          dob: { dob: { selected_date: '2019-06-02' } },
          start: { start: { selected_date: la.today } },
          group: { group: { value: 'RB' } },
        },
      ),
    ).toBe('');
    const made = (await db.collection('audit').findOne({ action: 'account.requested' }))!.username as string;
    expect((await getAccount(db, made))!.associations).toEqual([
      expect.objectContaining({ source: 'manual', status: 'active', registrationGroup: 'RB' }),
    ]);
    // the MIS exports her a week later: linked, not duplicated
    const nia = { ...lookAlike('NIA-1', 'Okafor-Reyes'), legalForename: 'Nia', dateOfBirth: '2019-06-02' };
    await db.collection('leases').deleteMany({});
    const run = await syncSchool({ db, logger: captureLogger().logger }, school.dfeNumber, {
      trigger: 'file',
      file: {
        dfeNumber: school.dfeNumber,
        exportedAt: `${la.today}T21:00:00Z`,
        source: 'integris',
        reports: { students: [...school.students, nia], staff: school.staff },
        completeness: {},
      },
      today: la.today,
    });
    expect(run.outcomes.find((o) => o.personId === 'NIA-1')).toMatchObject({ outcome: 'auto_matched', username: made });
    expect(await db.collection('accounts').countDocuments({ legalSurname: 'Okafor-Reyes' })).toBe(1);
  });

  it('keeps a non-MIS account until its review date, and retires another', async () => {
    const db = ctx.store.db;
    const governor = await requestAccount(
      db,
      school.dfeNumber,
      { kind: 'staff', legalForename: 'Gail', legalSurname: 'Governor', startDate: la.today },
      'cli:ops',
    );
    const list = (await (await slash('non-mis')).json()) as {
      blocks: { elements?: { action_id: string; value: string }[] }[];
    };
    const buttons = list.blocks.flatMap((b) => b.elements ?? []);
    const keep = buttons.find((e) => e.action_id === 'uso_open_form' && JSON.parse(e.value).u === governor)!;
    const opened = nock('https://slack.com')
      .post('/api/views.open', (b) => String(b.view).includes('uso_form_keep'))
      .reply(200, { ok: true });
    await click('uso_open_form', keep.value);
    await vi_waitFor(() => opened.isDone());
    nock('https://slack.com').post('/api/chat.postMessage').reply(200, { ok: true, ts: '1' });
    expect(
      await submit(
        'uso_form_keep',
        { d: school.dfeNumber, u: governor, ch: 'C1' },
        {
          reason: { reason: { value: 'governor' } },
          review: { review: { selected_date: '2099-01-01' } },
        },
      ),
    ).toBe('');
    const after = (await (await slash('non-mis')).json()) as { blocks: unknown[] };
    expect(JSON.stringify(after.blocks)).not.toContain(governor); // kept: off the list until 2099
    // the hand-made account of the seed is retired: it joins the unallocated pool like a leaver
    const retire = buttons.find((e) => e.action_id === 'uso_retire' && JSON.parse(e.value).u === 'tom.requested')!;
    const retired = nock('https://slack.com')
      .post('/api/chat.update', (b) => /tom.requested was retired/.test(String(b.blocks)))
      .reply(200, { ok: true });
    await click('uso_retire', retire.value);
    await vi_waitFor(() => retired.isDone());
    expect((await getAccount(db, 'tom.requested'))!.status).toBe('unallocated');
    expect(await db.collection('audit').findOne({ action: 'account.kept', username: governor })).toMatchObject({
      actor: 'slack:T1:UHEAD',
    });
  });

  it('sends LA admins a morning digest of the schools that need someone, once a day', async () => {
    await grantRole(
      ctx.store.db,
      { platform: 'cli', userId: 'ops', displayName: 'ops' },
      school.dfeNumber,
      'slack:T1:ULA',
      'la',
    );
    const failed = (await startRun(ctx.store.db, { dfeNumber: school.dfeNumber, trigger: 'nightly' }))!;
    await finishRun(ctx.store.db, failed._id, {
      status: 'failed',
      error: { code: 'integris_unavailable', message: 'Integris answered 503' },
    });
    expect(await queueLaDigests(ctx.store.db, '2026-11-30')).toBe(1);
    expect(await queueLaDigests(ctx.store.db, '2026-11-30')).toBe(0);
    const digest = await outboxItem(ctx.store.db, 'digest:2026-11-30:slack:T1:ULA');
    expect(digest).toMatchObject({ conversation: 'ULA', status: 'pending' });
    expect(digest?.message.text).toContain(
      `(${school.dfeNumber}): 1 to match, last run failed (integris_unavailable: Integris answered 503)`,
    );
  });

  it('lists unallocated accounts with Restore, runs a school now, and decides people with Create and Exclude', async () => {
    await nightWithLeaversPosted();
    // a decision also refreshes the summary posted for the school's latest run (ts ...100)
    const summaryRefresh = nock('https://slack.com')
      .post('/api/chat.update', (b) => b.ts === '1700000000.000100')
      .reply(200, { ok: true });
    const list = (await (await slash('unallocated')).json()) as {
      blocks: { accessory?: { action_id: string; value: string } }[];
    };
    const restoreButton = list.blocks.map((b) => b.accessory).find((a) => a?.action_id === 'uso_restore')!;
    const username = JSON.parse(restoreButton.value).u as string;
    const restored = nock('https://slack.com')
      .post('/api/chat.update', (b) => String(b.text).includes(`${username} restored`))
      .reply(200, { ok: true });
    await click('uso_restore', restoreButton.value);
    await vi_waitFor(() => restored.isDone() && summaryRefresh.isDone());
    expect((await getAccount(ctx.store.db, username))!.status).toBe('active');

    const queued = await (await slash('run')).json();
    expect(queued).toMatchObject({ response_type: 'in_channel', text: 'Run queued' });
    expect(
      await ctx.store.db
        .collection('agendaJobs')
        .countDocuments({ name: 'integris:export', 'data.dfeNumber': school.dfeNumber, 'data.trigger': 'force' }),
    ).toBe(1);

    // two more look-alikes of the hand-made account's person: one created, one excluded from the buttons
    const extra = [lookAlike('NEW-A', 'Whitfeld'), lookAlike('NEW-B', 'Whitfelde')];
    await ctx.store.db.collection('leases').deleteMany({});
    const file: ExportFile = {
      dfeNumber: school.dfeNumber,
      exportedAt: `${la.today}T20:00:00Z`,
      source: 'integris',
      reports: { students: [...school.students, ...extra], staff: school.staff },
      completeness: {},
    };
    await syncSchool({ db: ctx.store.db, logger: captureLogger().logger }, school.dfeNumber, {
      trigger: 'file',
      file,
      today: la.today,
    });
    const matches = (await (await slash('match')).json()) as {
      blocks: { elements?: { action_id: string; value: string }[] }[];
    };
    const buttons = matches.blocks.flatMap((b) => b.elements ?? []);
    const create = buttons.find((b) => b.action_id === 'uso_create' && b.value.includes('NEW-A'))!;
    const excl = buttons.find((b) => b.action_id === 'uso_exclude' && b.value.includes('NEW-B'))!;
    const updates = nock('https://slack.com').post('/api/chat.update').times(2).reply(200, { ok: true });
    await click('uso_create', create.value);
    await click('uso_exclude', excl.value);
    await vi_waitFor(() => updates.isDone());
    const decided = await ctx.store.db
      .collection('matches')
      .find({ misPersonId: { $in: ['NEW-A', 'NEW-B'] } })
      .toArray();
    expect(decided.map((m) => m.status).sort()).toEqual(['created', 'excluded']);
  });

  it('answers help, the non-MIS list and grants, and pages the matching list', async () => {
    expect(((await (await slash('help')).json()) as { text: string }).text).toContain('/uso match [school]');
    expect(((await (await slash('non-mis')).json()) as { text: string }).text).toBe(
      `Accounts at ${school.dfeNumber} not in the MIS`,
    );
    const granted = (await (await slash('grant <@UNEW|new> contact')).json()) as { text: string };
    expect(granted.text).toBe(`<@UNEW> is now contact for school ${school.dfeNumber}.`);
    expect(((await (await slash('status', 'UNEW')).json()) as { text: string }).text).toBe('USO status');
    const refused = (await (await slash('grant <@UOTHER> head', 'UNEW')).json()) as { text: string };
    expect(refused.text).toMatch(/only the school's head/);
    const paged = nock('https://slack.com')
      .post(
        '/api/chat.update',
        (b) => String(b.text).includes('to match at') || String(b.text).includes('waiting to be matched'),
      )
      .reply(200, { ok: true });
    await click('uso_matches_page', JSON.stringify({ d: school.dfeNumber, page: 0 }));
    await vi_waitFor(() => paged.isDone());
  });

  it('refuses people without a role at the school, saying why', async () => {
    const res = await slash('status', 'USTRANGER');
    expect(await res.json()).toMatchObject({
      response_type: 'ephemeral',
      text: expect.stringMatching(/ustranger is not an admin of school/),
    });
  });

  it('rejects a bad signature or a stale timestamp with 401 and does nothing', async () => {
    const body = 'command=%2Fuso&text=status&team_id=T1&channel_id=C1&user_id=UHEAD';
    const wrong = await app.request('/slack/events', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': String(Math.floor(Date.now() / 1000)),
        'x-slack-signature': 'v0=deadbeef',
      },
      body,
    });
    expect(wrong.status).toBe(401);
    const old = await app.request('/slack/events', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...sign(body, Math.floor(Date.now() / 1000) - 6 * 60),
      },
      body,
    });
    expect(old.status).toBe(401);
  });

  it('publishes the App Home with the schools the user can act for, and takes a retried event once', async () => {
    let published = 0;
    const home = nock('https://slack.com')
      .post('/api/views.publish', (b) => {
        published++;
        const view = JSON.parse(String(b.view)) as { type: string; blocks: unknown[] };
        return b.user_id === 'UHEAD' && view.type === 'home' && JSON.stringify(view.blocks).includes(school.dfeNumber);
      })
      .reply(200, { ok: true });
    const event = JSON.stringify({
      type: 'event_callback',
      team_id: 'T1',
      api_app_id: 'A1',
      event_id: 'Ev1',
      event: { type: 'app_home_opened', user: 'UHEAD', channel: 'D1', tab: 'home' },
    });
    const first = await app.request('/slack/events', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...sign(event) },
      body: event,
    });
    await vi_waitFor(() => home.isDone());
    const retry = await app.request('/slack/events', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-slack-retry-num': '1',
        'x-slack-retry-reason': 'http_timeout',
        ...sign(event),
      },
      body: event,
    });
    expect([first.status, retry.status]).toEqual([200, 200]);
    await new Promise((r) => setTimeout(r, 200));
    expect(published).toBe(1);
  });

  it('unlinks a channel the bot is removed from, and audits it', async () => {
    const event = JSON.stringify({
      type: 'event_callback',
      team_id: 'T1',
      api_app_id: 'A1',
      event_id: 'EvLeft',
      event: { type: 'channel_left', channel: 'C1', actor_id: 'UHEAD', event_ts: '1700000100.000100' },
    });
    const res = await app.request('/slack/events', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...sign(event) },
      body: event,
    });
    expect(res.status).toBe(200);
    // the event is acknowledged first; the unlinking follows
    const links = () => ctx.store.db.collection('chatLinks').countDocuments({ platform: 'slack', conversation: 'C1' });
    for (const deadline = Date.now() + 5000; (await links()) > 0 && Date.now() < deadline;)
      await new Promise((r) => setTimeout(r, 20));
    expect(await links()).toBe(0);
    expect(await ctx.store.db.collection('audit').findOne({ action: 'chat.unlinked' })).toMatchObject({
      dfeNumber: school.dfeNumber,
      detail: expect.stringContaining('slack:T1:C1'),
    });
  });
});

/** Every element of a message's actions blocks (buttons and tick boxes). */
function buttonsIn(blocks: unknown): { action_id: string; value: string; type: string }[] {
  return (blocks as { elements?: { action_id: string; value: string; type: string }[] }[]).flatMap(
    (b) => b.elements ?? [],
  );
}

/** A search menu's options request (block_suggestion), answered in the response body. */
async function suggest(actionId: string, blockId: string, value: string) {
  const payload = {
    type: 'block_suggestion',
    user: { id: 'UHEAD', username: 'uhead', team_id: 'T1' },
    team: { id: 'T1', domain: 'school' },
    api_app_id: 'A1',
    token: 'x',
    action_id: actionId,
    block_id: blockId,
    value,
    container: { type: 'message', message_ts: '1700000000.000200', channel_id: 'C1' },
  };
  const res = await interact(payload);
  expect(res.status).toBe(200);
  return (await res.json()) as { options: { text: { text: string }; value: string }[] };
}

/** An option chosen in a search menu (block_actions with selected_option). */
async function choose(actionId: string, blockId: string, value: string) {
  const payload = {
    type: 'block_actions',
    user: { id: 'UHEAD', username: 'uhead', team_id: 'T1' },
    team: { id: 'T1', domain: 'school' },
    api_app_id: 'A1',
    token: 'x',
    container: { type: 'message', message_ts: '1700000000.000200', channel_id: 'C1', is_ephemeral: false },
    trigger_id: '1.2.3',
    channel: { id: 'C1', name: 'uso' },
    message: { type: 'message', ts: '1700000000.000200', text: 'people to match' },
    actions: [
      {
        type: 'external_select',
        action_id: actionId,
        block_id: blockId,
        selected_option: { text: { type: 'plain_text', text: value }, value },
        action_ts: '1700000001.000000',
      },
    ],
  };
  return interact(payload);
}

/** A modal submitted (view_submission): the answer body ('' when it closes). */
async function submit(callbackId: string, meta: object, values: object): Promise<unknown> {
  const payload = {
    type: 'view_submission',
    user: { id: 'UHEAD', username: 'uhead', team_id: 'T1' },
    team: { id: 'T1', domain: 'school' },
    api_app_id: 'A1',
    token: 'x',
    trigger_id: '1.2.3',
    view: {
      id: 'V1',
      type: 'modal',
      callback_id: callbackId,
      private_metadata: JSON.stringify(meta),
      state: { values },
    },
  };
  const res = await interact(payload);
  expect(res.status).toBe(200);
  const text = await res.text();
  return text ? (JSON.parse(text) as unknown) : '';
}

describe('Slack: one behaviour per action, as on Teams', () => {
  it('a restore shows the unallocated list again; removing an exclusion refreshes the posted summary', async () => {
    const db = ctx.store.db;
    await nightWithLeaversPosted();
    const list = (await (await slash('unallocated')).json()) as {
      blocks: { accessory?: { action_id: string; value: string } }[];
    };
    const restoreButton = list.blocks.map((b) => b.accessory).find((a) => a?.action_id === 'uso_restore')!;
    const username = JSON.parse(restoreButton.value).u as string;
    let shown = '';
    const restored = nock('https://slack.com')
      .post('/api/chat.update', (b) => {
        if (b.ts !== '1700000000.000200') return false;
        shown = JSON.stringify(b.blocks);
        return true;
      })
      .reply(200, { ok: true });
    const refreshedOnRestore = nock('https://slack.com')
      .post('/api/chat.update', (b) => b.ts === '1700000000.000100')
      .reply(200, { ok: true });
    await click('uso_restore', restoreButton.value);
    await vi_waitFor(() => restored.isDone() && refreshedOnRestore.isDone());
    expect(shown).toContain(`${username}\` was restored`);
    expect(shown).toContain(`Unallocated accounts at ${school.dfeNumber}`);

    const { addExclusion } = await import('../../src/store/exclusions.js');
    await addExclusion(db, school.dfeNumber, 'Nobody', 'Ever', 'slack:T1:UHEAD');
    const listed = (await (await slash('exclusions')).json()) as {
      blocks: { accessory?: { action_id: string; value: string } }[];
    };
    const remove = listed.blocks.map((b) => b.accessory).find((a) => a?.action_id === 'uso_exclusion_remove')!;
    const removed = nock('https://slack.com')
      .post('/api/chat.update', (b) => b.ts === '1700000000.000200')
      .reply(200, { ok: true });
    const refreshedOnRemove = nock('https://slack.com')
      .post('/api/chat.update', (b) => b.ts === '1700000000.000100')
      .reply(200, { ok: true });
    await click('uso_exclusion_remove', remove.value);
    await vi_waitFor(() => removed.isDone() && refreshedOnRemove.isDone());
  });
});

describe('Slack: schools approve the services that get their data', () => {
  it('a service gets nothing of the school until its head approves it from chat; the receipt is shown; a revoke stops events and API reads at once', async () => {
    const db = ctx.store.db;
    const { addSubscriber } = await import('../../src/store/subscribers.js');
    const { audit } = await import('../../src/store/audit.js');
    const { deliveriesOf } = await import('../../src/store/deliveries.js');
    const { fanOut } = await import('../../src/sync/outbound.js');
    const { apiRoutes } = await import('../../src/api/index.js');
    const api = createApp({
      store: ctx.store,
      logger: captureLogger().logger,
      routes: [apiRoutes({ db, perMinute: 100 })],
    });
    const sub = await addSubscriber(db, {
      name: 'Reading platform',
      url: 'https://reading.example.org/uso',
      events: ['run.finished'],
      scope: { laCode: school.laCode },
      reports: ['students'],
      fields: ['dateOfBirth'],
      purpose: 'reading logins for pupils, grouped by class',
    });
    const read = () =>
      api.request(`/api/v1/schools/${school.dfeNumber}/accounts`, {
        headers: { authorization: `Bearer ${sub.apiKey}` },
      });
    const runFinished = (runId: string) =>
      audit(db, { at: new Date(), actor: 'sync', action: 'run.finished', dfeNumber: school.dfeNumber, runId });
    const queued = async () => (await deliveriesOf(db, sub.id)).map((d) => d.status);

    // asked, not approved: nothing queued, nothing answered
    await runFinished('before');
    await fanOut(db, { settleMs: 0 });
    expect(await queued()).toEqual([]);
    expect((await read()).status).toBe(403);

    // the head sees the request, what it wants and why
    const listed = (await (await slash('sharing')).json()) as {
      text: string;
      blocks: { text?: { text: string }; elements?: { action_id: string; value: string }[] }[];
    };
    const words = listed.blocks.map((b) => b.text?.text ?? '').join('\n');
    expect(words).toContain('*Reading platform*: asks for data: nothing is shared until the head approves');
    expect(words).toContain('reports students; fields names, username, dateOfBirth; for reading logins for pupils');
    const approve = listed.blocks.flatMap((b) => b.elements ?? []).find((e) => e.action_id === 'uso_sharing_approve')!;
    expect(JSON.parse(approve.value)).toEqual({ d: school.dfeNumber, s: sub.id });

    // a contact may not approve; nothing changes
    await grantRole(
      db,
      { platform: 'cli', userId: 'ops', displayName: 'ops' },
      school.dfeNumber,
      'slack:T1:UCONTACT',
      'contact',
    );
    const refused = nock('https://slack.com')
      .post('/api/chat.postEphemeral', (b) => b.user === 'UCONTACT' && /head/.test(String(b.text)))
      .reply(200, { ok: true });
    await click('uso_sharing_approve', approve.value, 'UCONTACT');
    await vi_waitFor(() => refused.isDone());
    expect((await read()).status).toBe(403);

    // the head approves: the receipt says who, when and exactly what
    let shown = '';
    const approved = nock('https://slack.com')
      .post('/api/chat.update', (b) => {
        shown = JSON.stringify(b.blocks);
        return true;
      })
      .reply(200, { ok: true, channel: 'C1', ts: '1700000000.000200' });
    await click('uso_sharing_approve', approve.value);
    await vi_waitFor(() => approved.isDone());
    expect(shown).toMatch(
      /Reading platform: approved by uhead on \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC, in chat: reports students; fields names, username, dateOfBirth; for reading logins/,
    );
    expect((await read()).status).toBe(200);
    await runFinished('after');
    await fanOut(db, { settleMs: 0 });
    expect(await queued()).toEqual(['pending']);

    // revoked: the queued event is withdrawn and the API refuses at once
    const revokeButton = (
      (await (await slash('sharing')).json()) as { blocks: { elements?: { action_id: string; value: string }[] }[] }
    ).blocks
      .flatMap((b) => b.elements ?? [])
      .find((e) => e.action_id === 'uso_sharing_revoke')!;
    const revoked = nock('https://slack.com')
      .post('/api/chat.update', (b) => /revoked by uhead/.test(JSON.stringify(b.blocks)))
      .reply(200, { ok: true, channel: 'C1', ts: '1700000000.000200' });
    await click('uso_sharing_revoke', revokeButton.value);
    await vi_waitFor(() => revoked.isDone());
    expect((await read()).status).toBe(403);
    expect(await queued()).toEqual([]);
    await runFinished('revoked');
    await fanOut(db, { settleMs: 0 });
    expect(await queued()).toEqual([]);
    // every decision audited and said in the school's channel
    const { auditEntries } = await import('../../src/store/audit.js');
    expect((await auditEntries(db, { dfeNumber: school.dfeNumber }, 50)).map((e) => e.action)).toEqual(
      expect.arrayContaining(['sharing.approved', 'sharing.revoked']),
    );
    expect(
      await db.collection('outbox').countDocuments({ _id: { $regex: `^sharing:${school.dfeNumber}:` } as never }),
    ).toBe(2);
  });
});

async function vi_waitFor(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out; pending: ${nock.pendingMocks().join(', ')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
