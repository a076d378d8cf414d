// Builders for planner tests: schools, MIS people and accounts with sensible defaults.
import type { MisPerson } from '../../src/sync/integris/people.js';
import {
  defaultSchoolSettings,
  type Account,
  type Association,
  type School,
  type SchoolSettings,
} from '../../src/domain/model.js';
import type { Plan, PlanInput } from '../../src/sync/plan-types.js';
import { usernameCandidates } from '../../src/domain/usernames.js';

export const TODAY = '2026-11-27';
export const NOW = '2026-11-27T18:30:00.000Z';
const EARLIER = '2026-09-01T08:00:00.000Z';

export function school(
  dfeNumber = '2092000',
  settings: Partial<SchoolSettings> = {},
  extra: Partial<School> = {},
): School {
  return {
    dfeNumber,
    name: `School ${dfeNumber}`,
    laCode: dfeNumber.slice(0, 3),
    mis: 'integris',
    acceptedReports: ['students', 'staff'],
    grant: { state: 'granted' },
    settings: { ...defaultSchoolSettings, ...settings },
    ...extra,
  };
}

let counter = 0;
export function pupil(
  overrides: Partial<MisPerson['fields']> & {
    personId?: string;
    startDate?: string;
    endDate?: string;
    enrolmentStatus?: 'C' | 'M' | 'S' | 'G';
    registrationGroup?: string;
  } = {},
): MisPerson {
  const { personId, startDate, endDate, enrolmentStatus, registrationGroup, ...fields } = overrides;
  counter++;
  return {
    report: 'students',
    personId: personId ?? `S${counter}`,
    fields: {
      kind: 'pupil',
      legalForename: 'Amelia',
      legalSurname: 'Hughes',
      dateOfBirth: '2015-04-12',
      gender: 'F',
      ...fields,
    },
    startDate: startDate ?? '2020-09-03',
    ...(endDate ? { endDate } : {}),
    association: {
      role: 'pupil',
      enrolmentStatus: enrolmentStatus ?? 'C',
      yearGroup: '6',
      registrationGroup: registrationGroup ?? '6A',
    },
  };
}

export function staffMember(
  overrides: Partial<MisPerson['fields']> & { personId?: string; startDate?: string; endDate?: string } = {},
): MisPerson {
  const { personId, startDate, endDate, ...fields } = overrides;
  counter++;
  return {
    report: 'staff',
    personId: personId ?? `T${counter}`,
    fields: {
      kind: 'staff',
      legalForename: 'Daniel',
      legalSurname: 'Okafor',
      dateOfBirth: '1980-02-02',
      gender: 'M',
      ...fields,
    },
    startDate: startDate ?? '2019-01-07',
    ...(endDate ? { endDate } : {}),
    association: { role: 'staff', roles: ['Teacher'] },
  };
}

/** An account linked to `person` at `at`, as the sync would have left it after an earlier processed export. */
export function linkedAccount(
  username: string,
  person: MisPerson,
  at: School,
  extra: Partial<Association> = {},
): Account {
  const association: Association = {
    dfeNumber: at.dfeNumber,
    laCode: at.laCode,
    role: person.association.role,
    status: 'active',
    source: 'mis',
    misPersonId: person.personId,
    since: person.startDate,
    seenAt: '2026-11-20',
    ...(person.association.enrolmentStatus ? { enrolmentStatus: person.association.enrolmentStatus } : {}),
    ...(person.association.yearGroup ? { yearGroup: person.association.yearGroup } : {}),
    ...(person.association.registrationGroup ? { registrationGroup: person.association.registrationGroup } : {}),
    ...(person.association.roles ? { roles: person.association.roles } : {}),
    ...extra,
  };
  return {
    ...person.fields,
    username,
    associations: [association],
    status: 'active',
    createdAt: EARLIER,
    updatedAt: EARLIER,
    latestMoveOrCreateAt: EARLIER,
    version: 1,
  };
}

export function manualAccount(username: string, fields: Partial<Account> & { at: School }): Account {
  const { at, ...rest } = fields;
  return {
    kind: 'pupil',
    legalForename: 'Manual',
    legalSurname: 'Person',
    username,
    associations: [
      {
        dfeNumber: at.dfeNumber,
        laCode: at.laCode,
        role: rest.kind ?? 'pupil',
        status: 'active',
        source: 'manual',
        since: '2026-09-01',
      },
    ],
    status: 'active',
    createdAt: EARLIER,
    updatedAt: EARLIER,
    latestMoveOrCreateAt: EARLIER,
    version: 1,
    ...rest,
  };
}

export function input(partial: Partial<PlanInput> & Pick<PlanInput, 'school'>): PlanInput {
  return {
    people: [],
    invalid: [],
    fullReports: new Set(['students', 'staff']),
    complete: true,
    accounts: [],
    exclusions: new Set(),
    createAnyway: new Set(),
    today: TODAY,
    now: NOW,
    ...partial,
  };
}

/** What the store would hold after applying a plan: for property tests of the pure planner. */
export function applyInMemory(accounts: readonly Account[], plan: Plan): Account[] {
  const byName = new Map(accounts.map((a) => [a.username, a]));
  for (const { after } of plan.updates) byName.set(after.username, { ...after, version: after.version + 1 });
  for (const c of plan.creates) {
    const username = usernameCandidates(c.usernameBase, 40).find((u) => !byName.has(u))!;
    byName.set(username, { ...c.account, username });
  }
  return [...byName.values()];
}

export const outcomeOf = (plan: Plan, personId: string) => plan.outcomes.find((o) => o.personId === personId);

/** An account as the store holds it: a pupil, no associations unless given, created today. */
export function storedAccount(username: string, over: Partial<Account> = {}): Account {
  return {
    username,
    kind: 'pupil',
    legalForename: 'Test',
    legalSurname: 'Account',
    associations: [],
    status: over.associations?.some((x) => x.status === 'active') ? 'active' : 'unallocated',
    createdAt: TODAY,
    updatedAt: TODAY,
    latestMoveOrCreateAt: TODAY,
    version: 0,
    ...over,
  };
}

/** An active MIS association of a pupil at a school of LA 209 (or the school's own LA). */
export function misLink(dfeNumber: string, misPersonId: string, over: Partial<Association> = {}): Association {
  return {
    dfeNumber,
    laCode: dfeNumber.slice(0, 3),
    role: 'pupil',
    status: 'active',
    source: 'mis',
    misPersonId,
    since: '2020-09-01',
    seenAt: TODAY,
    ...over,
  };
}

/** An active association kept by hand (an account made ahead of the MIS, or restored). */
export function manualLink(dfeNumber: string, since = '2026-11-01'): Association {
  return { dfeNumber, laCode: dfeNumber.slice(0, 3), role: 'pupil', status: 'active', source: 'manual', since };
}
