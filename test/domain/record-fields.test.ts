// The contract's field rules one by one (shared/integris-datashare.md): dates, ids, names, codes and the export
// envelope, each accepted and refused at its edge.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  dfeNumberSchema,
  exportFileSchema,
  grantedSchoolSchema,
  isoDate,
  pageSchema,
  parseReport,
} from '../../src/domain/records.js';

const student = {
  personId: 'S1',
  legalForename: 'Amelia',
  legalSurname: 'Hughes',
  dateOfBirth: '2015-03-04',
  gender: 'F',
  admissionDate: '2020-09-03',
  enrolmentStatus: 'C',
};
const staff = {
  personId: 'T1',
  legalForename: 'Ruth',
  legalSurname: 'Okafor',
  roles: [{ role: 'Teacher', startDate: '2019-09-01' }],
  employmentStartDate: '2019-09-01',
};
const problems = (report: Parameters<typeof parseReport>[0], record: unknown) =>
  parseReport(report, [record]).invalid.map(({ field, reason }) => `${field}: ${reason}`);

describe('calendar dates in records', () => {
  it('knows month lengths and leap years', () => {
    const ok = (d: string) => isoDate.safeParse(d).success;
    expect(ok('2024-02-29')).toBe(true);
    expect(ok('2023-02-29')).toBe(false);
    expect(ok('2000-02-29')).toBe(true);
    expect(ok('1900-02-29')).toBe(false);
    expect(ok('2023-02-28')).toBe(true);
    for (const m of ['04', '06', '09', '11']) {
      expect(ok(`2025-${m}-30`)).toBe(true);
      expect(ok(`2025-${m}-31`)).toBe(false);
    }
    for (const m of ['01', '03', '05', '07', '08', '10', '12']) expect(ok(`2025-${m}-31`)).toBe(true);
    expect(ok('2025-01-32')).toBe(false);
    expect(ok('2025-00-10')).toBe(false);
    expect(ok('2025-13-10')).toBe(false);
    expect(ok('2025-12-00')).toBe(false);
    expect(ok('2025-01-01')).toBe(true);
    expect(ok('2025-12-01')).toBe(true);
    expect(ok('2025-1-01')).toBe(false);
    expect(ok('2025-01-01T00:00')).toBe(false);
    expect(ok(' 2025-01-01')).toBe(false);
  });

  it('agrees with the calendar on every day of four centuries of Februaries and month ends', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1600, max: 2400 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 31 }),
        (y, m, d) => {
          const text = `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
          const real = new Date(Date.UTC(y, m - 1, d)).getUTCDate() === d;
          expect(isoDate.safeParse(text).success).toBe(real);
        },
      ),
    );
  });

  it('says which is wrong: missing, not a date, or not a real day', () => {
    expect(problems('students', { ...student, dateOfBirth: undefined })).toEqual(['dateOfBirth: is required']);
    expect(problems('students', { ...student, dateOfBirth: 20150304 })).toEqual([
      'dateOfBirth: expected a date YYYY-MM-DD',
    ]);
    expect(problems('students', { ...student, dateOfBirth: '04/03/2015' })).toEqual([
      'dateOfBirth: expected a date YYYY-MM-DD',
    ]);
    expect(problems('students', { ...student, dateOfBirth: '2015-02-29' })).toEqual([
      'dateOfBirth: is not a real calendar date',
    ]);
  });
});

describe('student fields', () => {
  it('accepts the optional fields when they are right', () => {
    const full = {
      ...student,
      upn: 'B801200005001',
      middleNames: 'Rose',
      preferredForename: 'Millie',
      preferredSurname: 'Hughes-Smith',
      yearGroup: '10',
      registrationGroup: '10A',
      house: 'Red',
      leavingDate: '2026-07-20',
      email: 'amelia@example.org',
    };
    expect(parseReport('students', [full])).toEqual({ records: [full], invalid: [] });
  });

  it('year groups R, N1, N2 and 1 to 14 only', () => {
    for (const y of ['R', 'N1', 'N2', '1', '9', '10', '14'])
      expect(problems('students', { ...student, yearGroup: y })).toEqual([]);
    for (const y of ['0', '15', 'N3', 'r', '1A', ' 1', 'Y7'])
      expect(problems('students', { ...student, yearGroup: y })).toEqual(['yearGroup: expected R, N1, N2 or 1-14']);
  });

  it('names must have text; ids must not be empty; codes from their lists', () => {
    expect(problems('students', { ...student, legalForename: '  ' })).toEqual(['legalForename: is empty']);
    expect(problems('students', { ...student, legalSurname: undefined })).toEqual(['legalSurname: is required']);
    expect(problems('students', { ...student, legalSurname: 7 })).toEqual(['legalSurname: expected text']);
    expect(problems('students', { ...student, preferredForename: '' })).toEqual(['preferredForename: is empty']);
    expect(problems('students', { ...student, personId: '' })).toEqual(['personId: is empty']);
    expect(problems('students', { ...student, personId: 5 })).toEqual(['personId: expected a string id']);
    expect(problems('students', { ...student, personId: undefined })).toEqual(['personId: is required']);
    expect(problems('students', { ...student, gender: 'Q' })).toEqual(['gender: expected M, F, X or U']);
    for (const g of ['M', 'F', 'X', 'U']) expect(problems('students', { ...student, gender: g })).toEqual([]);
    expect(problems('students', { ...student, email: 'not-an-email' })).toEqual(['email: is not an email address']);
    expect(problems('students', { ...student, upn: 'B801200005002' })).toEqual([
      'upn: is not a valid UPN (format or check letter)',
    ]);
  });

  it('a record that is not an object is reported by its place in the report', () => {
    const { invalid } = parseReport('students', [student, null, 42]);
    expect(invalid.map((x) => x.id)).toEqual(['#1', '#2']);
    expect(invalid.every((x) => x.field === '(record)')).toBe(true);
    expect(parseReport('students', [{ ...student, personId: '', gender: 'Q' }]).invalid.map((x) => x.id)).toEqual([
      '#0',
      '#0',
    ]);
  });
});

describe('other reports', () => {
  it('staff: birth date and gender optional, roles dated', () => {
    expect(problems('staff', staff)).toEqual([]);
    expect(problems('staff', { ...staff, roles: [{ role: '', startDate: '2019-09-01' }] })).toHaveLength(1);
    expect(problems('staff', { ...staff, roles: [{ role: 'TA', startDate: '2019-02-30' }] })).toEqual([
      'roles.0.startDate: is not a real calendar date',
    ]);
    expect(parseReport('staff', [{ ...staff, personId: undefined }]).invalid[0]!.id).toBe('#0');
  });

  it('contacts, groups and attendance are keyed by their own ids', () => {
    const contact = { contactId: 'C1', forename: 'Jo', surname: 'Hughes', phones: [], relationships: [] };
    expect(problems('contacts', contact)).toEqual([]);
    expect(parseReport('contacts', [{ ...contact, forename: '' }]).invalid[0]).toMatchObject({ id: 'C1' });
    expect(
      problems('contacts', {
        ...contact,
        relationships: [{ studentPersonId: 'S1', relationship: 'Mother', priority: 0, parentalResponsibility: true }],
      }),
    ).toHaveLength(1);
    const group = {
      groupId: 'G1',
      name: '10A',
      type: 'registration',
      academicYear: '2025/26',
      staffPersonIds: [],
      studentPersonIds: ['S1'],
    };
    expect(problems('groups', group)).toEqual([]);
    expect(parseReport('groups', [{ ...group, type: 'club' }]).invalid[0]).toMatchObject({ id: 'G1', field: 'type' });
    const mark = { studentPersonId: 'S1', date: '2025-12-01', session: 'AM', mark: '/' };
    expect(problems('attendance', mark)).toEqual([]);
    expect(problems('attendance', { ...mark, mark: '//' })).toHaveLength(1);
    expect(problems('attendance', { ...mark, mark: '' })).toHaveLength(1);
    expect(problems('attendance', { ...mark, minutesLate: -1 })).toHaveLength(1);
    expect(parseReport('attendance', [{ ...mark, session: 'EVE' }]).invalid[0]).toMatchObject({ id: 'S1' });
  });
});

describe('the envelope', () => {
  it('DfE numbers are seven digits', () => {
    expect(dfeNumberSchema.safeParse('8012000').success).toBe(true);
    for (const bad of ['801200', '80120001', '801200A', ' 8012000'])
      expect(dfeNumberSchema.safeParse(bad).success).toBe(false);
    expect(dfeNumberSchema.safeParse(undefined).error?.issues[0]?.message).toBe('a DfE number is required');
    expect(dfeNumberSchema.safeParse('12').error?.issues[0]?.message).toBe('expected a 7-digit DfE number');
  });

  it('granted schools, pages and export files', () => {
    const granted = { dfeNumber: '8012000', name: 'A', laCode: '801', grantedAt: 'x', permissions: ['students'] };
    expect(grantedSchoolSchema.safeParse(granted).success).toBe(true);
    expect(grantedSchoolSchema.safeParse({ ...granted, laCode: '80' }).success).toBe(false);
    expect(grantedSchoolSchema.safeParse({ ...granted, name: '' }).success).toBe(false);
    expect(grantedSchoolSchema.safeParse({ ...granted, permissions: ['marks'] }).success).toBe(false);
    const meta = { page: 1, pageSize: 100, totalRecords: 0, totalPages: 0 };
    expect(pageSchema.safeParse({ data: [], meta }).success).toBe(true);
    expect(pageSchema.safeParse({ data: [], meta: { ...meta, page: 0 } }).success).toBe(false);
    expect(pageSchema.safeParse({ data: [], meta: { ...meta, pageSize: 0 } }).success).toBe(false);
    expect(pageSchema.safeParse({ data: [], meta: { ...meta, totalRecords: -1 } }).success).toBe(false);
    const file = {
      dfeNumber: '8012000',
      exportedAt: '2025-12-01T18:00:00+00:00',
      source: 'integris',
      reports: { students: [] },
      completeness: { students: { totalRecords: 0, pages: 0 } },
    };
    expect(exportFileSchema.safeParse(file).success).toBe(true);
    expect(exportFileSchema.safeParse({ ...file, source: 'sims' }).success).toBe(false);
    expect(exportFileSchema.safeParse({ ...file, exportedAt: '2025-12-01' }).success).toBe(false);
    expect(
      exportFileSchema.safeParse({ ...file, completeness: { marks: { totalRecords: 0, pages: 0 } } }).success,
    ).toBe(false);
  });
});

describe('codes from their lists, one by one', () => {
  it('enrolment statuses C, M, S and G', () => {
    for (const status of ['C', 'M', 'S', 'G'])
      expect(problems('students', { ...student, enrolmentStatus: status })).toEqual([]);
    expect(problems('students', { ...student, enrolmentStatus: '' })).toEqual([
      'enrolmentStatus: expected enrolment status C, M, S or G',
    ]);
  });

  it('group types, and e-mail addresses of staff and contacts', () => {
    const group = { groupId: 'G1', name: '10A', academicYear: '2025/26', staffPersonIds: [], studentPersonIds: [] };
    for (const type of ['registration', 'teaching', 'year', 'house', 'other'])
      expect(problems('groups', { ...group, type })).toEqual([]);
    expect(problems('groups', { ...group, type: '' })).toHaveLength(1);
    expect(problems('staff', { ...staff, email: 'nope' })).toEqual(['email: is not an email address']);
    expect(problems('staff', { ...staff, email: 'ruth@example.org' })).toEqual([]);
    const contact = { contactId: 'C1', forename: 'Jo', surname: 'Hughes', phones: [], relationships: [] };
    expect(problems('contacts', { ...contact, email: 'nope' })).toEqual(['email: is not an email address']);
    expect(problems('contacts', { ...contact, phones: [{ type: 'mobile' }] })).toHaveLength(1);
    expect(problems('contacts', { ...contact, phones: [{ type: 'mobile', number: '07700 900000' }] })).toEqual([]);
  });

  it('a bad staff record is reported by its personId, a bad record without one by its place', () => {
    expect(parseReport('staff', [{ ...staff, legalSurname: '' }]).invalid[0]).toMatchObject({ id: 'T1' });
    expect(parseReport('students', [{ ...student, personId: 7 }]).invalid[0]).toMatchObject({ id: '#0' });
    expect(parseReport('students', [['S1']]).invalid[0]).toMatchObject({ id: '#0', field: '(record)' });
  });

  it('dates are whole: nothing before or after the day', () => {
    expect(isoDate.safeParse('x2025-01-01').success).toBe(false);
    expect(isoDate.safeParse('2025-01-01x').success).toBe(false);
  });

  it('pages, LA codes and completeness are counted from zero, and LA codes are three digits exactly', () => {
    const meta = { page: 1, pageSize: 100, totalRecords: 0, totalPages: 0 };
    expect(pageSchema.safeParse({ data: [], meta: { ...meta, totalPages: -1 } }).success).toBe(false);
    expect(pageSchema.safeParse({ data: [], meta: { ...meta, totalPages: 3 } }).success).toBe(true);
    const granted = { dfeNumber: '8012000', name: 'A', laCode: '801', grantedAt: 'x', permissions: [] };
    expect(grantedSchoolSchema.safeParse({ ...granted, laCode: '8012' }).success).toBe(false);
    expect(grantedSchoolSchema.safeParse({ ...granted, laCode: 'x801' }).success).toBe(false);
    const file = {
      dfeNumber: '8012000',
      exportedAt: '2025-12-01T18:00:00+00:00',
      source: 'integris',
      reports: {},
      completeness: {},
    };
    expect(exportFileSchema.safeParse({ ...file, updatedSince: '2025-12-01T17:00:00+01:00' }).success).toBe(true);
    expect(exportFileSchema.safeParse({ ...file, updatedSince: 'yesterday' }).success).toBe(false);
    expect(exportFileSchema.safeParse({ ...file, reports: { students: 'all' } }).success).toBe(false);
    expect(
      exportFileSchema.safeParse({ ...file, completeness: { students: { totalRecords: 3, pages: 1 } } }).success,
    ).toBe(true);
    expect(
      exportFileSchema.safeParse({ ...file, completeness: { students: { totalRecords: -1, pages: 1 } } }).success,
    ).toBe(false);
    expect(
      exportFileSchema.safeParse({ ...file, completeness: { students: { totalRecords: 3, pages: -1 } } }).success,
    ).toBe(false);
    expect(exportFileSchema.safeParse({ ...file, completeness: { students: { totalRecords: 3 } } }).success).toBe(
      false,
    );
  });
});
