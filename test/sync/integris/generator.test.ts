import { describe, expect, it } from 'vitest';
import { academicYearStart } from '../../../src/domain/dates.js';
import { ageOneNight, generateLocalAuthority } from '../../../src/sync/integris/sim/generator.js';
import { type ChangeKind } from '../../../src/sync/integris/sim/types.js';
import { isValidUpn } from '../../../src/domain/upn.js';

describe('synthetic local authority', () => {
  const la = generateLocalAuthority({ seed: 42, schools: 30 });

  it('is deterministic for a seed and differs between seeds', () => {
    expect(JSON.stringify(generateLocalAuthority({ seed: 42, schools: 30 }))).toBe(JSON.stringify(la));
    expect(generateLocalAuthority({ seed: 43, schools: 2 }).schools[0]!.students[0]).not.toEqual(
      la.schools[0]!.students[0],
    );
  });

  it('makes realistic schools: sizes, staffing, DfE numbers and UPNs', () => {
    expect(la.schools).toHaveLength(30);
    const dfes = new Set(la.schools.map((s) => s.dfeNumber));
    expect(dfes.size).toBe(30);
    const upns = new Set<string>();
    for (const s of la.schools) {
      expect(s.dfeNumber).toMatch(/^209\d{4}$/);
      const pupils = s.students.filter((p) => p.enrolmentStatus !== 'S').length;
      if (s.phase === 'primary') expect(pupils).toBeGreaterThanOrEqual(190);
      if (s.phase === 'primary') expect(pupils).toBeLessThanOrEqual(470);
      if (s.phase === 'secondary') expect(pupils).toBeGreaterThanOrEqual(880);
      if (s.phase === 'secondary') expect(pupils).toBeLessThanOrEqual(1650);
      expect(s.staff.length).toBeGreaterThanOrEqual(Math.floor(pupils / 14));
      for (const p of s.students) {
        expect(isValidUpn(p.upn!)).toBe(true);
        if (p.enrolmentStatus !== 'S') {
          expect(upns.has(p.upn!)).toBe(false);
          upns.add(p.upn!);
        }
      }
      expect(s.groups.some((g) => g.type === 'registration')).toBe(true);
      expect(s.contacts.some((c) => c.relationships.some((r) => r.priority === undefined))).toBe(true);
      expect(s.attendance.length).toBeGreaterThan(0);
    }
    expect(la.schools.filter((s) => s.phase === 'secondary').length).toBeGreaterThan(4);
  });

  it('gives each pupil a year group that fits their date of birth', () => {
    const start = academicYearStart(la.today);
    for (const p of la.schools[0]!.students) {
      const year = p.yearGroup === 'R' ? 0 : Number(p.yearGroup);
      const born = Number(p.dateOfBirth.slice(0, 4)) + (Number(p.dateOfBirth.slice(5, 7)) >= 9 ? 1 : 0);
      expect(start - born - year).toBe(4);
    }
  });

  it('keeps names of varied origins with accents, apostrophes and hyphens', () => {
    const names = la.schools.flatMap((s) => s.students.map((p) => `${p.legalForename} ${p.legalSurname}`));
    expect(names.some((n) => /[À-ž]/.test(n))).toBe(true);
    expect(names.some((n) => n.includes("'"))).toBe(true);
    expect(names.some((n) => /\w-\w/.test(n))).toBe(true);
  });

  it('ages one night with every kind of change, deterministically', () => {
    const a = generateLocalAuthority({ seed: 5, schools: 30 });
    const b = generateLocalAuthority({ seed: 5, schools: 30 });
    const changes = ageOneNight(a);
    expect(ageOneNight(b)).toEqual(changes);
    const kinds = new Set(changes.map((c) => c.kind));
    const expected: ChangeKind[] = [
      'leaver',
      'staff_leaver',
      'new_starter',
      'future_starter',
      'name_change',
      'class_change',
      'moved_school',
      'returning_pupil',
      'twins',
      'staff_second_school',
    ];
    for (const kind of expected) expect(kinds, kind).toContain(kind);
    const moved = changes.find((c) => c.kind === 'moved_school')!;
    const arrived = a.schools
      .find((s) => s.dfeNumber === moved.dfeNumber)!
      .students.find((p) => p.personId === moved.personId)!;
    const left = a.schools.find((s) => s.dfeNumber === moved.otherDfeNumber)!;
    expect(left.students.some((p) => p.upn === arrived.upn)).toBe(false);
    const twins = changes
      .filter((c) => c.kind === 'twins')
      .map((c) => a.schools.find((s) => s.dfeNumber === c.dfeNumber)!.students.find((p) => p.personId === c.personId)!);
    expect(twins[0]!.dateOfBirth).toBe(twins[1]!.dateOfBirth);
    expect(twins[0]!.legalSurname).toBe(twins[1]!.legalSurname);
    expect(twins[0]!.legalForename).not.toBe(twins[1]!.legalForename);
  });
});
