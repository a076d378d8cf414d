// The forms admins fill in from chat (a Slack modal, a Teams input card), defined once: their fields, the zod
// schema each submission is parsed with at the edge, and what a valid submission does. Both adapters collect the
// submitted values into plain strings (or lists of strings) keyed by field name and call `submitForm`.
import { z } from 'zod';
import { UsoError } from '../errors.js';
import { getAccount } from '../store/accounts.js';
import { getSchool } from '../store/schools.js';
import { isoDate as isoDateSchema, reportNameSchema } from '../domain/records.js';
import { todayIn, addDays } from '../domain/dates.js';
import { KNOWN_MIS } from '../domain/model.js';
import type { Actor } from './access.js';
import type { ActionContext } from './action-base.js';
import type { ButtonData, FormId } from './chat-actions.js';
import * as school from './school-actions.js';
import type { Form, View } from './view-model.js';

export type { Form, FormField } from './view-model.js';

/** Submitted values as both platforms give them: strings, and lists for multiple choice. */
export type Submitted = Record<string, string | string[] | undefined>;

const name = z.string().trim().min(1, 'is required').max(100, 'is too long');
const optionalText = z
  .string()
  .trim()
  .max(100)
  .optional()
  .transform((v) => v || undefined);
const optionalDate = z
  .string()
  .optional()
  .transform((v) => v || undefined)
  .pipe(isoDateSchema.optional());
const percent = z.coerce.number().int('a whole number').min(0).max(100);
const days = z.coerce.number().int('a whole number').min(0).max(60);
const list = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((v) => (Array.isArray(v) ? v : v ? v.split(',') : []).filter(Boolean));

export const formSchemas = {
  exclusion: z.object({ forename: name, surname: name, dob: optionalDate }),
  request: z.object({
    kind: z.enum(['pupil', 'staff'], { error: 'choose pupil or staff' }),
    forename: name,
    surname: name,
    dob: optionalDate,
    start: isoDateSchema,
    group: optionalText,
  }),
  keep: z.object({
    reason: z.string().trim().min(3, 'say why (3 characters or more)').max(200),
    review: isoDateSchema,
  }),
  settings: z.object({
    reports: list.pipe(z.array(reportNameSchema)),
    graceDays: days,
    leavers: percent,
    changes: percent,
    preProvision: days,
    paused: z.enum(['yes', 'no']),
    pauseReason: optionalText,
    movedFrom: z.enum(['no', ...KNOWN_MIS.filter((m) => m !== 'integris')]).optional(),
  }),
} satisfies Record<FormId, z.ZodType>;

/** Why a submission is refused, per field: the adapters show each beside its field. */
export class FormErrors extends Error {
  constructor(readonly fields: Record<string, string>) {
    super(
      Object.entries(fields)
        .map(([k, v]) => `${k}: ${v}`)
        .join('; '),
    );
  }
}

/** The form a button opens, filled with what is known. */
export async function formFor(ctx: ActionContext, actor: Actor, data: ButtonData): Promise<Form> {
  const meta: ButtonData = { d: data.d, ...(data.u ? { u: data.u } : {}) };
  switch (data.form) {
    case 'exclusion':
      return {
        id: 'exclusion',
        title: 'Never give an account',
        intro: `A name that must never get an account at ${data.d}, before it ever reaches a run. Give a birth date to exclude only that person.`,
        submit: 'Add to the list',
        meta,
        fields: [
          { name: 'forename', label: 'Forename', kind: 'text' },
          { name: 'surname', label: 'Surname', kind: 'text' },
          { name: 'dob', label: 'Birth date (optional)', kind: 'date', optional: true },
        ],
      };
    case 'request':
      return {
        id: 'request',
        title: 'Ask for an account',
        intro: 'An account now, kept by hand until the MIS has the person; the nightly run then links it.',
        submit: 'Make the account',
        meta,
        fields: [
          {
            name: 'kind',
            label: 'Pupil or staff',
            kind: 'choice',
            options: [
              { value: 'pupil', label: 'Pupil' },
              { value: 'staff', label: 'Staff' },
            ],
          },
          { name: 'forename', label: 'Forename', kind: 'text' },
          { name: 'surname', label: 'Surname', kind: 'text' },
          { name: 'dob', label: 'Birth date', kind: 'date', optional: true },
          { name: 'start', label: 'Start date', kind: 'date', initial: todayIn('Europe/London') },
          { name: 'group', label: 'Class or role', kind: 'text', optional: true },
        ],
      };
    case 'keep': {
      const account = data.u ? await getAccount(ctx.db, data.u) : undefined;
      if (!account) throw new UsoError('not_found', `account ${data.u ?? ''} does not exist`);
      return {
        id: 'keep',
        title: 'Keep this account',
        intro: `${account.username} is not in the MIS. Say why it stays, and when to look at it again.`,
        submit: 'Keep',
        meta,
        fields: [
          { name: 'reason', label: 'Why it stays (e.g. governor, supply teacher)', kind: 'text' },
          { name: 'review', label: 'Review on', kind: 'date', initial: addDays(todayIn('Europe/London'), 90) },
        ],
      };
    }
    case 'settings': {
      const view = await school.settings(ctx, actor, data.d);
      if (view.kind !== 'settings') throw new UsoError('internal', 'unexpected view');
      return {
        id: 'settings',
        title: 'School settings',
        intro: `${view.schoolName}: what the service reads and how careful it is. Only reports the school shares in Integris can be accepted.`,
        submit: 'Save',
        meta,
        fields: [
          {
            name: 'reports',
            label: 'Reports accepted',
            kind: 'multi',
            optional: true,
            options: view.reports
              .filter((r) => r.shared)
              .map((r) => ({ value: r.report, label: `${r.report}: ${r.uses}` })),
            initial: view.reports.filter((r) => r.accepted).map((r) => r.report),
          },
          { name: 'graceDays', label: 'Leaver grace days (0-60)', kind: 'number', initial: String(view.graceDays) },
          {
            name: 'leavers',
            label: 'Hold leavers above this % of the school',
            kind: 'number',
            initial: String(view.unallocationThresholdPercent),
          },
          {
            name: 'changes',
            label: 'Hold changes above this % of the school',
            kind: 'number',
            initial: String(view.updateThresholdPercent),
          },
          {
            name: 'preProvision',
            label: 'Make accounts this many days before a start (0-60)',
            kind: 'number',
            initial: String(view.preProvisionDays),
          },
          {
            name: 'paused',
            label: 'Runs paused',
            kind: 'choice',
            options: [
              { value: 'no', label: 'No: runs go ahead' },
              { value: 'yes', label: 'Yes: pause this school' },
            ],
            initial: view.paused ? 'yes' : 'no',
          },
          { name: 'pauseReason', label: 'Why paused (if pausing)', kind: 'text', optional: true },
          // a school recorded as on Integris may have only just moved to it: the head says from which MIS, and the next
          // export re-keys its accounts instead of replacing them
          {
            name: 'movedFrom',
            label:
              view.mis === 'integris'
                ? 'The school has just moved to Integris from another MIS'
                : `The school has moved from ${view.mis} to Integris`,
            kind: 'choice' as const,
            optional: true,
            options: [
              { value: 'no', label: 'No change of MIS' },
              ...KNOWN_MIS.filter(
                (m) => m !== 'integris' && (view.mis === 'integris' || m === view.mis || m === 'other'),
              ).map((m) => ({ value: m, label: `Yes, from ${m}: re-key accounts from the next export` })),
            ],
            initial: 'no',
          },
        ],
      };
    }
    default:
      throw new UsoError('usage', 'that button opens no form');
  }
}

/** Parses a submission with the form's schema and does what it asks; bad fields come back as FormErrors. */
export async function submitForm(
  ctx: ActionContext,
  actor: Actor,
  id: FormId,
  meta: ButtonData,
  values: Submitted,
): Promise<View> {
  const parsed = formSchemas[id].safeParse(values);
  if (!parsed.success) {
    const fields: Record<string, string> = {};
    for (const issue of parsed.error.issues) fields[String(issue.path[0] ?? 'form')] ??= issue.message;
    throw new FormErrors(fields);
  }
  const v = parsed.data as Record<string, unknown>;
  switch (id) {
    case 'exclusion': {
      const e = v as z.infer<typeof formSchemas.exclusion>;
      return school.addExclusionFor(ctx, actor, {
        dfeNumber: meta.d,
        forename: e.forename,
        surname: e.surname,
        ...(e.dob ? { dateOfBirth: e.dob } : {}),
      });
    }
    case 'request': {
      const r = v as z.infer<typeof formSchemas.request>;
      return school.request(ctx, actor, {
        dfeNumber: meta.d,
        kind: r.kind,
        legalForename: r.forename,
        legalSurname: r.surname,
        ...(r.dob ? { dateOfBirth: r.dob } : {}),
        startDate: r.start,
        ...(r.group ? { group: r.group } : {}),
      });
    }
    case 'keep': {
      const k = v as z.infer<typeof formSchemas.keep>;
      if (k.review <= todayIn('Europe/London')) throw new FormErrors({ review: 'must be a day after today' });
      return school.keep(ctx, actor, {
        dfeNumber: meta.d,
        username: meta.u ?? '',
        reason: k.reason,
        reviewOn: k.review,
      });
    }
    case 'settings': {
      const st = v as z.infer<typeof formSchemas.settings>;
      const current = await getSchool(ctx.db, meta.d);
      if (!current) throw new UsoError('not_found', `school ${meta.d} is not known`);
      const accepted = new Set(st.reports);
      return school.changeSettings(ctx, actor, meta.d, {
        accept: st.reports,
        refuse: current.acceptedReports.filter((r) => !accepted.has(r)),
        settings: {
          graceDays: st.graceDays,
          unallocationThresholdPercent: st.leavers,
          updateThresholdPercent: st.changes,
          preProvisionDays: st.preProvision,
          paused: st.paused === 'yes',
        },
        ...(st.pauseReason ? { pauseReason: st.pauseReason } : {}),
        ...(st.movedFrom && st.movedFrom !== 'no' ? { movedToIntegrisFrom: st.movedFrom } : {}),
      });
    }
  }
}
