// Chat-agnostic actions against the store: who may act, link codes, views, stale decisions.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createLinkCode,
  grantRole,
  redeemLinkCode,
  roleAt,
  schoolOfConversation,
  type Actor,
} from '../../src/bot/access.js';
import { createNew, listMatches, match, status } from '../../src/bot/actions.js';
import { approveHeldChanges } from '../../src/bot/held-actions.js';
import { upsertSchool } from '../../src/store/schools.js';
import { render } from '../../src/bot/views/blocks.js';
import { renderCard } from '../../src/bot/views/cards.js';
import { generateLocalAuthority } from '../../src/sync/integris/sim/generator.js';
import { syncSchool } from '../../src/sync/process.js';
import type { ExportFile } from '../../src/domain/records.js';
import { captureLogger } from '../helpers/log.js';
import { useTestStore } from '../helpers/store.js';

const ctx = useTestStore();
const la = generateLocalAuthority({ seed: 33, schools: 2, sizeFactor: 0.2 });
const [school, sister] = la.schools as [(typeof la.schools)[0], (typeof la.schools)[0]];
const operator: Actor = { platform: 'cli', userId: 'ops', displayName: 'cli:ops' };
const head: Actor = { platform: 'slack', workspace: 'T1', userId: 'UHEAD', displayName: 'Head' };
const contact: Actor = { platform: 'slack', workspace: 'T1', userId: 'UCONTACT', displayName: 'Contact' };
const stranger: Actor = { platform: 'slack', workspace: 'T1', userId: 'USTRANGER', displayName: 'Stranger' };
const laAdmin: Actor = { platform: 'teams', workspace: 'tenant', userId: 'LA1', displayName: 'LA admin' };
let runId = '';

function file(s: typeof school, extra: unknown[] = []): ExportFile {
  const students = [...s.students, ...extra];
  return {
    dfeNumber: s.dfeNumber,
    exportedAt: `${la.today}T18:00:00Z`,
    source: 'integris',
    reports: { students, staff: s.staff },
    completeness: {
      students: { totalRecords: students.length, pages: 1 },
      staff: { totalRecords: s.staff.length, pages: 1 },
    },
  };
}

beforeAll(async () => {
  const db = ctx.store.db;
  for (const s of la.schools)
    await upsertSchool(db, {
      dfeNumber: s.dfeNumber,
      name: s.name,
      laCode: s.laCode,
      acceptedReports: ['students', 'staff'],
    });
  const deps = { db, logger: captureLogger().logger };
  await syncSchool(deps, school.dfeNumber, { trigger: 'file', file: file(school), today: la.today });
  await syncSchool(deps, sister.dfeNumber, { trigger: 'file', file: file(sister), today: la.today });
  const base = school.students[2]!;
  const lookalike = { ...base, personId: 'LOOK-1', legalSurname: `${base.legalSurname}s` };
  delete (lookalike as { upn?: string }).upn;
  // a look-alike to match, and a fifth of the school gone to hold
  const kept = school.students.slice(Math.ceil(school.students.length / 5));
  const run = await syncSchool(deps, school.dfeNumber, {
    trigger: 'file',
    file: { ...file({ ...school, students: kept }, [lookalike]) },
    today: la.today,
  });
  runId = run.runId;
});

describe('access', () => {
  it('links a conversation with a one-time code and makes the redeemer its head', async () => {
    const code = await createLinkCode(ctx.store.db, school.dfeNumber, operator);
    expect(code).toMatch(/^[A-Z2-9]{8}$/);
    const where = { platform: 'slack' as const, workspace: 'T1', conversation: 'C-school' };
    expect(await redeemLinkCode(ctx.store.db, code.toLowerCase(), head, where)).toBe(school.dfeNumber);
    expect(await schoolOfConversation(ctx.store.db, 'slack', 'T1', 'C-school')).toBe(school.dfeNumber);
    expect(await roleAt(ctx.store.db, head, school.dfeNumber)).toBe('head');
    await expect(redeemLinkCode(ctx.store.db, code, stranger, where)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('lets heads grant contacts, refuses everyone else with a reason', async () => {
    await expect(grantRole(ctx.store.db, stranger, school.dfeNumber, contact, 'contact')).rejects.toMatchObject({
      code: 'forbidden',
      message: expect.stringMatching(/Stranger is not an admin of school/),
    });
    await grantRole(ctx.store.db, head, school.dfeNumber, contact, 'contact');
    await expect(grantRole(ctx.store.db, contact, school.dfeNumber, stranger, 'contact')).rejects.toMatchObject({
      code: 'forbidden',
      message: expect.stringMatching(/only the school's head/),
    });
    await expect(grantRole(ctx.store.db, head, school.dfeNumber, laAdmin, 'la')).rejects.toMatchObject({
      code: 'forbidden',
    });
    await grantRole(ctx.store.db, operator, school.dfeNumber, laAdmin, 'la');
    expect(await roleAt(ctx.store.db, laAdmin, sister.dfeNumber)).toBe('la');
    await expect(status({ db: ctx.store.db }, stranger, school.dfeNumber)).rejects.toMatchObject({ code: 'forbidden' });
    await expect(status({ db: ctx.store.db }, contact, sister.dfeNumber)).rejects.toMatchObject({ code: 'forbidden' });
  });
});

describe('actions', () => {
  it('lists held people beside their candidates with reasons, dates of birth masked', async () => {
    const view = await listMatches({ db: ctx.store.db }, contact, school.dfeNumber);
    expect(view.kind).toBe('matches');
    if (view.kind !== 'matches') return;
    const held = view.matches.find((m) => m.personId === 'LOOK-1')!;
    expect(held.maskedDob).toMatch(/^xx\/xx\/\d{4}$/);
    expect(held.candidates[0]).toMatchObject({
      reasons: expect.arrayContaining(['same date of birth']),
      schools: [school.dfeNumber],
    });
    // from the store's full date of birth to what either platform is sent: the year only
    const [y, m, d] = school.students[2]!.dateOfBirth.split('-');
    for (const shown of [JSON.stringify(view), JSON.stringify(render(view)), JSON.stringify(renderCard(view))]) {
      expect(shown).not.toContain(`${y}-${m}-${d}`);
      expect(shown).not.toContain(`${d}/${m}/${y}`);
      expect(shown).toContain(`xx/xx/${y}`);
    }
  });

  it('lets a contact decide a person once; a second decision is stale, not a double change', async () => {
    const view = await createNew({ db: ctx.store.db }, contact, { dfeNumber: school.dfeNumber, personId: 'LOOK-1' });
    expect(view).toMatchObject({ kind: 'decided', decision: 'created', by: 'Contact', username: expect.any(String) });
    await expect(
      match({ db: ctx.store.db }, head, { dfeNumber: school.dfeNumber, personId: 'LOOK-1', username: 'someone' }),
    ).rejects.toMatchObject({
      code: 'stale_action',
      message: expect.stringMatching(/already created by slack:T1:UCONTACT/),
    });
  });

  it('keeps approval of held unallocations to heads and LA admins', async () => {
    await expect(approveHeldChanges({ db: ctx.store.db }, contact, runId)).rejects.toMatchObject({
      code: 'forbidden',
    });
    const view = await approveHeldChanges({ db: ctx.store.db }, laAdmin, runId);
    expect(view).toMatchObject({ kind: 'held_decided', decision: 'approved', by: 'LA admin' });
    if (view.kind === 'held_decided') expect(view.applied).toBeGreaterThan(0);
  });
});

describe('leavers still active at another school', () => {
  it('are listed with the school they are still at, and restorable from chat', async () => {
    const db = ctx.store.db;
    const { insertAccounts } = await import('../../src/store/account-inserts.js');
    const { actionDefs } = await import('../../src/bot/action-defs.js');
    const { listUnallocated } = await import('../../src/bot/actions.js');
    const { getAccount } = await import('../../src/store/accounts.js');
    const at = (s: typeof school, status: 'active' | 'ended') => ({
      dfeNumber: s.dfeNumber,
      laCode: s.laCode,
      role: 'pupil' as const,
      status,
      source: 'mis' as const,
      misPersonId: `DUAL-${s.dfeNumber}`,
      since: '2025-09-01',
      ...(status === 'ended' ? { until: '2026-11-30' } : {}),
    });
    await insertAccounts(db, [
      {
        username: 'dual.leaver',
        kind: 'pupil',
        legalForename: 'Dual',
        legalSurname: 'Leaver',
        associations: [at(school, 'ended'), at(sister, 'active')],
        status: 'active',
        createdAt: '2025-09-01T00:00:00Z',
        updatedAt: '2026-11-30T00:00:00Z',
        latestMoveOrCreateAt: '2025-09-01T00:00:00Z',
        version: 0,
      },
    ]);
    const listed = (await listUnallocated({ db }, operator, school.dfeNumber)) as Extract<
      Awaited<ReturnType<typeof listUnallocated>>,
      { kind: 'accounts' }
    >;
    const row = listed.accounts.find((a) => a.username === 'dual.leaver');
    expect(row).toMatchObject({ until: '2026-11-30', activeElsewhere: [sister.dfeNumber] });
    expect(JSON.stringify(render(listed))).toContain(`still active at ${sister.dfeNumber}`);
    expect(JSON.stringify(renderCard(listed))).toContain(`still active at ${sister.dfeNumber}`);
    await actionDefs.restore.run({ db }, operator, { d: school.dfeNumber, u: 'dual.leaver', c: 1 });
    const restored = await getAccount(db, 'dual.leaver');
    expect(
      restored!.associations
        .filter((x) => x.status === 'active')
        .map((x) => x.dfeNumber)
        .sort(),
    ).toEqual([school.dfeNumber, sister.dfeNumber].sort());
  });
});

describe('a change of MIS, from chat', () => {
  it('lets a head say the school has just moved to Integris from another MIS, though it is recorded as on Integris', async () => {
    const db = ctx.store.db;
    const { formFor, submitForm } = await import('../../src/bot/forms.js');
    const { getSchool } = await import('../../src/store/schools.js');
    expect((await getSchool(db, school.dfeNumber))!.mis).toBe('integris');
    const form = await formFor({ db }, head, { d: school.dfeNumber, form: 'settings' });
    const moved = form.fields.find((f) => f.name === 'movedFrom')!;
    expect(moved.label).toBe('The school has just moved to Integris from another MIS');
    expect(moved.options?.map((o) => o.value)).toEqual(expect.arrayContaining(['no', 'sims', 'arbor', 'other']));
    const values = Object.fromEntries(form.fields.map((f) => [f.name, f.initial ?? ''])) as Record<string, string>;
    await expect(
      submitForm({ db }, contact, 'settings', { d: school.dfeNumber }, { ...values, movedFrom: 'sims' }),
    ).rejects.toMatchObject({ code: 'forbidden' });
    await submitForm({ db }, head, 'settings', { d: school.dfeNumber }, { ...values, movedFrom: 'sims' });
    expect((await getSchool(db, school.dfeNumber))!.misChangePending).toMatchObject({ from: 'sims' });
    expect(
      await db.collection('audit').findOne({ action: 'school.mis_changed', dfeNumber: school.dfeNumber }),
    ).toMatchObject({
      detail: 'sims -> integris',
    });
  });

  it('records only a MIS it knows from the CLI', async () => {
    const { uso } = await import('../helpers/cli.js');
    const { inject } = await import('vitest');
    process.env.MONGODB_URI = `${inject('mongoUri').replace(/\/?$/, '/')}${ctx.store.db.databaseName}`;
    try {
      const refused = await uso('schools', 'set-mis', sister.dfeNumber, 'banana');
      expect(refused.code).toBe(2);
      expect(refused.err).toMatch(/MIS is one of integris, sims, arbor/);
      expect((await uso('schools', 'set-mis', sister.dfeNumber, 'Arbor')).code).toBe(0);
    } finally {
      delete process.env.MONGODB_URI;
    }
  });
});

describe('an exclusion of someone who has an account', () => {
  it('says so, naming the account and what to do, instead of only "added"', async () => {
    const db = ctx.store.db;
    const { addExclusionFor } = await import('../../src/bot/school-actions.js');
    const { accountsForSchool } = await import('../../src/store/accounts.js');
    const account = (await accountsForSchool(db, school.dfeNumber)).find((a) =>
      a.associations.some((x) => x.dfeNumber === school.dfeNumber && x.source === 'mis' && x.status === 'active'),
    )!;
    const done = await addExclusionFor({ db }, operator, {
      dfeNumber: school.dfeNumber,
      forename: account.legalForename.toUpperCase(),
      surname: account.legalSurname,
    });
    expect(done).toMatchObject({ kind: 'undone' });
    expect((done as { text: string }).text).toContain(
      `\`${account.username}\` already has an account here from the MIS: the list does not take it away`,
    );
    const nobody = await addExclusionFor({ db }, operator, {
      dfeNumber: school.dfeNumber,
      forename: 'Nobody',
      surname: 'Atall',
    });
    expect((nobody as { text: string }).text).toBe(
      'Nobody Atall is on the exclusion list: no account will be made for them.',
    );
  });
});
