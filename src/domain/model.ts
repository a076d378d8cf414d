// The domain shapes the sync works on. Pure types: the store persists them, plan and match read them.
import type { IsoDate } from './dates.js';
import type { ReportName } from './records.js';

export type PersonKind = 'pupil' | 'staff';
export type AssociationSource = 'mis' | 'manual';

export interface Association {
  dfeNumber: string;
  laCode: string;
  role: PersonKind;
  status: 'active' | 'ended';
  source: AssociationSource;
  /** The Integris person id at this school (MIS associations). */
  misPersonId?: string;
  since: IsoDate;
  until?: IsoDate;
  /** Census enrolment status of a pupil here: C single, M main, S subsidiary, G guest. */
  enrolmentStatus?: 'C' | 'M' | 'S' | 'G';
  yearGroup?: string;
  registrationGroup?: string;
  /** Staff roles held at this school. */
  roles?: string[];
  /** Names of the classes and groups the person belongs to here. */
  groups?: string[];
  /** The date of the first processed export that contained this person: only then can absence mean leaving. */
  seenAt?: IsoDate;
  /** First processed export the person was missing from (drives the leaver grace period). */
  absentSince?: IsoDate;
  /** A non-MIS account kept on purpose: why, and when to list it for review again. */
  keptReason?: string;
  reviewOn?: IsoDate;
  /**
   * The person's details when this association ended, and when: what this school's subscribers go on seeing of
   * someone who left (never what another school records of them now).
   */
  leftAs?: { at: string; fields: Partial<PersonFields> };
  /** When the account last came to this school: made here, moved in, linked or back (the seed's "latest move or create"). */
  movedInAt?: string;
}

export interface PersonFields {
  kind: PersonKind;
  legalForename: string;
  legalSurname: string;
  middleNames?: string;
  preferredForename?: string;
  preferredSurname?: string;
  dateOfBirth?: IsoDate;
  gender?: string;
  upn?: string;
  email?: string;
  title?: string;
}

/** The person fields the MIS gives, in the order they are compared and shown. */
export const PERSON_FIELDS = [
  'legalForename',
  'legalSurname',
  'middleNames',
  'preferredForename',
  'preferredSurname',
  'dateOfBirth',
  'gender',
  'upn',
  'email',
  'title',
] as const satisfies readonly (keyof PersonFields)[];

export interface Account extends PersonFields {
  username: string;
  associations: Association[];
  /** `unallocated`: no active association is left; the account waits in the pool and can be restored. */
  status: 'active' | 'unallocated';
  createdAt: string;
  updatedAt: string;
  /** The latest time the account was created or moved to another school. */
  latestMoveOrCreateAt: string;
  /** Optimistic concurrency: every write checks and bumps it. */
  version: number;
}

/** The details an account carries now, for the record an association keeps when it ends. */
export function detailsOf(account: Pick<Account, PersonKeys>): Partial<PersonFields> {
  const out: Partial<PersonFields> = {};
  for (const k of PERSON_FIELDS) if (account[k] !== undefined) Object.assign(out, { [k]: account[k] });
  return out;
}
type PersonKeys = (typeof PERSON_FIELDS)[number];

/** A new account for the person: active at its associations, made `now`, at version 0 (its username comes on insert). */
export function newAccount(fields: PersonFields, associations: Association[], now: string): Omit<Account, 'username'> {
  return {
    ...fields,
    associations,
    status: 'active',
    createdAt: now,
    updatedAt: now,
    latestMoveOrCreateAt: now,
    version: 0,
  };
}

export interface SchoolSettings {
  /** Hold unallocations above this share of the school's active MIS accounts of one kind... */
  unallocationThresholdPercent: number;
  /** Hold updates above this share of the school's active MIS accounts of one kind... */
  updateThresholdPercent: number;
  /** ...either only when at least this many changes of that kind would be made (a small school's few are not held). */
  heldChangesMin: number;
  /** Days a leaver keeps access after leaving (0-60). */
  graceDays: number;
  /** Create accounts this many days before a start date; 0 = on the start date. */
  preProvisionDays: number;
  /** Which names usernames are made from. */
  usernameFrom: 'preferred' | 'legal';
  paused: boolean;
  /** HH:MM local time of the nightly export. */
  exportTime: string;
  /** Days of attendance marks kept. */
  attendanceRetentionDays: number;
  /** Days after someone leaves during which the school's subscribers still see them (as they were when they left). */
  leaverVisibleDays: number;
  /** The LA may pre-approve a service to receive this school's data (the head can still decline it at any time). */
  laPreApproval: boolean;
}

export const defaultSchoolSettings: SchoolSettings = {
  unallocationThresholdPercent: 10,
  heldChangesMin: 5,
  updateThresholdPercent: 75,
  graceDays: 0,
  preProvisionDays: 0,
  usernameFrom: 'preferred',
  paused: false,
  exportTime: '18:00',
  attendanceRetentionDays: 35,
  leaverVisibleDays: 365,
  laPreApproval: true,
};

export interface School {
  dfeNumber: string;
  name: string;
  laCode: string;
  mis: string;
  /** Set by `uso schools set-mis DFE integris`: the next Integris export re-keys accounts instead of churning them. */
  misChangePending?: { from: string; at: string };
  acceptedReports: ReportName[];
  /** Reports no longer shared or accepted, and since when: their stored data is erased after the grace period. */
  dropped?: Partial<Record<ReportName, string>>;
  /** When the data of a revoked grant was erased (so it is done once per revoke). */
  revokeErasedAt?: string;
  grant: {
    state: 'granted' | 'revoked' | 'unknown';
    grantedAt?: string;
    revokedAt?: string;
    permissions?: ReportName[];
  };
  settings: SchoolSettings;
}

/** An account with no active association left is in the unallocated pool. */
export function accountStatus(associations: readonly Association[]): Account['status'] {
  return associations.some((x) => x.status === 'active') ? 'active' : 'unallocated';
}

/** Settings as stored, over the defaults (a store of an earlier shape is migrated first: store/migrations.ts). */
export function mergeSettings(partial: Partial<SchoolSettings> | undefined): SchoolSettings {
  return { ...defaultSchoolSettings, ...partial };
}

/** The MIS a school may be recorded on (`schools set-mis`, a head's "we moved to Integris from ..."). */
export const KNOWN_MIS = [
  'integris',
  'sims',
  'arbor',
  'bromcom',
  'scholarpack',
  'isams',
  'pupil-asset',
  'engage',
  'other',
] as const;
export type KnownMis = (typeof KNOWN_MIS)[number];

/** The account's "latest move or create" at a school: its association's own, else (kept before schools had one) the account's. */
export function movedInAt(account: Pick<Account, 'associations' | 'latestMoveOrCreateAt'>, dfeNumber: string): string {
  const here =
    account.associations.find((x) => x.dfeNumber === dfeNumber && x.status === 'active') ??
    account.associations.filter((x) => x.dfeNumber === dfeNumber).at(-1);
  return here?.movedInAt ?? account.latestMoveOrCreateAt;
}
