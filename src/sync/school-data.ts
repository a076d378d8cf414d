// A school's contacts, groups and attendance, stored from its export beside the run (each only when it changed).
import type { Db } from 'mongodb';
import { loadReport, type ExportMeta } from '../store/exports.js';
import { replaceSchoolRecords, schoolDataState, storeAttendance } from '../store/schoolData.js';
import { addDays, type IsoDate } from '../domain/dates.js';
import { parseReport, type ExportFile, type ReportName } from '../domain/records.js';
import type { School } from '../domain/model.js';

/** Stores the school's contacts, groups and attendance from the export, each only when it changed. */
export async function storeSchoolData(
  db: Db,
  school: School,
  meta: ExportMeta,
  loading: Promise<ExportFile>,
  today: IsoDate,
): Promise<unknown> {
  const dfeNumber = school.dfeNumber;
  // read only when its hash differs from what is stored: from the export in hand, or else from the store
  const exported = (report: ReportName) => async () => (await loading).reports[report] ?? loadReport(db, meta, report);
  const full = !meta.updatedSince;
  const stored = await schoolDataState(db, dfeNumber, { fold: true });
  return settledAll([
    ...(['contacts', 'groups'] as const).map((report) =>
      meta.counts[report] !== undefined && full
        ? replaceSchoolRecords(
            db,
            dfeNumber,
            report,
            {
              exported: exported(report),
              hash: meta.hashes?.[report],
              parse: (records) => parseReport(report, records).records,
            },
            stored,
          )
        : undefined,
    ),
    meta.counts.attendance !== undefined
      ? storeAttendance(
          db,
          dfeNumber,
          {
            exported: exported('attendance'),
            hash: meta.hashes?.attendance,
            parse: (records) => parseReport('attendance', records).records,
          },
          addDays(today, -school.settings.attendanceRetentionDays),
          stored,
        )
      : undefined,
  ]);
}

/** Waits for all, and fails with the first failure once all have finished (no write is left running). */
export async function settledAll<T extends readonly unknown[]>(
  work: T,
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled(work);
  for (const s of settled) if (s.status === 'rejected') throw s.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as {
    -readonly [K in keyof T]: Awaited<T[K]>;
  };
}
