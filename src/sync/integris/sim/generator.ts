// A seeded synthetic local authority in the shape Integris Datashare serves: schools, pupils with valid UPNs,
// staff, contacts, groups and attendance; and one night's ageing (leavers, starters, name changes, moves within
// the LA, a returning pupil, twins, staff at two schools). Same seed, same data.
import { Faker, base, en, en_GB } from '@faker-js/faker';
import { academicYearStart, addDays, isWeekday, type IsoDate } from '../../../domain/dates.js';
import { makeUpn } from '../../../domain/upn.js';
import type { AttendanceMark, Contact, ReportName, Staff, Student } from '../../../domain/records.js';
import { forenamesBySex, placeWords, shortForms, staffRoles, subjects, surnames } from './names.js';
import type { SimSchool, SimLocalAuthority, Change } from './types.js';

const allReports: ReportName[] = ['students', 'staff', 'contacts', 'groups', 'attendance'];
const yearLabels = ['R', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13'];

function fakerFor(seed: number): Faker {
  const f = new Faker({ locale: [en_GB, en, base] });
  f.seed(seed);
  return f;
}

class Builder {
  constructor(
    readonly f: Faker,
    readonly la: SimLocalAuthority,
  ) {}

  id(prefix: string): string {
    return `${prefix}${String(this.la.nextId++).padStart(7, '0')}`;
  }

  sex(): 'M' | 'F' {
    return this.f.datatype.boolean() ? 'M' : 'F';
  }

  forename(sex: 'M' | 'F'): string {
    return this.f.number.int(9) < 2
      ? this.f.helpers.arrayElement(forenamesBySex[sex])
      : this.f.person.firstName(sex === 'M' ? 'male' : 'female');
  }

  surname(): string {
    const roll = this.f.number.int(99);
    if (roll < 25) return this.f.helpers.arrayElement(surnames);
    if (roll < 30) return `${this.f.person.lastName()}-${this.f.person.lastName()}`;
    return this.f.person.lastName();
  }

  /** Date of birth for a year group in the academic year of `today` (R = age 4 on 1 September). */
  dobForYear(yearIndex: number): IsoDate {
    const start = academicYearStart(this.la.today) - 5 - yearIndex;
    return addDays(`${start}-09-01`, this.f.number.int(364));
  }

  student(
    school: SimSchool,
    yearIndex: number,
    registrationGroup: string,
    admissionDate: IsoDate,
    surname?: string,
  ): Student {
    const sex = this.sex();
    const forename = this.forename(sex);
    const student: Student = {
      personId: this.id('S'),
      upn: this.upn(school, admissionDate),
      legalForename: forename,
      legalSurname: surname ?? this.surname(),
      dateOfBirth: this.dobForYear(yearIndex),
      gender: sex,
      yearGroup: yearLabels[yearIndex],
      registrationGroup,
      admissionDate,
      enrolmentStatus: 'C',
    };
    if (this.f.number.int(99) < 8) student.middleNames = this.forename(sex);
    const short = shortForms[forename];
    if (short && this.f.datatype.boolean()) student.preferredForename = short;
    return student;
  }

  upn(school: SimSchool, admissionDate: IsoDate): string {
    const year = String(Number(admissionDate.slice(0, 4)) % 100);
    const serial = (school.upnSerials[year] ?? 0) + 1;
    if (serial > 999) throw new Error(`UPN serials exhausted for ${school.dfeNumber} in year ${year}`);
    school.upnSerials[year] = serial;
    return makeUpn(school.laCode, school.dfeNumber.slice(3), Number(year), serial);
  }

  staff(school: SimSchool, role: string, startDate: IsoDate): Staff {
    const sex = this.sex();
    const forename = this.forename(sex);
    const surname = this.surname();
    const member: Staff = {
      personId: this.id('T'),
      title: sex === 'M' ? 'Mr' : this.f.helpers.arrayElement(['Mrs', 'Ms', 'Miss']),
      legalForename: forename,
      legalSurname: surname,
      dateOfBirth: addDays('1960-01-01', this.f.number.int(365 * 40)),
      gender: sex,
      staffCode: `${forename[0]}${surname.replace(/[^A-Za-z]/g, '')[0] ?? 'X'}${this.f.string.alpha({ length: 1, casing: 'upper' })}`,
      roles: [{ role, startDate }],
      employmentStartDate: startDate,
      email: `${this.f.string.alpha({ length: 6, casing: 'lower' })}.${school.dfeNumber}@schools.example.org.uk`,
    };
    const short = shortForms[forename];
    if (short && this.f.number.int(3) === 0) member.preferredForename = short;
    return member;
  }

  contactsFor(students: Student[]): Contact[] {
    const contacts: Contact[] = [];
    const count = this.f.number.int({ min: 1, max: 2 });
    for (let i = 0; i < count; i++) {
      const sex = i === 0 ? 'F' : 'M';
      const withPriority = this.f.number.int(4) > 0;
      contacts.push({
        contactId: this.id('C'),
        title: sex === 'F' ? 'Mrs' : 'Mr',
        forename: this.forename(sex),
        surname: students[0]!.legalSurname,
        email: `${this.f.string.alpha({ length: 8, casing: 'lower' })}@example.com`,
        phones: [{ type: 'Mobile', number: `07${this.f.string.numeric(9)}` }],
        relationships: students.map((s) => ({
          studentPersonId: s.personId,
          relationship: sex === 'F' ? 'Mother' : 'Father',
          ...(withPriority ? { priority: i + 1 } : {}),
          parentalResponsibility: true,
          livesWithStudent: this.f.number.int(9) > 0,
        })),
      });
    }
    return contacts;
  }

  attendanceFor(students: Student[], days: IsoDate[]): AttendanceMark[] {
    const marks: AttendanceMark[] = [];
    const codes = ['/', '\\', 'L', 'I', 'M', 'N', 'O', 'C', 'B', 'U'];
    for (const s of students) {
      for (const date of days) {
        for (const session of ['AM', 'PM'] as const) {
          const roll = this.f.number.int(99);
          const mark = roll < 92 ? (session === 'AM' ? '/' : '\\') : this.f.helpers.arrayElement(codes);
          marks.push({
            studentPersonId: s.personId,
            date,
            session,
            mark,
            ...(mark === 'L' ? { minutesLate: this.f.number.int({ min: 1, max: 40 }) } : {}),
          });
        }
      }
    }
    return marks;
  }
}

function recentSchoolDays(today: IsoDate, count: number): IsoDate[] {
  const days: IsoDate[] = [];
  for (let d = today; days.length < count; d = addDays(d, -1)) if (isWeekday(d)) days.unshift(d);
  return days;
}

function buildSchool(b: Builder, index: number, sizeFactor: number): SimSchool {
  const { f, la } = b;
  const phase = index % 4 === 3 ? 'secondary' : 'primary';
  const establishment = phase === 'secondary' ? 4000 + index : 2000 + index;
  const school: SimSchool = {
    dfeNumber: `${la.laCode}${establishment}`,
    name: `${f.helpers.arrayElement(placeWords)} ${phase === 'secondary' ? 'Academy' : 'Primary School'}`,
    laCode: la.laCode,
    phase,
    grantedAt: `${addDays(la.today, -f.number.int({ min: 30, max: 400 }))}T09:00:00Z`,
    permissions: allReports,
    revoked: false,
    students: [],
    staff: [],
    contacts: [],
    groups: [],
    attendance: [],
    updatedAt: {},
    formerStudents: [],
    upnSerials: {},
  };
  const years = phase === 'secondary' ? [7, 8, 9, 10, 11, 12, 13] : [0, 1, 2, 3, 4, 5, 6];
  const target = Math.max(
    30,
    Math.round(
      (phase === 'secondary' ? f.number.int({ min: 900, max: 1600 }) : f.number.int({ min: 200, max: 450 })) *
        sizeFactor,
    ),
  );
  const perYear = Math.ceil(target / years.length);
  const academicYear = `${academicYearStart(la.today)}/${String(academicYearStart(la.today) + 1).slice(2)}`;
  const firstYear = years[0]!;

  const staffCount = Math.max(4, Math.round(target / 12));
  const head = b.staff(school, 'Headteacher', addDays(la.today, -f.number.int({ min: 400, max: 4000 })));
  school.staff.push(head);
  for (let i = 1; i < staffCount; i++) {
    const role = i % 3 === 0 ? f.helpers.arrayElement(staffRoles) : 'Teacher';
    school.staff.push(b.staff(school, role, addDays(la.today, -f.number.int({ min: 20, max: 6000 }))));
  }
  const teachers = school.staff.filter((s) => s.roles.some((r) => r.role === 'Teacher'));

  for (const year of years) {
    const label = yearLabels[year]!;
    const forms = Math.max(1, Math.round(perYear / 30));
    const yearMembers: Student[] = [];
    for (let form = 0; form < forms; form++) {
      const groupName = `${label}${String.fromCharCode(65 + form)}`;
      const members: Student[] = [];
      const admission = `${academicYearStart(la.today) - (year - firstYear)}-09-0${f.number.int({ min: 1, max: 7 })}`;
      while (members.length < Math.round(perYear / forms)) {
        const first = b.student(school, year, groupName, admission);
        members.push(first);
        if (f.number.int(99) < 12) {
          // a sibling in another year would be realistic too; a same-year sibling keeps the family's contacts shared
          const sibling = b.student(school, year, groupName, admission, first.legalSurname);
          members.push(sibling);
          school.contacts.push(...b.contactsFor([first, sibling]));
        } else {
          school.contacts.push(...b.contactsFor([first]));
        }
      }
      const tutor = teachers[(year * 7 + form) % teachers.length]!;
      school.groups.push({
        groupId: b.id('G'),
        name: groupName,
        type: 'registration',
        academicYear,
        staffPersonIds: [tutor.personId],
        studentPersonIds: members.map((m) => m.personId),
      });
      yearMembers.push(...members);
    }
    school.groups.push({
      groupId: b.id('G'),
      name: `Year ${label}`,
      type: 'year',
      academicYear,
      staffPersonIds: [],
      studentPersonIds: yearMembers.map((m) => m.personId),
    });
    if (phase === 'secondary') {
      for (const subject of subjects.slice(0, 3)) {
        const sets = Math.max(1, Math.round(yearMembers.length / 30));
        for (let set = 0; set < sets; set++) {
          school.groups.push({
            groupId: b.id('G'),
            name: `${label}${subject.slice(0, 2)}${set + 1}`,
            type: 'teaching',
            subject,
            academicYear,
            staffPersonIds: [teachers[(set + subject.length) % teachers.length]!.personId],
            studentPersonIds: yearMembers.filter((_, i) => i % sets === set).map((m) => m.personId),
          });
        }
      }
    }
    school.students.push(...yearMembers);
  }
  // pupils who left earlier this year and are no longer reported; one may come back
  for (let i = 0; i < 3; i++) {
    const year = f.helpers.arrayElement(years);
    const former = b.student(school, year, `${yearLabels[year]}A`, `${academicYearStart(la.today) - 1}-09-05`);
    former.leavingDate = addDays(la.today, -f.number.int({ min: 20, max: 200 }));
    school.formerStudents.push(former);
  }
  school.attendance = b.attendanceFor(school.students, recentSchoolDays(la.today, 5));
  const stamp = `${addDays(la.today, -1)}T18:00:00Z`;
  for (const s of school.students) school.updatedAt[s.personId] = stamp;
  for (const s of school.staff) school.updatedAt[s.personId] = stamp;
  for (const c of school.contacts) school.updatedAt[c.contactId] = stamp;
  return school;
}

/** `sizeFactor` scales school rolls (1 = realistic sizes; tests use less to stay quick on the embedded store). */
export function generateLocalAuthority(options: {
  seed: number;
  schools: number;
  laCode?: string;
  today?: IsoDate;
  sizeFactor?: number;
}): SimLocalAuthority {
  const la: SimLocalAuthority = {
    laCode: options.laCode ?? '209',
    seed: options.seed,
    today: options.today ?? '2026-11-27',
    night: 0,
    nextId: 1,
    schools: [],
  };
  const b = new Builder(fakerFor(options.seed), la);
  for (let i = 0; i < options.schools; i++) la.schools.push(buildSchool(b, i, options.sizeFactor ?? 1));
  // a few dual-registered pupils: main (M) at one school, subsidiary (S) at another, one UPN
  for (let i = 0; i + 1 < la.schools.length && i < 3; i++) {
    const main = la.schools[i]!.students[5 + i]!;
    main.enrolmentStatus = 'M';
    const other = la.schools[i + 1]!;
    const subsidiary: Student = { ...main, personId: b.id('S'), enrolmentStatus: 'S', registrationGroup: undefined };
    delete subsidiary.registrationGroup;
    other.students.push(subsidiary);
    other.updatedAt[subsidiary.personId] = other.updatedAt[main.personId] ?? `${la.today}T00:00:00Z`;
  }
  return la;
}

/**
 * Moves the LA on by one school night: the next weekday becomes today, and every kind of change happens at least
 * once somewhere (the change log says where). Deterministic for a given LA state.
 */
export function ageOneNight(la: SimLocalAuthority): Change[] {
  la.night += 1;
  let next = addDays(la.today, 1);
  while (!isWeekday(next)) next = addDays(next, 1);
  la.today = next;
  const f = fakerFor(la.seed * 7919 + la.night);
  const b = new Builder(f, la);
  const stamp = `${la.today}T17:00:00Z`;
  const changes: Change[] = [];
  const touch = (school: SimSchool, id: string) => (school.updatedAt[id] = stamp);
  const active = la.schools.filter((s) => !s.revoked);
  const pick = <T>(xs: T[]) => f.helpers.arrayElement(xs);
  const singleRegistered = (s: SimSchool) => s.students.filter((p) => p.enrolmentStatus === 'C' && !p.leavingDate);

  for (const school of active) {
    // leavers: half keep a record with a leaving date, half disappear from the report
    const leavers = f.number.int({ min: 1, max: Math.max(1, Math.round(school.students.length / 150)) });
    for (let i = 0; i < leavers; i++) {
      const pupil = pick(singleRegistered(school));
      if (i % 2 === 0) {
        pupil.leavingDate = addDays(la.today, -1);
        touch(school, pupil.personId);
      } else {
        school.students = school.students.filter((p) => p !== pupil);
        school.formerStudents.push({ ...pupil, leavingDate: addDays(la.today, -1) });
      }
      changes.push({ kind: 'leaver', dfeNumber: school.dfeNumber, personId: pupil.personId });
    }
    // new starters today, and one who starts in a few weeks
    const starters = f.number.int({ min: 1, max: 3 });
    for (let i = 0; i < starters; i++) {
      const yearIndex = Number(pick(school.students).yearGroup?.replace('R', '0') ?? 0);
      const pupil = b.student(
        school,
        yearIndex,
        pick(school.groups.filter((g) => g.type === 'registration')).name,
        la.today,
      );
      addStudent(school, pupil, b, stamp);
      changes.push({ kind: 'new_starter', dfeNumber: school.dfeNumber, personId: pupil.personId });
    }
    const future = b.student(
      school,
      Number(school.students[0]!.yearGroup?.replace('R', '0') ?? 0),
      school.groups[0]!.name,
      addDays(la.today, f.number.int({ min: 10, max: 50 })),
    );
    addStudent(school, future, b, stamp);
    changes.push({ kind: 'future_starter', dfeNumber: school.dfeNumber, personId: future.personId });
  }

  const [first, second, third] = active;
  if (first && second) {
    // a change of surname (e.g. a double-barrelled name after a marriage) and a class change
    const renamed = pick(singleRegistered(first));
    renamed.legalSurname = `${renamed.legalSurname}-${f.person.lastName()}`;
    touch(first, renamed.personId);
    changes.push({ kind: 'name_change', dfeNumber: first.dfeNumber, personId: renamed.personId });
    const regGroups = first.groups.filter((g) => g.type === 'registration');
    const mover = pick(singleRegistered(first).filter((p) => p !== renamed));
    const from = regGroups.find((g) => g.studentPersonIds.includes(mover.personId));
    const to =
      regGroups.find((g) => g !== from && g.name.replace(/[A-Z]$/, '') === mover.yearGroup) ??
      regGroups.find((g) => g !== from);
    if (from && to) {
      from.studentPersonIds = from.studentPersonIds.filter((id) => id !== mover.personId);
      to.studentPersonIds.push(mover.personId);
      mover.registrationGroup = to.name;
      touch(first, mover.personId);
      changes.push({ kind: 'class_change', dfeNumber: first.dfeNumber, personId: mover.personId });
    }
    // a pupil moves to another school of the LA: absent here, a new person id there, the same UPN
    const moving = pick(singleRegistered(first).filter((p) => p !== renamed && p !== mover));
    first.students = first.students.filter((p) => p !== moving);
    const arrived: Student = {
      ...moving,
      personId: b.id('S'),
      admissionDate: la.today,
      registrationGroup: second.groups[0]!.name,
    };
    addStudent(second, arrived, b, stamp);
    changes.push({
      kind: 'moved_school',
      dfeNumber: second.dfeNumber,
      personId: arrived.personId,
      otherDfeNumber: first.dfeNumber,
    });
    // a member of staff starts at a second school as well
    const shared = pick(first.staff);
    const secondPost: Staff = {
      ...shared,
      personId: b.id('T'),
      employmentStartDate: la.today,
      roles: [{ role: 'Teacher', startDate: la.today }],
    };
    second.staff.push(secondPost);
    touch(second, secondPost.personId);
    changes.push({
      kind: 'staff_second_school',
      dfeNumber: second.dfeNumber,
      personId: secondPost.personId,
      otherDfeNumber: first.dfeNumber,
    });
  }
  const target = third ?? first;
  if (target) {
    // twins start together: same surname and birthday, different forenames
    const yearIndex = Number(target.students[0]!.yearGroup?.replace('R', '0') ?? 0);
    const group = target.groups.find((g) => g.type === 'registration')!.name;
    const twinA = b.student(target, yearIndex, group, la.today);
    const twinB = b.student(target, yearIndex, group, la.today, twinA.legalSurname);
    twinB.dateOfBirth = twinA.dateOfBirth;
    if (twinB.legalForename === twinA.legalForename) twinB.legalForename = `${twinA.legalForename}a`;
    for (const twin of [twinA, twinB]) {
      addStudent(target, twin, b, stamp);
      changes.push({ kind: 'twins', dfeNumber: target.dfeNumber, personId: twin.personId });
    }
    // a pupil who left earlier comes back under the same person id
    const returning = target.formerStudents.shift();
    if (returning) {
      delete returning.leavingDate;
      returning.admissionDate = la.today;
      addStudent(target, returning, b, stamp);
      changes.push({ kind: 'returning_pupil', dfeNumber: target.dfeNumber, personId: returning.personId });
    }
    // a member of staff leaves
    const leaving = target.staff[target.staff.length - 1]!;
    leaving.employmentEndDate = addDays(la.today, -1);
    touch(target, leaving.personId);
    changes.push({ kind: 'staff_leaver', dfeNumber: target.dfeNumber, personId: leaving.personId });
  }
  for (const school of active) {
    const days = recentSchoolDays(la.today, 5);
    school.attendance = school.attendance.filter((m) => days.includes(m.date));
    const known = new Set(school.attendance.filter((m) => m.date === la.today).map((m) => m.studentPersonId));
    school.attendance.push(
      ...b.attendanceFor(
        school.students.filter((s) => !known.has(s.personId) && !s.leavingDate && s.admissionDate <= la.today),
        [la.today],
      ),
    );
  }
  return changes;
}

function addStudent(school: SimSchool, pupil: Student, b: Builder, stamp: string): void {
  school.students.push(pupil);
  school.contacts.push(...b.contactsFor([pupil]));
  school.updatedAt[pupil.personId] = stamp;
  const group = school.groups.find((g) => g.type === 'registration' && g.name === pupil.registrationGroup);
  group?.studentPersonIds.push(pupil.personId);
}
