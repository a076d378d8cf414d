// The service's fixed vocabularies: audit actions (subscribers' event names come from them), run outcomes, the MIS
// a school may be on, and the settings a new school starts with (as the README and the seed give them).
import { describe, expect, it } from 'vitest';
import { AUDIT_ACTIONS } from '../../src/domain/audit-actions.js';
import { KNOWN_MIS, PERSON_FIELDS, defaultSchoolSettings } from '../../src/domain/model.js';
import { outcomes } from '../../src/domain/outcomes.js';
import { reportNames } from '../../src/domain/records.js';

const unique = (list: readonly string[]) => new Set(list).size === list.length;

describe('vocabularies', () => {
  it('audit actions are subject.verb, each once', () => {
    expect(AUDIT_ACTIONS.length).toBeGreaterThan(40);
    for (const action of AUDIT_ACTIONS) expect(action).toMatch(/^[a-z]+\.[a-z_]+$/);
    expect(unique(AUDIT_ACTIONS)).toBe(true);
    for (const a of ['account.created', 'account.unallocated', 'account.restored', 'person.erased', 'run.finished'])
      expect(AUDIT_ACTIONS).toContain(a);
  });

  it('run outcomes, each once, in snake case', () => {
    expect(outcomes).toHaveLength(11);
    for (const o of outcomes) expect(o).toMatch(/^[a-z]+(_[a-z]+)*$/);
    expect(unique(outcomes)).toBe(true);
    for (const o of ['created', 'held_for_matching', 'future_starter', 'held_unallocation', 'invalid'] as const)
      expect(outcomes).toContain(o);
  });

  it('the MIS a school may be on, Integris first and a catch-all last', () => {
    expect(KNOWN_MIS[0]).toBe('integris');
    expect(KNOWN_MIS.at(-1)).toBe('other');
    for (const mis of KNOWN_MIS) expect(mis).toMatch(/^[a-z]+(-[a-z]+)*$/);
    expect(unique(KNOWN_MIS)).toBe(true);
    for (const mis of ['sims', 'arbor', 'bromcom', 'scholarpack']) expect(KNOWN_MIS).toContain(mis);
  });

  it('the person fields and the five Datashare reports', () => {
    expect(PERSON_FIELDS).toHaveLength(10);
    expect(unique(PERSON_FIELDS)).toBe(true);
    expect(reportNames).toEqual(['students', 'staff', 'contacts', 'groups', 'attendance']);
  });

  it("a new school's settings: the seed's 10% leaver threshold, no grace, accounts on the start date", () => {
    expect(defaultSchoolSettings).toEqual({
      unallocationThresholdPercent: 10,
      heldChangesMin: 5,
      updateThresholdPercent: 75,
      graceDays: 0,
      preProvisionDays: 0,
      usernameFrom: 'preferred',
      paused: false,
      exportTime: '18:00',
      attendanceRetentionDays: 35,
      leaverVisibleDays: 365,
      laPreApproval: true,
    });
  });
});
