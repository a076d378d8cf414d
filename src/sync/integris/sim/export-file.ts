// A simulated school's whole export as the service stores it (every report, complete), for runs fed from files:
// the benchmarks and the LA-night checker.
import { reportNames, type ExportFile } from '../../../domain/records.js';
import type { SimSchool } from './types.js';

export function exportOf(school: SimSchool, exportedAt: string): ExportFile {
  const file: ExportFile = {
    dfeNumber: school.dfeNumber,
    exportedAt,
    source: 'integris',
    reports: {},
    completeness: {},
  };
  for (const r of reportNames) {
    file.reports[r] = school[r];
    file.completeness[r] = { totalRecords: school[r].length, pages: Math.ceil(school[r].length / 500) };
  }
  return file;
}
