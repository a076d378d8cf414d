// Integris records as the sync's generic MIS people: what identifies them, their dates, and their association.
import type { IsoDate } from '../../domain/dates.js';
import type { Association, PersonFields } from '../../domain/model.js';
import type { Group, Staff, Student } from '../../domain/records.js';

export interface MisPerson {
  report: 'students' | 'staff';
  personId: string;
  fields: PersonFields;
  startDate: IsoDate;
  endDate?: IsoDate;
  /** The association's MIS-driven fields at this school. */
  association: Pick<Association, 'role' | 'enrolmentStatus' | 'yearGroup' | 'registrationGroup' | 'roles' | 'groups'>;
}

function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

export function groupsByPerson(groups: readonly Group[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const g of groups) {
    for (const id of [...g.studentPersonIds, ...g.staffPersonIds]) {
      const list = map.get(id) ?? [];
      list.push(g.name);
      map.set(id, list);
    }
  }
  for (const list of map.values()) list.sort();
  return map;
}

export function studentToPerson(s: Student, groups: Map<string, string[]>): MisPerson {
  return {
    report: 'students',
    personId: s.personId,
    fields: compact({
      kind: 'pupil' as const,
      legalForename: s.legalForename,
      legalSurname: s.legalSurname,
      middleNames: s.middleNames,
      preferredForename: s.preferredForename,
      preferredSurname: s.preferredSurname,
      dateOfBirth: s.dateOfBirth,
      gender: s.gender,
      upn: s.upn,
      email: s.email,
    }),
    startDate: s.admissionDate,
    endDate: s.leavingDate,
    association: compact({
      role: 'pupil' as const,
      enrolmentStatus: s.enrolmentStatus,
      yearGroup: s.yearGroup,
      registrationGroup: s.registrationGroup,
      groups: groups.get(s.personId),
    }),
  };
}

export function staffToPerson(s: Staff, groups: Map<string, string[]>, today: IsoDate): MisPerson {
  const current = s.roles.filter((r) => r.startDate <= today && (!r.endDate || r.endDate >= today)).map((r) => r.role);
  return {
    report: 'staff',
    personId: s.personId,
    fields: compact({
      kind: 'staff' as const,
      title: s.title,
      legalForename: s.legalForename,
      legalSurname: s.legalSurname,
      preferredForename: s.preferredForename,
      preferredSurname: s.preferredSurname,
      dateOfBirth: s.dateOfBirth,
      gender: s.gender,
      email: s.email,
    }),
    startDate: s.employmentStartDate,
    endDate: s.employmentEndDate,
    association: compact({
      role: 'staff' as const,
      roles: [...new Set(current)].sort(),
      groups: groups.get(s.personId),
    }),
  };
}
