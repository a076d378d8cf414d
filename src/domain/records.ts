// The records of the Integris Datashare contract (shared/integris-datashare.md), as zod schemas with inferred
// types. Records are parsed one by one so one bad record is reported and the rest of the report goes on.
// Names are kept exactly as sent: no trimming, case folding or Unicode normalisation here.
import { z } from 'zod';
import { isValidUpn } from './upn.js';

export const reportNames = ['students', 'staff', 'contacts', 'groups', 'attendance'] as const;
export type ReportName = (typeof reportNames)[number];
export const reportNameSchema = z.enum(reportNames);

/** A real day of the Gregorian calendar (checked by arithmetic: exports hold thousands of dates). */
function isCalendarDate(s: string): boolean {
  const year = Number(s.slice(0, 4));
  const month = Number(s.slice(5, 7));
  const day = Number(s.slice(8, 10));
  if (!(month >= 1 && month <= 12 && day >= 1)) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return day <= days;
}

export const isoDate = z
  .string({ error: (i) => (i.input === undefined ? 'is required' : 'expected a date YYYY-MM-DD') })
  .regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'expected a date YYYY-MM-DD', abort: true })
  .refine(isCalendarDate, 'is not a real calendar date');

const id = z
  .string({ error: (i) => (i.input === undefined ? 'is required' : 'expected a string id') })
  .min(1, 'is empty');
const name = z
  .string({ error: (i) => (i.input === undefined ? 'is required' : 'expected text') })
  .refine((s) => s.trim().length > 0, 'is empty');
const optionalName = name.optional();
const gender = z.enum(['M', 'F', 'X', 'U'], { error: 'expected M, F, X or U' });
const personNames = {
  legalForename: name,
  legalSurname: name,
  preferredForename: optionalName,
  preferredSurname: optionalName,
};

export const studentSchema = z.object({
  personId: id,
  upn: z.string().refine(isValidUpn, 'is not a valid UPN (format or check letter)').optional(),
  ...personNames,
  middleNames: z.string().optional(),
  dateOfBirth: isoDate,
  gender,
  yearGroup: z
    .string()
    .regex(/^(R|N1|N2|[1-9]|1[0-4])$/, 'expected R, N1, N2 or 1-14')
    .optional(),
  registrationGroup: z.string().optional(),
  house: z.string().optional(),
  admissionDate: isoDate,
  leavingDate: isoDate.optional(),
  enrolmentStatus: z.enum(['C', 'M', 'S', 'G'], { error: 'expected enrolment status C, M, S or G' }),
  email: z.email('is not an email address').optional(),
});
export type Student = z.infer<typeof studentSchema>;

export const staffSchema = z.object({
  personId: id,
  title: z.string().optional(),
  ...personNames,
  dateOfBirth: isoDate.optional(),
  gender: gender.optional(),
  staffCode: z.string().optional(),
  roles: z.array(z.object({ role: z.string().min(1), startDate: isoDate, endDate: isoDate.optional() })),
  employmentStartDate: isoDate,
  employmentEndDate: isoDate.optional(),
  email: z.email('is not an email address').optional(),
  teacherReferenceNumber: z.string().optional(),
});
export type Staff = z.infer<typeof staffSchema>;

export const contactSchema = z.object({
  contactId: id,
  title: z.string().optional(),
  forename: name,
  surname: name,
  email: z.email('is not an email address').optional(),
  phones: z.array(z.object({ type: z.string(), number: z.string() })),
  address: z.string().optional(),
  relationships: z.array(
    z.object({
      studentPersonId: id,
      relationship: z.string(),
      priority: z.number().int().min(1).optional(),
      parentalResponsibility: z.boolean(),
      livesWithStudent: z.boolean().optional(),
    }),
  ),
});
export type Contact = z.infer<typeof contactSchema>;

export const groupSchema = z.object({
  groupId: id,
  name: z.string().min(1),
  type: z.enum(['registration', 'teaching', 'year', 'house', 'other']),
  subject: z.string().optional(),
  academicYear: z.string().min(1),
  staffPersonIds: z.array(z.string()),
  studentPersonIds: z.array(z.string()),
  startDate: isoDate.optional(),
  endDate: isoDate.optional(),
});
export type Group = z.infer<typeof groupSchema>;

export const attendanceMarkSchema = z.object({
  studentPersonId: id,
  date: isoDate,
  session: z.enum(['AM', 'PM']),
  mark: z.string().min(1).max(1),
  minutesLate: z.number().int().min(0).optional(),
});
export type AttendanceMark = z.infer<typeof attendanceMarkSchema>;

export interface ReportRecords {
  students: Student;
  staff: Staff;
  contacts: Contact;
  groups: Group;
  attendance: AttendanceMark;
}

export const recordSchemas: { [R in ReportName]: z.ZodType<ReportRecords[R]> } = {
  students: studentSchema,
  staff: staffSchema,
  contacts: contactSchema,
  groups: groupSchema,
  attendance: attendanceMarkSchema,
};

const idField: Record<ReportName, string> = {
  students: 'personId',
  staff: 'personId',
  contacts: 'contactId',
  groups: 'groupId',
  attendance: 'studentPersonId',
};

export interface InvalidRecord {
  report: ReportName;
  /** The record's id when it has one, else `#<index>` in the report. */
  id: string;
  field: string;
  reason: string;
}

/** Parses a report record by record: valid records in order, and one entry per problem of each invalid record. */
export function parseReport<R extends ReportName>(
  report: R,
  raw: readonly unknown[],
): { records: ReportRecords[R][]; invalid: InvalidRecord[] } {
  const records: ReportRecords[R][] = [];
  const invalid: InvalidRecord[] = [];
  const schema = recordSchemas[report];
  raw.forEach((item, index) => {
    const parsed = schema.safeParse(item);
    if (parsed.success) {
      records.push(parsed.data);
      return;
    }
    const rawId = item && typeof item === 'object' ? (item as Record<string, unknown>)[idField[report]] : undefined;
    const recordId = typeof rawId === 'string' && rawId ? rawId : `#${index}`;
    for (const issue of parsed.error.issues) {
      invalid.push({ report, id: recordId, field: issue.path.join('.') || '(record)', reason: issue.message });
    }
  });
  return { records, invalid };
}

export const pageSchema = z.object({
  data: z.array(z.unknown()),
  meta: z.object({
    page: z.number().int().min(1),
    pageSize: z.number().int().min(1),
    totalRecords: z.number().int().min(0),
    totalPages: z.number().int().min(0),
  }),
});

/** A school's DfE number (LA code and establishment number), as Integris, the webhooks, chat and the CLI give it. */
export const dfeNumberSchema = z
  .string({ error: 'a DfE number is required' })
  .regex(/^\d{7}$/, 'expected a 7-digit DfE number');

export const grantedSchoolSchema = z.object({
  dfeNumber: dfeNumberSchema,
  name: z.string().min(1),
  laCode: z.string().regex(/^\d{3}$/),
  grantedAt: z.string(),
  permissions: z.array(reportNameSchema),
});
export type GrantedSchool = z.infer<typeof grantedSchoolSchema>;

export const exportFileSchema = z.object({
  dfeNumber: dfeNumberSchema,
  exportedAt: z.iso.datetime({ offset: true }),
  source: z.literal('integris'),
  /** Set on webhook-triggered partial exports: only changed records, so absence means nothing. */
  updatedSince: z.iso.datetime({ offset: true }).optional(),
  reports: z.object({
    students: z.array(z.unknown()).optional(),
    staff: z.array(z.unknown()).optional(),
    contacts: z.array(z.unknown()).optional(),
    groups: z.array(z.unknown()).optional(),
    attendance: z.array(z.unknown()).optional(),
  }),
  completeness: z.partialRecord(
    reportNameSchema,
    z.object({ totalRecords: z.number().int().min(0), pages: z.number().int().min(0) }),
  ),
});
export type ExportFile = z.infer<typeof exportFileSchema>;
