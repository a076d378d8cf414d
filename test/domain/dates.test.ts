import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  academicYearStart,
  addDays,
  daysBetween,
  isWeekday,
  todayIn,
  weekdaysBetween,
} from '../../src/domain/dates.js';

const isoDate = fc
  .date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2060-12-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));

describe('calendar dates', () => {
  it('adds days across month, year and leap-day ends', () => {
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2023-02-28', 1)).toBe('2023-03-01');
    expect(addDays('2024-12-31', 1)).toBe('2025-01-01');
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
    expect(addDays('2025-01-15', 0)).toBe('2025-01-15');
    expect(addDays('2025-01-15', 30)).toBe('2025-02-14');
  });

  it('counts days between dates, negative when the second is earlier, whole across clock changes', () => {
    expect(daysBetween('2025-01-01', '2025-01-01')).toBe(0);
    expect(daysBetween('2025-01-01', '2025-01-02')).toBe(1);
    expect(daysBetween('2025-01-02', '2025-01-01')).toBe(-1);
    expect(daysBetween('2024-01-01', '2025-01-01')).toBe(366);
    expect(daysBetween('2025-03-29', '2025-03-31')).toBe(2);
  });

  it('addDays and daysBetween undo each other', () => {
    fc.assert(
      fc.property(isoDate, fc.integer({ min: -800, max: 800 }), (date, n) => {
        expect(daysBetween(date, addDays(date, n))).toBe(n);
      }),
    );
  });

  it('knows Monday to Friday from the weekend', () => {
    // 2025-12-01 is a Monday.
    const days = Array.from({ length: 7 }, (_, i) => isWeekday(addDays('2025-12-01', i)));
    expect(days).toEqual([true, true, true, true, true, false, false]);
  });

  it('starts the academic year in September', () => {
    expect(academicYearStart('2025-08-31')).toBe(2024);
    expect(academicYearStart('2025-09-01')).toBe(2025);
    expect(academicYearStart('2025-12-31')).toBe(2025);
    expect(academicYearStart('2026-01-01')).toBe(2025);
    expect(academicYearStart('2026-07-20')).toBe(2025);
  });

  it('counts the school days strictly between two dates', () => {
    // Friday to the next Monday: nothing in between is a school day.
    expect(weekdaysBetween('2025-12-05', '2025-12-08')).toBe(0);
    // Monday to Friday: Tuesday, Wednesday, Thursday.
    expect(weekdaysBetween('2025-12-01', '2025-12-05')).toBe(3);
    // Monday to the next Monday: Tuesday to Friday.
    expect(weekdaysBetween('2025-12-01', '2025-12-08')).toBe(4);
    // Friday to the Monday after next: the whole week between.
    expect(weekdaysBetween('2025-12-05', '2025-12-15')).toBe(5);
    expect(weekdaysBetween('2025-12-01', '2025-12-02')).toBe(0);
    expect(weekdaysBetween('2025-12-01', '2025-12-01')).toBe(0);
    expect(weekdaysBetween('2025-12-08', '2025-12-01')).toBe(0);
  });

  it('a whole week between two dates always holds five school days', () => {
    fc.assert(
      fc.property(isoDate, fc.integer({ min: 0, max: 20 }), (date, weeks) => {
        const gap = weekdaysBetween(addDays(date, -1), addDays(date, weeks * 7));
        expect(gap).toBe(weeks * 5);
      }),
    );
  });

  it("takes today in the school's time zone, not the server's", () => {
    const lateUtc = new Date('2025-06-30T23:30:00Z');
    expect(todayIn('Europe/London', lateUtc)).toBe('2025-07-01');
    expect(todayIn('UTC', lateUtc)).toBe('2025-06-30');
    const winter = new Date('2025-12-31T23:30:00Z');
    expect(todayIn('Europe/London', winter)).toBe('2025-12-31');
    expect(todayIn('UTC')).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });
});
