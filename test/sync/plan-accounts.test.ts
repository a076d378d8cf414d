// How the plan shapes one account, rule by rule: which registration gives an account its details, an MIS
// association as the export has it, an account linked to a person (and when that is a move), comparing stored
// values, and what becomes of a new account that lost its identity to one made meanwhile.
import { describe, expect, it } from 'vitest';
import {
  detailsComeFrom,
  linkAccount,
  misAssociation,
  sameJson,
  settleLostCreate,
} from '../../src/sync/plan-accounts.js';
import type { Association } from '../../src/domain/model.js';
import { linkedAccount, manualAccount, pupil, school } from '../helpers/people.js';

const here = school('2092000');
const there = school('2092001');
const NOW = '2026-12-07T18:00:00.000Z';

const mis = (dfeNumber: string, extra: Partial<Association> = {}): Association => ({
  dfeNumber,
  laCode: '209',
  role: 'pupil',
  status: 'active',
  source: 'mis',
  misPersonId: `P-${dfeNumber}`,
  since: '2024-09-01',
  ...extra,
});

describe('which registration gives an account its details', () => {
  it('the main or single registration before a subsidiary or guest one, whatever the order', () => {
    for (const [lead, other] of [
      ['C', 'S'],
      ['M', 'G'],
      ['S', 'G'],
    ] as const) {
      const a = {
        associations: [
          mis(there.dfeNumber, { enrolmentStatus: other }),
          mis(here.dfeNumber, { enrolmentStatus: lead }),
        ],
      };
      expect(detailsComeFrom(a, here.dfeNumber), `${lead} over ${other}`).toBe(true);
      expect(detailsComeFrom(a, there.dfeNumber), `${lead} over ${other}`).toBe(false);
    }
  });

  it('then the longest-standing, then the lowest DfE number', () => {
    const older = {
      associations: [mis(here.dfeNumber, { since: '2025-01-01' }), mis(there.dfeNumber, { since: '2024-01-01' })],
    };
    expect(detailsComeFrom(older, there.dfeNumber)).toBe(true);
    expect(detailsComeFrom(older, here.dfeNumber)).toBe(false);
    const tie = { associations: [mis(there.dfeNumber), mis(here.dfeNumber)] };
    expect(detailsComeFrom(tie, here.dfeNumber)).toBe(true);
    expect(detailsComeFrom(tie, there.dfeNumber)).toBe(false);
  });

  it('only active MIS registrations count; with none, any school may', () => {
    const ended = {
      associations: [mis(here.dfeNumber, { status: 'ended' }), mis(there.dfeNumber, { since: '2025-01-01' })],
    };
    expect(detailsComeFrom(ended, there.dfeNumber)).toBe(true);
    const byHand = {
      associations: [mis(here.dfeNumber, { source: 'manual' }), mis(there.dfeNumber, { since: '2025-01-01' })],
    };
    expect(detailsComeFrom(byHand, there.dfeNumber)).toBe(true);
    expect(detailsComeFrom({ associations: [] }, here.dfeNumber)).toBe(true);
  });
});

describe('an MIS association as the export has it', () => {
  it('active, or ended on the leaving day; classes only when there are some', () => {
    const p = pupil({ personId: 'A1', startDate: '2023-09-05', registrationGroup: '5B' });
    expect(misAssociation(here, p, undefined, '2026-12-07')).toEqual({
      dfeNumber: here.dfeNumber,
      laCode: '209',
      role: 'pupil',
      status: 'active',
      source: 'mis',
      misPersonId: 'A1',
      since: '2023-09-05',
      seenAt: '2026-12-07',
      enrolmentStatus: 'C',
      yearGroup: '6',
      registrationGroup: '5B',
    });
    const left = misAssociation(
      here,
      p,
      mis(here.dfeNumber, { seenAt: '2025-01-01', movedInAt: NOW }),
      '2026-12-07',
      '2026-11-30',
    );
    expect(left).toMatchObject({ status: 'ended', until: '2026-11-30', seenAt: '2025-01-01', movedInAt: NOW });
    const noGroups = { ...p, association: { ...p.association, groups: [] as string[] } };
    expect(misAssociation(here, noGroups, undefined, '2026-12-07')).not.toHaveProperty('groups');
    expect(misAssociation(here, noGroups, undefined, '2026-12-07')).not.toHaveProperty('until');
  });
});

describe('an account linked to a person', () => {
  it('is a move when the account is active elsewhere or was unallocated, not when a request here becomes the MIS one', () => {
    const p = pupil({ personId: 'L1', legalForename: 'Nia', legalSurname: 'Evans' });
    const elsewhere = linkedAccount('nia.there', p, there);
    linkAccount(elsewhere, here, misAssociation(here, p, undefined, '2026-12-07'), p.fields, NOW);
    expect(elsewhere.latestMoveOrCreateAt).toBe(NOW);
    expect(elsewhere.associations.find((x) => x.dfeNumber === here.dfeNumber)).toMatchObject({ movedInAt: NOW });

    const gone = { ...linkedAccount('nia.gone', p, there, { status: 'ended' }), status: 'unallocated' as const };
    linkAccount(gone, here, misAssociation(here, p, undefined, '2026-12-07'), p.fields, NOW);
    expect(gone.latestMoveOrCreateAt).toBe(NOW);
    expect(gone.status).toBe('active');

    const requested = manualAccount('nia.asked', { at: here, legalForename: 'Nia', legalSurname: 'Evans' });
    const before = requested.latestMoveOrCreateAt;
    linkAccount(requested, here, misAssociation(here, p, undefined, '2026-12-07'), p.fields, NOW);
    expect(requested.latestMoveOrCreateAt).toBe(before);
    expect(requested.associations).toEqual([
      expect.objectContaining({ source: 'mis', misPersonId: 'L1', movedInAt: before }),
    ]);
  });

  it('takes the person details only where this school leads', () => {
    const p = pupil({ personId: 'L2', legalForename: 'Nia', legalSurname: 'Evans-Price' });
    const main = linkedAccount('nia.main', pupil({ legalForename: 'Nia', legalSurname: 'Evans' }), there, {
      enrolmentStatus: 'M',
      since: '2020-01-01',
    });
    linkAccount(
      main,
      here,
      misAssociation(here, { ...p, association: { ...p.association, enrolmentStatus: 'S' } }, undefined, '2026-12-07'),
      p.fields,
      NOW,
    );
    expect(main.legalSurname).toBe('Evans');
  });
});

describe('comparing stored values', () => {
  it('dates with their ISO text, arrays by order, objects ignoring absent keys', () => {
    const d = new Date(NOW);
    expect(sameJson(d, new Date(NOW))).toBe(true);
    expect(sameJson(d, NOW)).toBe(true);
    expect(sameJson(NOW, d)).toBe(true);
    expect(sameJson(d, new Date('2026-12-08T00:00:00Z'))).toBe(false);
    expect(sameJson(d, '2026-12-08')).toBe(false);
    expect(sameJson([1, 2], [1, 2])).toBe(true);
    expect(sameJson([1, 2], [2, 1])).toBe(false);
    expect(sameJson([1], [1, 2])).toBe(false);
    expect(sameJson([1], { 0: 1 })).toBe(false);
    expect(sameJson({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(sameJson({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(sameJson({ a: 1 }, null)).toBe(false);
    expect(sameJson('x', 'x')).toBe(true);
    expect(sameJson(1, '1')).toBe(false);
  });
});

describe('a new account that lost its identity to one made meanwhile', () => {
  const p = pupil({ personId: 'N1', legalForename: 'Ola', legalSurname: 'Nowak', dateOfBirth: '2015-03-03' });
  const create = {
    personId: 'N1',
    usernameBase: 'ola.nowak',
    account: {
      kind: 'pupil' as const,
      legalForename: 'Ola',
      legalSurname: 'Nowak',
      dateOfBirth: '2015-03-03',
      associations: [misAssociation(here, p, undefined, '2026-12-07')],
      status: 'active' as const,
      createdAt: NOW,
      updatedAt: NOW,
      latestMoveOrCreateAt: NOW,
      version: 0,
    },
  };

  it('is linked to the holder when it is certainly the same person and free here', () => {
    const holder = linkedAccount(
      'ola.there',
      pupil({ legalForename: 'Ola', legalSurname: 'Nowak', dateOfBirth: '2015-03-03' }),
      there,
    );
    const settled = settleLostCreate(here, create, holder, NOW);
    expect(settled.kind).toBe('link');
    if (settled.kind !== 'link') return;
    expect(settled.after.associations.map((x) => x.dfeNumber).sort()).toEqual([here.dfeNumber, there.dfeNumber].sort());
    expect(settled.after.updatedAt).toBe(NOW);
    expect(holder.associations).toHaveLength(1); // the holder as read is not changed
  });

  it('is held beside the holder when the holder is linked to someone else here, or only alike', () => {
    const taken = linkedAccount(
      'ola.here',
      pupil({ personId: 'OTHER', legalForename: 'Ola', legalSurname: 'Nowak', dateOfBirth: '2015-03-03' }),
      here,
    );
    const held = settleLostCreate(here, create, taken, NOW);
    expect(held).toMatchObject({
      kind: 'hold',
      match: {
        personId: 'N1',
        report: 'students',
        startDate: p.startDate,
        candidates: [expect.objectContaining({ username: 'ola.here' })],
      },
    });
    const alike = linkedAccount(
      'ola.alike',
      pupil({ legalForename: 'Ola', legalSurname: 'Nowack', dateOfBirth: '2015-03-03' }),
      there,
    );
    expect(settleLostCreate(here, create, alike, NOW).kind).toBe('hold');
  });

  it('is kept when the holder is not alike at all, or the create has no association here', () => {
    const stranger = linkedAccount(
      'zed.other',
      pupil({ legalForename: 'Zed', legalSurname: 'Other', dateOfBirth: '2011-01-01' }),
      there,
    );
    expect(settleLostCreate(here, create, stranger, NOW)).toEqual({ kind: 'keep' });
    expect(settleLostCreate(there, create, linkedAccount('ola.x', p, there), NOW)).toEqual({ kind: 'keep' });
  });
});
