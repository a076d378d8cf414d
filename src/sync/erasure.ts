// Erasure, per person (UK GDPR Article 17): everything held about one person is removed, leaving a minimal audit
// tombstone (who erased, when, which username). Refused while the person is still in a school's current MIS export,
// since the next run would make them again, unless the name is also put on that school's exclusion list (by name
// only, so no birth date is kept for them).
import type { Db } from 'mongodb';
import { UsoError } from '../errors.js';
import { audit } from '../store/audit.js';
import { addExclusion } from '../store/exclusions.js';
import { lastProcessedExport, loadExport } from '../store/exports.js';
import { eraseDeliveriesAbout } from '../store/deliveries.js';
import { eraseAccount } from '../store/accounts.js';
import {
  eraseAuditOf,
  eraseFromExports,
  eraseFromRuns,
  eraseFromSchoolData,
  eraseMatchesAndDecisions,
} from '../store/erasure.js';
import type { Account } from '../domain/model.js';
import { addDays, todayIn, type IsoDate } from '../domain/dates.js';
import { getSchool } from '../store/schools.js';

export interface ErasureReport {
  username: string;
  schools: string[];
  /** Documents changed or removed, by kind. */
  removed: {
    exportChunks: number;
    schoolData: number;
    runOutcomes: number;
    matches: number;
    audit: number;
    account: number;
  };
  excludedAt: string[];
}

/**
 * The schools whose latest processed export still lists the person as there: a record whose leaving date (a pupil's
 * `leavingDate`, a member of staff's `employmentEndDate`) is past the school's grace days is a leaver the next run
 * unallocates, never makes again, so it does not stop an erasure.
 */
async function stillExported(db: Db, account: Account, today: IsoDate): Promise<string[]> {
  const schools: string[] = [];
  for (const dfeNumber of new Set(account.associations.map((x) => x.dfeNumber))) {
    const ids = new Set(
      account.associations.filter((x) => x.dfeNumber === dfeNumber && x.misPersonId).map((x) => x.misPersonId!),
    );
    if (ids.size === 0) continue;
    const meta = await lastProcessedExport(db, dfeNumber);
    if (!meta) continue;
    const file = await loadExport(db, meta);
    const cutoff = addDays(today, -((await getSchool(db, dfeNumber))?.settings.graceDays ?? 0));
    const current = (rec: Record<string, unknown>) => {
      const left = rec['leavingDate'] ?? rec['employmentEndDate'];
      return !(typeof left === 'string' && left <= cutoff);
    };
    const listed = (['students', 'staff'] as const).some((r) =>
      (file.reports[r] ?? []).some(
        (rec) =>
          ids.has(String((rec as { personId?: unknown }).personId ?? '')) && current(rec as Record<string, unknown>),
      ),
    );
    if (listed) schools.push(dfeNumber);
  }
  return schools;
}

export async function erasePerson(
  db: Db,
  account: Account,
  actor: string,
  options: { andExclude?: boolean; today?: IsoDate } = {},
): Promise<ErasureReport> {
  const listedAt = await stillExported(db, account, options.today ?? todayIn('Europe/London'));
  if (listedAt.length && !options.andExclude)
    throw new UsoError(
      'forbidden',
      `${account.username} is still in the current MIS export of ${listedAt.join(', ')}: the next run would make them again. Remove them in the MIS first, or erase with --and-exclude to also put the name on that school's exclusion list`,
    );
  const removed = {
    exportChunks: 0,
    schoolData: 0,
    runOutcomes: 0,
    matches: 0,
    audit: 0,
    account: 0,
    deliveriesRemoved: 0,
    deliveriesRedacted: 0,
  };
  const schools = [...new Set(account.associations.map((x) => x.dfeNumber))];
  for (const dfeNumber of schools) {
    const ids = new Set(
      account.associations.filter((x) => x.dfeNumber === dfeNumber && x.misPersonId).map((x) => x.misPersonId!),
    );
    removed.exportChunks += await eraseFromExports(db, dfeNumber, ids);
    removed.schoolData += await eraseFromSchoolData(db, dfeNumber, ids);
    removed.runOutcomes += await eraseFromRuns(db, dfeNumber, ids, account.username);
    removed.matches += await eraseMatchesAndDecisions(db, dfeNumber, ids, account.username);
  }
  for (const dfeNumber of listedAt)
    await addExclusion(db, dfeNumber, account.legalForename, account.legalSurname, actor);
  // events about them: a pending one is never sent now; a sent one keeps only what went to whom, and when
  const deliveries = await eraseDeliveriesAbout(db, account.username);
  removed.deliveriesRemoved = deliveries.removed;
  removed.deliveriesRedacted = deliveries.redacted;
  removed.audit = await eraseAuditOf(db, account.username);
  removed.account = (await eraseAccount(db, account.username)) ? 1 : 0;
  // the tombstone: who erased which username, when; nothing else about the person
  await audit(db, {
    at: new Date(),
    actor,
    action: 'person.erased',
    username: account.username,
    ...(listedAt.length ? { detail: `name excluded at ${listedAt.join(', ')}` } : {}),
  });
  return { username: account.username, schools, removed, excludedAt: listedAt };
}
