// Subject access (UK GDPR Article 15): everything the service holds about one person, as one document. The account
// with every association; at each of its schools, the MIS records naming the person in every kept export, the
// contacts linked to them, their groups and attendance marks; every run outcome about them; every audit entry
// about their account. Read-only; the export itself is audited (who asked, about which username).
import type { Db } from 'mongodb';
import { UsoError } from '../errors.js';
import type { Account } from '../domain/model.js';
import { accountsForSchool, getAccount } from '../store/accounts.js';
import { audit, auditEntries, type AuditEntry } from '../store/audit.js';
import { exportsOfSchool, loadExport } from '../store/exports.js';
import { outcomesAbout } from '../store/runs.js';
import { deliveriesAbout } from '../store/deliveries.js';
import { listSubscribers } from '../store/subscribers.js';
import { attendanceOf, contactsOfPupil, groupsOf } from '../store/schoolData.js';

export interface SubjectAccessReport {
  generatedAt: string;
  account: Account;
  schools: {
    dfeNumber: string;
    misPersonId?: string;
    /** The person's record in each stored export, by export number. */
    misRecords: { exportSeq: number; exportedAt: string; report: string; record: unknown }[];
    contacts: unknown[];
    groups: { groupId: string; name: string; type: string }[];
    attendance: unknown[];
    runOutcomes: { runId: string; startedAt: string; outcome: unknown }[];
  }[];
  audit: AuditEntry[];
  /** Which services were sent (or are due) which events about the person, and when: never the payloads. */
  sharedWith: {
    subscriber: string;
    eventId: string;
    type: string;
    occurredAt: string;
    status: string;
    sentAt?: Date;
  }[];
}

/** Finds the account: by username, or by a school's MIS person id. */
export async function findSubject(
  db: Db,
  who: { username?: string; dfeNumber?: string; personId?: string },
): Promise<Account> {
  if (who.username) {
    const account = await getAccount(db, who.username);
    if (!account) throw new UsoError('not_found', `no account ${who.username}`);
    return account;
  }
  if (!who.dfeNumber || !who.personId) throw new UsoError('usage', 'name a username, or a school and an MIS person id');
  const account = (await accountsForSchool(db, who.dfeNumber)).find((a) =>
    a.associations.some((x) => x.dfeNumber === who.dfeNumber && x.misPersonId === who.personId),
  );
  if (!account)
    throw new UsoError('not_found', `nobody with MIS id ${who.personId} has an account at ${who.dfeNumber}`);
  return account;
}

export async function subjectAccessReport(db: Db, account: Account, actor: string): Promise<SubjectAccessReport> {
  const schools: SubjectAccessReport['schools'] = [];
  for (const dfeNumber of [...new Set(account.associations.map((x) => x.dfeNumber))]) {
    const personIds = new Set(
      account.associations.filter((x) => x.dfeNumber === dfeNumber && x.misPersonId).map((x) => x.misPersonId!),
    );
    const misRecords: SubjectAccessReport['schools'][number]['misRecords'] = [];
    for (const meta of await exportsOfSchool(db, dfeNumber)) {
      const file = await loadExport(db, meta);
      for (const report of ['students', 'staff'] as const) {
        for (const record of file.reports[report] ?? []) {
          if (personIds.has((record as { personId?: string }).personId ?? ''))
            misRecords.push({ exportSeq: meta.seq, exportedAt: meta.exportedAt, report, record });
        }
      }
    }
    const contacts = [];
    const attendance = [];
    for (const id of personIds) {
      contacts.push(...(await contactsOfPupil(db, dfeNumber, id)));
      attendance.push(...(await attendanceOf(db, dfeNumber, id)));
    }
    const groups = (await groupsOf(db, dfeNumber))
      .filter(
        (g) => g.studentPersonIds.some((id) => personIds.has(id)) || g.staffPersonIds.some((id) => personIds.has(id)),
      )
      .map((g) => ({ groupId: g.groupId, name: g.name, type: g.type }));
    const runOutcomes = [];
    for (const id of personIds.size ? personIds : [undefined]) {
      for (const o of await outcomesAbout(db, dfeNumber, { personId: id, username: account.username })) {
        runOutcomes.push({ runId: o.runId, startedAt: o.startedAt.toISOString(), outcome: o.outcome });
      }
    }
    const misPersonId = [...personIds][0];
    schools.push({
      dfeNumber,
      ...(misPersonId ? { misPersonId } : {}),
      misRecords,
      contacts,
      groups,
      attendance,
      runOutcomes: dedupe(runOutcomes),
    });
  }
  const entries = await auditEntries(db, { username: account.username }, 10_000);
  const names = new Map((await listSubscribers(db)).map((s) => [s._id, s.name]));
  const sharedWith = (await deliveriesAbout(db, account.username)).map(({ subscriberId, ...d }) => ({
    subscriber: `${names.get(subscriberId) ?? 'removed subscriber'} (${subscriberId})`,
    ...d,
  }));
  await audit(db, {
    at: new Date(),
    actor,
    action: 'person.exported',
    username: account.username,
    detail: 'subject access export',
  });
  return { generatedAt: new Date().toISOString(), account, schools, audit: entries, sharedWith };
}

/** An outcome matched by both person id and username is listed once. */
function dedupe<T extends { runId: string; outcome: unknown }>(list: T[]): T[] {
  const seen = new Set<string>();
  return list.filter((x) => {
    const key = `${x.runId}|${JSON.stringify(x.outcome)}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
}
