// What the simulator makes: a generated local authority of schools with their reports, and the changes a night
// brings.
import type { IsoDate } from '../../../domain/dates.js';
import type { AttendanceMark, Contact, Group, ReportName, Staff, Student } from '../../../domain/records.js';

export interface SimSchool {
  dfeNumber: string;
  name: string;
  laCode: string;
  phase: 'primary' | 'secondary';
  grantedAt: string;
  permissions: ReportName[];
  revoked: boolean;
  students: Student[];
  staff: Staff[];
  contacts: Contact[];
  groups: Group[];
  attendance: AttendanceMark[];
  /** Record id -> when it last changed; drives `updatedSince`. */
  updatedAt: Record<string, string>;
  /** Pupils who left and are no longer reported; one may return. */
  formerStudents: Student[];
  /** Last UPN serial issued per two-digit year, so every UPN is unique. */
  upnSerials: Record<string, number>;
}

export interface SimLocalAuthority {
  laCode: string;
  seed: number;
  today: IsoDate;
  night: number;
  nextId: number;
  schools: SimSchool[];
}

export type ChangeKind =
  | 'leaver'
  | 'staff_leaver'
  | 'new_starter'
  | 'future_starter'
  | 'name_change'
  | 'class_change'
  | 'moved_school'
  | 'returning_pupil'
  | 'twins'
  | 'staff_second_school';

export interface Change {
  kind: ChangeKind;
  dfeNumber: string;
  personId: string;
  /** For moves and second schools: the other school. */
  otherDfeNumber?: string;
}
