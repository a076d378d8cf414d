// What a school's admins do for their own school beyond deciding held people: ask for an account before the MIS
// has the person, review accounts the MIS does not know (keep with a reason until a review date, or retire), and
// change the school's own settings (accepted reports, grace days, thresholds, pre-provisioning, pause, a change of
// MIS). Each is audited.
import type { Db } from 'mongodb';
import { UsoError } from '../errors.js';
import { getAccount, updateAccounts } from '../store/accounts.js';
import { insertNewAccounts } from '../store/account-inserts.js';
import { audit } from '../store/audit.js';
import { getSchool, updateSchool } from '../store/schools.js';
import {
  accountStatus,
  mergeSettings,
  newAccount,
  type Account,
  type Association,
  type PersonKind,
  type School,
  type SchoolSettings,
} from '../domain/model.js';
import { todayIn, type IsoDate } from '../domain/dates.js';
import { usernameBase } from '../domain/usernames.js';
import type { ReportName } from '../domain/records.js';
import { erasureDay, noteDroppedReports } from './revocation.js';

async function schoolOrThrow(db: Db, dfeNumber: string): Promise<School> {
  const school = await getSchool(db, dfeNumber);
  if (!school) throw new UsoError('not_found', `school ${dfeNumber} is not known`);
  return school;
}

export interface AccountRequest {
  kind: PersonKind;
  legalForename: string;
  legalSurname: string;
  dateOfBirth?: IsoDate;
  startDate: IsoDate;
  /** A pupil's class (registration group) or a staff member's role. */
  group?: string;
}

/**
 * Creates an account before the MIS has the person, kept by hand at the school (a manual association). When the MIS
 * exports the person, the nightly run links this account to them (auto-matched) instead of making another.
 */
export async function requestAccount(
  db: Db,
  dfeNumber: string,
  request: AccountRequest,
  actor: string,
): Promise<string> {
  const school = await schoolOrThrow(db, dfeNumber);
  const now = new Date().toISOString();
  const association: Association = {
    dfeNumber,
    laCode: school.laCode,
    role: request.kind,
    status: 'active',
    source: 'manual',
    since: request.startDate,
    movedInAt: now,
    ...(request.group
      ? request.kind === 'pupil'
        ? { registrationGroup: request.group }
        : { roles: [request.group] }
      : {}),
  };
  const person = {
    kind: request.kind,
    legalForename: request.legalForename,
    legalSurname: request.legalSurname,
    ...(request.dateOfBirth ? { dateOfBirth: request.dateOfBirth } : {}),
  };
  const { assigned, failed } = await insertNewAccounts(
    db,
    [
      {
        key: 'request',
        base: usernameBase(person, school.settings.usernameFrom),
        account: newAccount(person, [association], now),
      },
    ],
    { stamp: { actor, at: new Date() } },
  );
  const username = assigned.get('request');
  if (!username)
    throw new UsoError('store_conflict', `no account was created: ${failed.get('request') ?? 'unknown reason'}`);
  await audit(db, {
    at: new Date(),
    actor,
    action: 'account.requested',
    dfeNumber,
    username,
    detail: `${request.kind}, kept by hand until the MIS has them`,
  });
  return username;
}

function manualAssociation(account: Account, dfeNumber: string): Association {
  const x = account.associations.find(
    (a) => a.dfeNumber === dfeNumber && a.source === 'manual' && a.status === 'active',
  );
  if (!x)
    throw new UsoError(
      'stale_action',
      `${account.username} is not kept by hand at ${dfeNumber} (the MIS has them, or it was retired)`,
    );
  return x;
}

/** Keeps an account the MIS does not know, with a reason, out of the review list until the review date. */
export async function keepNonMis(
  db: Db,
  dfeNumber: string,
  username: string,
  keep: { reason: string; reviewOn: IsoDate },
  actor: string,
): Promise<void> {
  const before = await getAccount(db, username);
  if (!before) throw new UsoError('not_found', `account ${username} does not exist`);
  manualAssociation(before, dfeNumber);
  const after = structuredClone(before);
  const x = manualAssociation(after, dfeNumber);
  x.keptReason = keep.reason;
  x.reviewOn = keep.reviewOn;
  after.updatedAt = new Date().toISOString();
  await updateAccounts(db, [{ before, after }], { stamp: { actor, at: new Date() } });
  await audit(db, {
    at: new Date(),
    actor,
    action: 'account.kept',
    dfeNumber,
    username,
    detail: `review on ${keep.reviewOn}`,
  });
}

/** Retires an account the MIS does not know: its association here ends, and it joins the unallocated pool like a leaver. */
export async function retireNonMis(db: Db, dfeNumber: string, username: string, actor: string): Promise<void> {
  const before = await getAccount(db, username);
  if (!before) throw new UsoError('not_found', `account ${username} does not exist`);
  manualAssociation(before, dfeNumber);
  const after = structuredClone(before);
  const x = manualAssociation(after, dfeNumber);
  x.status = 'ended';
  x.until = todayIn('Europe/London');
  delete x.keptReason;
  delete x.reviewOn;
  after.status = accountStatus(after.associations);
  after.updatedAt = new Date().toISOString();
  await updateAccounts(db, [{ before, after }], { stamp: { actor, at: new Date() } });
  await audit(db, {
    at: new Date(),
    actor,
    action: 'account.unallocated',
    dfeNumber,
    username,
    detail: 'retired: not in the MIS',
  });
}

/** The settings a head may change for their school, and what each report feeds (what accepting it means). */
export const REPORT_USES: Record<ReportName, string> = {
  students: 'pupil accounts',
  staff: 'staff accounts and staff mail',
  contacts: 'parental services',
  groups: 'class-based provisioning (Google and Microsoft classes)',
  attendance: 'third-party services such as parent messaging',
};

export interface SettingsChange {
  settings?: Partial<
    Pick<
      SchoolSettings,
      'graceDays' | 'unallocationThresholdPercent' | 'updateThresholdPercent' | 'preProvisionDays' | 'paused'
    >
  >;
  pauseReason?: string;
  accept?: ReportName[];
  refuse?: ReportName[];
  /** "We changed MIS to Integris": the next export re-keys accounts instead of churning them (as `schools set-mis`). */
  movedToIntegris?: boolean;
  /** The same, saying from which MIS (a school recorded as on Integris already may have just moved to it). */
  movedToIntegrisFrom?: string;
}

/** Changes a school's own settings; returns the school as it is now and a line for each change (said to the school). */
export async function changeSchoolSettings(
  db: Db,
  dfeNumber: string,
  change: SettingsChange,
  actor: string,
  options: { revokeGraceDays?: number } = {},
): Promise<{ school: School; said: string[] }> {
  const school = await schoolOrThrow(db, dfeNumber);
  const shared = new Set(school.grant.permissions ?? school.acceptedReports);
  const accepted = new Set(school.acceptedReports);
  const said: string[] = [];
  for (const r of change.accept ?? []) {
    if (!shared.has(r))
      throw new UsoError('usage', `the school does not share ${r} in Integris Datashare, so it cannot be accepted`);
    if (!accepted.has(r)) said.push(`${r} accepted (feeds ${REPORT_USES[r]})`);
    accepted.add(r);
  }
  const refused: ReportName[] = [];
  for (const r of change.refuse ?? []) {
    if (accepted.delete(r)) {
      refused.push(r);
      said.push(
        `${r} no longer accepted: the service stops reading it${options.revokeGraceDays !== undefined ? `, and its stored data is erased on ${erasureDay(new Date().toISOString(), options.revokeGraceDays)} unless it is accepted again` : ''}`,
      );
    }
  }
  const settings = mergeSettings({ ...school.settings, ...(change.settings ?? {}) });
  for (const [key, value] of Object.entries(change.settings ?? {})) {
    const was = school.settings[key as keyof SchoolSettings];
    if (was !== value)
      said.push(
        key === 'paused'
          ? value
            ? `runs paused${change.pauseReason ? `: ${change.pauseReason}` : ''}`
            : 'runs resumed'
          : `${SETTING_WORDS[key] ?? key}: ${String(was)} -> ${String(value)}`,
      );
  }
  const from =
    change.movedToIntegrisFrom ?? (change.movedToIntegris && school.mis !== 'integris' ? school.mis : undefined);
  const misChange =
    from && from !== 'integris'
      ? { mis: 'integris', misChangePending: { from, at: new Date().toISOString() } }
      : undefined;
  if (misChange)
    said.push(`MIS changed from ${from} to Integris: the next export re-keys accounts instead of replacing them`);
  if (said.length === 0) return { school, said };
  const order: ReportName[] = ['students', 'staff', 'contacts', 'groups', 'attendance'];
  const acceptedReports = order.filter((r) => accepted.has(r));
  await updateSchool(db, dfeNumber, { settings, acceptedReports, ...(misChange ?? {}) });
  await noteDroppedReports(db, school, { dropped: refused, back: acceptedReports });
  const added = acceptedReports.filter((r) => !school.acceptedReports.includes(r));
  if (refused.length || added.length)
    await audit(db, {
      at: new Date(),
      actor,
      action: 'school.report_changed',
      dfeNumber,
      detail: [
        refused.length && `no longer accepted: ${refused.join(', ')}`,
        added.length && `accepted: ${added.join(', ')}`,
      ]
        .filter(Boolean)
        .join('; '),
    });
  if (misChange)
    await audit(db, {
      at: new Date(),
      actor,
      action: 'school.mis_changed',
      dfeNumber,
      detail: `${from} -> integris`,
    });
  // the audit names what changed, never a person
  await audit(db, { at: new Date(), actor, action: 'school.settings', dfeNumber, detail: said.join('; ') });
  return { school: { ...school, settings, acceptedReports, ...(misChange ?? {}) }, said };
}

const SETTING_WORDS: Record<string, string> = {
  graceDays: 'leaver grace days',
  unallocationThresholdPercent: 'leavers held above (%)',
  updateThresholdPercent: 'changes held above (%)',
  preProvisionDays: 'accounts made this many days before a start',
};
