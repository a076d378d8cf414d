// What happens to a school's data when it stops sharing: after REVOKE_GRACE_DAYS (so an accidental revoke can be
// undone by granting again), a revoked school's contacts, groups, attendance and export files are erased and its
// accounts leave it as leavers do (held behind the usual guard); a report no longer shared or accepted has its
// stored data erased. Run by the daily retention job; each erasure is audited, once.
import type { Db } from 'mongodb';
import { deletePendingAboutSchool } from '../store/deliveries.js';
import type { Logger } from '../log.js';
import { audit } from '../store/audit.js';
import { deleteSchoolExports, eraseSchoolReports } from '../store/erasure.js';
import { listSchools, updateSchool } from '../store/schools.js';
import { addDays, todayIn, type IsoDate } from '../domain/dates.js';
import { reportNames, type ExportFile, type ReportName } from '../domain/records.js';
import type { School } from '../domain/model.js';
import { syncSchool } from './process.js';

/** The day a revoke or an un-shared report is erased, unless it is undone first. */
export const erasureDay = (since: string, graceDays: number): IsoDate => addDays(since.slice(0, 10), graceDays);

export interface RevocationReport {
  /** Schools whose revoked data was erased (and whose accounts left them). */
  revoked: string[];
  /** Reports erased per school. */
  reports: { dfeNumber: string; reports: ReportName[] }[];
}

/** An export with every accepted report empty: processing it ends the school's associations as for leavers. */
function emptyExport(school: School, now: Date): ExportFile {
  const reports = Object.fromEntries(school.acceptedReports.map((r) => [r, []])) as ExportFile['reports'];
  const completeness = Object.fromEntries(
    school.acceptedReports.map((r) => [r, { totalRecords: 0, pages: 1 }]),
  ) as ExportFile['completeness'];
  return { dfeNumber: school.dfeNumber, exportedAt: now.toISOString(), source: 'integris', reports, completeness };
}

export async function eraseWithdrawnData(
  db: Db,
  graceDays: number,
  options: { now?: Date; logger: Logger; actor?: string },
): Promise<RevocationReport> {
  const now = options.now ?? new Date();
  const today = todayIn('Europe/London', now);
  const actor = options.actor ?? 'retention';
  const report: RevocationReport = { revoked: [], reports: [] };
  for (const school of await listSchools(db)) {
    if (
      school.grant.state === 'revoked' &&
      school.grant.revokedAt &&
      !school.revokeErasedAt &&
      erasureDay(school.grant.revokedAt, graceDays) <= today
    ) {
      const data = await eraseSchoolReports(db, school.dfeNumber, reportNames);
      const files = await deleteSchoolExports(db, school.dfeNumber);
      // events about the school not yet delivered go too (those its accounts leaving queue now are not about data)
      await deletePendingAboutSchool(db, school.dfeNumber);
      // the school's accounts leave it as leavers do: over the school's threshold they are held for its head
      if (school.acceptedReports.some((r) => r === 'students' || r === 'staff'))
        await syncSchool({ db, logger: options.logger }, school.dfeNumber, {
          trigger: 'file',
          file: emptyExport(school, now),
          today,
        });
      await updateSchool(db, school.dfeNumber, { revokeErasedAt: now.toISOString() });
      await audit(db, {
        at: now,
        actor,
        action: 'school.data_erased',
        dfeNumber: school.dfeNumber,
        detail: `Datashare grant revoked ${school.grant.revokedAt.slice(0, 10)}: ${data.documents} documents of contacts, groups and attendance and ${files} export files erased; accounts leave the school as leavers`,
      });
      report.revoked.push(school.dfeNumber);
      continue;
    }
    const due = (Object.entries(school.dropped ?? {}) as [ReportName, string][]).filter(
      ([r, since]) => !school.acceptedReports.includes(r) && erasureDay(since, graceDays) <= today,
    );
    if (due.length === 0) continue;
    const reports = due.map(([r]) => r);
    const data = await eraseSchoolReports(db, school.dfeNumber, reports);
    const dropped = { ...(school.dropped ?? {}) };
    for (const r of reports) delete dropped[r];
    await updateSchool(db, school.dfeNumber, { dropped });
    await audit(db, {
      at: now,
      actor,
      action: 'school.data_erased',
      dfeNumber: school.dfeNumber,
      detail: `no longer shared or accepted: ${reports.join(', ')}; ${data.documents} documents and ${data.exportChunks} export chunks erased`,
    });
    report.reports.push({ dfeNumber: school.dfeNumber, reports });
  }
  return report;
}

/** Records reports a school no longer shares or accepts (from now), and forgets those it shares and accepts again. */
export async function noteDroppedReports(
  db: Db,
  school: School,
  change: { dropped: readonly ReportName[]; back: readonly ReportName[] },
  now = new Date(),
): Promise<void> {
  if (change.dropped.length === 0 && change.back.length === 0) return;
  const dropped = { ...(school.dropped ?? {}) };
  for (const r of change.dropped) dropped[r] ??= now.toISOString();
  for (const r of change.back) delete dropped[r];
  await updateSchool(db, school.dfeNumber, { dropped });
}
