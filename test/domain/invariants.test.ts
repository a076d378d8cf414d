import { describe, expect, it } from 'vitest';
import { IdentityCheck, VIOLATION_WORDS, schoolsOfViolation } from '../../src/domain/invariants.js';
import {
  accountStatus,
  defaultSchoolSettings,
  detailsOf,
  mergeSettings,
  movedInAt,
  newAccount,
  type Association,
} from '../../src/domain/model.js';

const mis = (dfeNumber: string, misPersonId: string, extra: Partial<Association> = {}): Association => ({
  dfeNumber,
  laCode: dfeNumber.slice(0, 3),
  role: 'pupil',
  status: 'active',
  source: 'mis',
  misPersonId,
  since: '2020-09-03',
  ...extra,
});

describe('identity invariants over the LA', () => {
  it('finds nothing wrong in accounts that keep the rules', () => {
    const check = new IdentityCheck();
    check.add({ username: 'a', upn: 'B801200005001', associations: [mis('8012000', 'S1'), mis('8012001', 'S1')] });
    check.add({ username: 'b', upn: 'C801200005002', associations: [mis('8012000', 'S2')] });
    check.add({ username: 'c', associations: [mis('8012000', 'S3')] });
    expect(check.violations()).toEqual([]);
    expect(check.accounts).toBe(3);
  });

  it('one UPN on two accounts, whatever its case and spaces, with the schools of both', () => {
    const check = new IdentityCheck();
    check.add({ username: 'b', upn: 'B801200005001', associations: [mis('8012001', 'S9'), mis('8012001', 'S9')] });
    check.add({ username: 'a', upn: ' b801200005001', associations: [mis('8012000', 'S1')] });
    check.add({ username: 'c', upn: '  ', associations: [] });
    check.add({ username: 'd', upn: '', associations: [] });
    expect(check.violations()).toEqual([
      { kind: 'upn_on_two_accounts', usernames: ['a', 'b'], schools: ['8012000', '8012001'] },
    ]);
  });

  it('the same account read twice is not two accounts', () => {
    const check = new IdentityCheck();
    const a = { username: 'a', upn: 'B801200005001', associations: [mis('8012000', 'S1')] };
    check.add(a);
    check.add(a);
    expect(check.violations()).toEqual([]);
  });

  it('an account carrying two active MIS persons of one school', () => {
    const check = new IdentityCheck();
    check.add({ username: 'a', associations: [mis('8012000', 'S2'), mis('8012000', 'S1'), mis('8012001', 'S1')] });
    expect(check.violations()).toEqual([
      { kind: 'two_mis_persons_one_school', dfeNumber: '8012000', usernames: ['a'], misPersonIds: ['S1', 'S2'] },
    ]);
  });

  it('ended, manual and id-less associations claim no MIS person', () => {
    const check = new IdentityCheck();
    check.add({
      username: 'a',
      associations: [
        mis('8012000', 'S1'),
        mis('8012000', 'S2', { status: 'ended' }),
        mis('8012000', 'S3', { source: 'manual' }),
        mis('8012000', '', {}),
      ],
    });
    check.add({ username: 'b', associations: [mis('8012000', 'S2', { status: 'ended' })] });
    check.add({ username: 'c', associations: [mis('8012000', 'S3', { source: 'manual' })] });
    expect(check.violations()).toEqual([]);
  });

  it('one MIS person of a school on two accounts; the same id at another school is another person', () => {
    const check = new IdentityCheck();
    check.add({ username: 'b', associations: [mis('8012000', 'S1')] });
    check.add({ username: 'a', associations: [mis('8012000', 'S1')] });
    check.add({ username: 'c', associations: [mis('8012001', 'S1')] });
    expect(check.violations()).toEqual([
      { kind: 'mis_person_on_two_accounts', dfeNumber: '8012000', misPersonId: 'S1', usernames: ['a', 'b'] },
    ]);
  });

  it('names the schools a violation concerns, and says what it is without personal data', () => {
    expect(
      schoolsOfViolation({ kind: 'upn_on_two_accounts', usernames: ['a', 'b'], schools: ['8012000', '8012001'] }),
    ).toEqual(['8012000', '8012001']);
    expect(
      schoolsOfViolation({
        kind: 'mis_person_on_two_accounts',
        dfeNumber: '8012000',
        misPersonId: 'S1',
        usernames: [],
      }),
    ).toEqual(['8012000']);
    expect(Object.keys(VIOLATION_WORDS).sort()).toEqual(
      ['mis_person_on_two_accounts', 'two_mis_persons_one_school', 'upn_on_two_accounts'].sort(),
    );
    for (const words of Object.values(VIOLATION_WORDS)) expect(words).toMatch(/^one /);
  });
});

describe('account shapes', () => {
  it('is unallocated once no association is active', () => {
    expect(accountStatus([mis('8012000', 'S1')])).toBe('active');
    expect(accountStatus([mis('8012000', 'S1', { status: 'ended' }), mis('8012001', 'S1')])).toBe('active');
    expect(accountStatus([mis('8012000', 'S1', { status: 'ended' })])).toBe('unallocated');
    expect(accountStatus([])).toBe('unallocated');
  });

  it('a new account is active, at version 0, made and moved now', () => {
    const made = newAccount({ kind: 'pupil', legalForename: 'A', legalSurname: 'B' }, [mis('8012000', 'S1')], 'T');
    expect(made).toEqual({
      kind: 'pupil',
      legalForename: 'A',
      legalSurname: 'B',
      associations: [mis('8012000', 'S1')],
      status: 'active',
      createdAt: 'T',
      updatedAt: 'T',
      latestMoveOrCreateAt: 'T',
      version: 0,
    });
  });

  it("keeps an account's person details, only those it has", () => {
    const details = detailsOf({
      legalForename: 'A',
      legalSurname: 'B',
      middleNames: undefined,
      preferredForename: 'Al',
      preferredSurname: undefined,
      dateOfBirth: '2015-01-01',
      gender: undefined,
      upn: 'U',
      email: undefined,
      title: 'Mx',
    });
    expect(details).toEqual({
      legalForename: 'A',
      legalSurname: 'B',
      preferredForename: 'Al',
      dateOfBirth: '2015-01-01',
      upn: 'U',
      title: 'Mx',
    });
    expect(Object.keys(details)).not.toContain('middleNames');
  });

  it('settings fill in from the defaults', () => {
    expect(mergeSettings(undefined)).toEqual(defaultSchoolSettings);
    expect(mergeSettings({})).toEqual(defaultSchoolSettings);
    expect(mergeSettings({ graceDays: 5 })).toEqual({ ...defaultSchoolSettings, graceDays: 5 });
    expect(mergeSettings({ heldChangesMin: 0 }).heldChangesMin).toBe(0);
  });

  it('reads the latest move or create of the school asked about, active association first', () => {
    const account = {
      latestMoveOrCreateAt: 'account',
      associations: [
        mis('8012000', 'S1', { status: 'ended', movedInAt: 'old' }),
        mis('8012000', 'S1', { status: 'ended', movedInAt: 'older-still' }),
        mis('8012001', 'S1', { movedInAt: 'other-school' }),
      ],
    };
    expect(movedInAt(account, '8012001')).toBe('other-school');
    // No active association here: the last one recorded.
    expect(movedInAt(account, '8012000')).toBe('older-still');
    const back = { ...account, associations: [...account.associations, mis('8012000', 'S1', { movedInAt: 'back' })] };
    expect(movedInAt({ ...back, associations: [back.associations[3]!, ...account.associations] }, '8012000')).toBe(
      'back',
    );
    // Kept before schools had their own stamp: the account's.
    expect(movedInAt({ ...account, associations: [mis('8012002', 'S1')] }, '8012002')).toBe('account');
    expect(movedInAt(account, '9999999')).toBe('account');
  });
});
