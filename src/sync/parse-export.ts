// An export read for a run: each report's records parsed at the edge, the invalid ones kept with their reasons, and
// the people the plan works from.
import type { IsoDate } from '../domain/dates.js';
import { groupsByPerson, staffToPerson, studentToPerson, type MisPerson } from './integris/people.js';
import { parseReport, type ExportFile, type InvalidRecord, type ReportName } from '../domain/records.js';

export interface ParsedExport {
  people: MisPerson[];
  invalid: InvalidRecord[];
  fullReports: Set<'students' | 'staff'>;
  complete: boolean;
  incompleteReason?: string;
  file: ExportFile;
}

/**
 * The export's people and invalid records, and whether it is complete. `counts` are the records each report holds as
 * stored, for reports not read here; by default those of the file.
 */
export function parseExport(
  file: ExportFile,
  acceptedReports: readonly ReportName[],
  today: IsoDate,
  counts: Partial<Record<ReportName, number>> = countsOf(file),
): ParsedExport {
  const invalid: InvalidRecord[] = [];
  const groups = file.reports.groups ? parseReport('groups', file.reports.groups) : undefined;
  if (groups) invalid.push(...groups.invalid);
  const byPerson = groupsByPerson(groups?.records ?? []);
  const people: MisPerson[] = [];
  const fullReports = new Set<'students' | 'staff'>();
  if (file.reports.students) {
    const r = parseReport('students', file.reports.students);
    invalid.push(...r.invalid);
    people.push(...r.records.map((s) => studentToPerson(s, byPerson)));
    if (!file.updatedSince) fullReports.add('students');
  }
  if (file.reports.staff) {
    const r = parseReport('staff', file.reports.staff);
    invalid.push(...r.invalid);
    people.push(...r.records.map((s) => staffToPerson(s, byPerson, today)));
    if (!file.updatedSince) fullReports.add('staff');
  }
  let incompleteReason: string | undefined;
  for (const report of Object.keys(counts) as ReportName[]) {
    const promised = file.completeness[report]?.totalRecords;
    const got = counts[report] ?? 0;
    if (promised !== undefined && promised !== got) incompleteReason = `${report}: ${got} of ${promised} records`;
  }
  for (const report of ['students', 'staff'] as const) {
    if (acceptedReports.includes(report) && !file.reports[report] && !file.updatedSince)
      incompleteReason ??= `${report}: accepted but missing from the export`;
  }
  return { people, invalid, fullReports, complete: incompleteReason === undefined, incompleteReason, file };
}

export const countsOf = (file: ExportFile) =>
  Object.fromEntries(Object.entries(file.reports).map(([r, records]) => [r, records?.length ?? 0]));
