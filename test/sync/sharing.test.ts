// Schools approve the services that get their data, from the operator's side: a pre-approved service is approved
// only where the school allows the LA to pre-approve (and those schools are told), a decision on a school's written
// request needs the request's reference and keeps it on the receipt, and a service nobody approved gets nothing.
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { upsertSchool, getSchool, updateSchool } from '../../src/store/schools.js';
import { grantRole } from '../../src/bot/access.js';
import { createLinkCode, redeemLinkCode } from '../../src/bot/access.js';
import { audit } from '../../src/store/audit.js';
import { deliveriesOf } from '../../src/store/deliveries.js';
import { fanOut } from '../../src/sync/outbound.js';
import { uso } from '../helpers/cli.js';
import { useFreshStoreEachTest } from '../helpers/store.js';

const ctx = useFreshStoreEachTest();
const [OPEN, CLOSED, OTHER_LA] = ['2095001', '2095002', '3305001'];

beforeEach(async () => {
  process.env.MONGODB_URI = `${inject('mongoUri').replace(/\/?$/, '/')}${ctx.store.db.databaseName}`;
  for (const [dfeNumber, laCode] of <[string, string][]>[
    [OPEN, '209'],
    [CLOSED, '209'],
    [OTHER_LA, '330'],
  ])
    await upsertSchool(ctx.store.db, { dfeNumber, name: `School ${dfeNumber}`, laCode, acceptedReports: ['students'] });
  // the closed school's head has stopped the LA pre-approving services for it
  const closed = (await getSchool(ctx.store.db, CLOSED))!;
  await updateSchool(ctx.store.db, CLOSED, { settings: { ...closed.settings, laPreApproval: false } });
  // the open school has a chat channel, where it is told
  const code = await createLinkCode(ctx.store.db, OPEN, { platform: 'cli', userId: 'ops', displayName: 'ops' });
  await redeemLinkCode(
    ctx.store.db,
    code,
    { platform: 'slack', workspace: 'T1', userId: 'UHEAD', displayName: 'uhead' },
    { platform: 'slack', workspace: 'T1', conversation: 'C1' },
  );
});
afterEach(() => {
  delete process.env.MONGODB_URI;
});

const add = (...flags: string[]) =>
  uso(
    'subscribers',
    'add',
    'Homework app',
    'https://203.0.113.10/uso',
    '--events',
    'run.finished',
    '--la',
    '209',
    '--json',
    ...flags,
  );

describe('schools approve the services that get their data (operator)', () => {
  it('a service must say why it wants the data, and gets no school until one approves it', async () => {
    const refused = await add();
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/--purpose is required/);
    const made = await add('--purpose', 'homework set and marked by class teachers');
    expect(made.code).toBe(0);
    const { id } = made.json() as { id: string };
    const listed = (await uso('sharing', 'list', '--json')).json() as { dfeNumber: string; state: string }[];
    expect(listed.map((r) => [r.dfeNumber, r.state])).toEqual([
      [OPEN, 'requested'],
      [CLOSED, 'requested'],
    ]);
    await audit(ctx.store.db, { at: new Date(), actor: 'sync', action: 'run.finished', dfeNumber: OPEN, runId: 'r' });
    await fanOut(ctx.store.db, { settleMs: 0 });
    expect(await deliveriesOf(ctx.store.db, id)).toEqual([]);
  });

  it('pre-approved: approved where the school allows it, and that school told; the operator acts on a written request only with its reference', async () => {
    const made = await add('--purpose', 'homework set and marked by class teachers', '--pre-approved');
    expect(made.code).toBe(0);
    const { id, preApprovedAt } = made.json() as { id: string; preApprovedAt: string[] };
    expect(preApprovedAt).toEqual([OPEN]);
    const told = await ctx.store.db.collection('outbox').find({}).toArray();
    expect(told.map((m) => JSON.stringify(m.message))).toEqual([
      expect.stringMatching(/The LA pre-approved Homework app .*decline it at any time/),
    ]);
    let listed = (await uso('sharing', 'list', '--json')).json() as {
      dfeNumber: string;
      state: string;
      receipt?: string;
    }[];
    expect(listed.map((r) => [r.dfeNumber, r.state])).toEqual([
      [OPEN, 'approved'],
      [CLOSED, 'requested'],
    ]);
    expect(listed[0]!.receipt).toMatch(
      /^approved by the LA \(pre-approved by cli:.*\) on .* UTC, pre-approved by the LA: reports students, staff; fields names, username; for homework/,
    );

    const noReference = await uso('sharing', 'approve', CLOSED, id);
    expect(noReference.code).toBe(2);
    expect(noReference.err).toMatch(/--request is required/);
    const outsideScope = await uso('sharing', 'approve', OTHER_LA, id, '--request', 'letter 12');
    expect(outsideScope.code).not.toBe(0);
    expect(outsideScope.err).toMatch(/no service .* asks for data of school 3305001/);
    const approved = await uso('sharing', 'approve', CLOSED, id, '--request', "head's letter of 3 Dec");
    expect(approved.code).toBe(0);
    listed = (await uso('sharing', 'list', CLOSED, '--json')).json() as typeof listed;
    expect(listed[0]!.receipt).toMatch(
      /approved by cli:.* by the operator \(the school's request: head's letter of 3 Dec\)/,
    );

    // a head may decline what the LA pre-approved; an LA admin may not approve for a school
    const { decideSharingFor } = await import('../../src/bot/sharing-actions.js');
    const head = { platform: 'slack' as const, workspace: 'T1', userId: 'UHEAD', displayName: 'uhead' };
    await decideSharingFor({ db: ctx.store.db }, head, { dfeNumber: OPEN, subscriberId: id, decision: 'declined' });
    const la = { platform: 'slack' as const, workspace: 'T1', userId: 'ULA', displayName: 'la admin' };
    await grantRole(ctx.store.db, { platform: 'cli', userId: 'ops', displayName: 'ops' }, OPEN, la, 'la');
    await expect(
      decideSharingFor({ db: ctx.store.db }, la, { dfeNumber: OPEN, subscriberId: id, decision: 'approved' }),
    ).rejects.toThrow(/only the school's head approves/);
    listed = (await uso('sharing', 'list', OPEN, '--json')).json() as typeof listed;
    expect(listed[0]!.state).toBe('declined');
    const actions = (
      await ctx.store.db
        .collection('audit')
        .find({ action: /^sharing\./ })
        .toArray()
    ).map((e) => `${e.action} ${e.dfeNumber}`);
    expect(actions).toEqual([`sharing.approved ${OPEN}`, `sharing.approved ${CLOSED}`, `sharing.declined ${OPEN}`]);
  });
});
