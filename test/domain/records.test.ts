import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseReport, reportNames } from '../../src/domain/records.js';
import { generateLocalAuthority } from '../../src/sync/integris/sim/generator.js';

const good = {
  personId: 'S1',
  upn: 'B801200005001',
  legalForename: 'Zoë',
  legalSurname: "O'Brien-Ní Bhriain",
  dateOfBirth: '2015-03-04',
  gender: 'F',
  admissionDate: '2020-09-03',
  enrolmentStatus: 'C',
};

describe('report parsing', () => {
  it('reports each bad record with its id, field and reason, and keeps the rest', () => {
    const { dateOfBirth: _omit, ...noDob } = good;
    const { records, invalid } = parseReport('students', [
      good,
      { ...noDob, personId: 'S2' },
      { ...good, personId: 'S3', dateOfBirth: '2015-02-30' },
      { ...good, personId: 'S4', enrolmentStatus: 'Z' },
      { ...good, personId: 'S5', upn: 'C801200005001' },
      { legalForename: 'No id' },
      'not even an object',
    ]);
    expect(records.map((r) => r.personId)).toEqual(['S1']);
    expect(invalid).toContainEqual({ report: 'students', id: 'S2', field: 'dateOfBirth', reason: 'is required' });
    expect(invalid).toContainEqual({
      report: 'students',
      id: 'S3',
      field: 'dateOfBirth',
      reason: 'is not a real calendar date',
    });
    expect(invalid).toContainEqual({
      report: 'students',
      id: 'S4',
      field: 'enrolmentStatus',
      reason: 'expected enrolment status C, M, S or G',
    });
    expect(invalid).toContainEqual({
      report: 'students',
      id: 'S5',
      field: 'upn',
      reason: 'is not a valid UPN (format or check letter)',
    });
    expect(invalid.filter((i) => i.id === '#5').map((i) => i.field)).toContain('personId');
    expect(invalid.some((i) => i.id === '#6')).toBe(true);
  });

  it('keeps names exactly as sent', () => {
    const { records } = parseReport('students', [{ ...good, legalForename: ' Zoë ', preferredSurname: 'Nguyễn' }]);
    expect(records[0]).toMatchObject({
      legalForename: ' Zoë ',
      legalSurname: "O'Brien-Ní Bhriain",
      preferredSurname: 'Nguyễn',
    });
  });

  it('parses every record the generator makes, for any seed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), (seed) => {
        const la = generateLocalAuthority({ seed, schools: 1 });
        for (const school of la.schools) {
          for (const report of reportNames) {
            const { invalid } = parseReport(report, school[report]);
            expect(invalid).toEqual([]);
          }
        }
      }),
      { numRuns: 8 },
    );
  });
});
