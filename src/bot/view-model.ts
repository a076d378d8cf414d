// The view model: what every chat view shows, independent of the platform. Actions return these; the pure
// renderers turn them into Block Kit (views/blocks.ts), Adaptive Cards (views/cards.ts) and plain text.
import type { SchoolStatus } from '../sync/status.js';
import type { GuardFired, Outcome } from '../domain/outcomes.js';
import { PERSON_FIELDS, type Account, type PersonKind } from '../domain/model.js';
import type { ButtonData, FormId } from './chat-actions.js';

export interface PersonSummary {
  name: string;
  /** Day and month hidden: enough to tell people apart, not to identify them from a screenshot. */
  maskedDob?: string;
}

export interface CandidateView extends PersonSummary {
  username: string;
  score: number;
  reasons: string[];
  schools: string[];
  lastSeen?: string;
}

export interface MatchView extends PersonSummary {
  personId: string;
  /** Pupil or staff, as the MIS reports the person. */
  role: 'pupil' | 'staff';
  candidates: CandidateView[];
}

/** Pupils only, staff only, or (undefined) everyone. */
export type KindFilter = PersonKind | undefined;

/** One change a run held, as the school reviews it. */
export interface HeldChangeView extends PersonSummary {
  username: string;
  role: PersonKind;
  /** Year group of a pupil, or a staff member's first role. */
  group?: string;
  change: 'unallocation' | 'update';
  /** For an update: each field that would change, old -> new (birth dates masked). */
  fields: { field: string; from: string; to: string }[];
  reason?: string;
  state: 'held' | 'approved' | 'rejected' | 'not_applied';
  by?: string;
}

/** An account in a list of a school's accounts (unallocated, not in the MIS). */
export interface AccountRowView extends PersonSummary {
  username: string;
  role: PersonKind;
  group?: string;
  /** Left on (unallocated) or here since (non-MIS). */
  until?: string;
  since?: string;
  /** A leaver still active at these other schools (they keep their access there). */
  activeElsewhere?: string[];
}

/** A new login to hand out. */
export interface NewAccountView extends PersonSummary {
  username: string;
  role: PersonKind;
  how: 'created' | 'moved_in' | 'restored' | 'pre_provisioned';
  /** Year and registration group (pupils) or role (staff). */
  group?: string;
  firstDay?: string;
  /** When it was created or moved here (the account's latest move or create). */
  at: string;
}

export interface HistoryView {
  at: string;
  what: string;
  reason?: string;
  by?: string;
}

export interface FoundView {
  dfeNumber: string;
  name: string;
  maskedDob?: string;
  /** The account, when the person has one. */
  account?: {
    username: string;
    status: string;
    latestMoveOrCreateAt: string;
    associations: {
      dfeNumber: string;
      role: PersonKind;
      status: string;
      source: string;
      since: string;
      until?: string;
      group?: string;
    }[];
  };
  /** The MIS record, when it made no account. */
  mis?: { personId: string; role: PersonKind };
  history: HistoryView[];
}

/** A notice to a school: something went wrong, or came right again. */
export interface NoticeView {
  kind: 'notice';
  dfeNumber: string;
  schoolName: string;
  tone: 'problem' | 'recovered' | 'info';
  title: string;
  detail: string;
}

export type View =
  | { kind: 'status'; schools: SchoolStatus[]; paused: boolean }
  | { kind: 'matches'; dfeNumber: string; matches: MatchView[] }
  | {
      kind: 'decided';
      dfeNumber: string;
      personId: string;
      decision: 'matched' | 'created' | 'excluded';
      username?: string;
      by: string;
    }
  | {
      kind: 'accounts';
      list: 'unallocated' | 'non_mis';
      dfeNumber: string;
      filter?: PersonKind;
      accounts: AccountRowView[];
    }
  | {
      kind: 'held';
      dfeNumber: string;
      runId: string;
      /** The guards that held these changes, said with their numbers. */
      guards: string[];
      filter?: PersonKind;
      changes: HeldChangeView[];
      /** Held changes of the run still undecided (all kinds). */
      open: number;
    }
  | {
      kind: 'new_accounts';
      dfeNumber: string;
      /** What the list covers: "run of 2026-11-27" or "since 2026-09-01". */
      scope: string;
      runId?: string;
      since?: string;
      filter?: PersonKind;
      accounts: NewAccountView[];
    }
  | {
      kind: 'invalid';
      dfeNumber: string;
      runId: string;
      records: { personId: string; report: string; name?: string; field: string; reason: string }[];
    }
  | { kind: 'who'; query: string; schools: string[]; found: FoundView[] }
  /** A correction or a school-admin change done: one line saying what, by whom. */
  | { kind: 'undone'; dfeNumber: string; text: string; by: string }
  | {
      kind: 'exclusions';
      dfeNumber: string;
      items: { key: string; name: string; maskedDob?: string; addedBy: string; addedAt: string }[];
    }
  | {
      kind: 'confirm_match';
      dfeNumber: string;
      personId: string;
      personName: string;
      personDob?: string;
      account: { username: string; name: string; maskedDob?: string; schools: string[] };
    }
  | {
      kind: 'settings';
      dfeNumber: string;
      schoolName: string;
      reports: { report: string; uses: string; shared: boolean; accepted: boolean }[];
      graceDays: number;
      unallocationThresholdPercent: number;
      updateThresholdPercent: number;
      preProvisionDays: number;
      paused: boolean;
      mis: string;
    }
  | SharingView
  | NoticeView
  | { kind: 'restored'; dfeNumber: string; username: string; by: string }
  | {
      kind: 'held_decided';
      runId: string;
      dfeNumber: string;
      decision: 'approved' | 'rejected';
      applied: number;
      stale: string[];
      /** The held changes this decision took. */
      decided: string[];
      /** Still undecided afterwards. */
      remaining: number;
      /** Decided for some people only (the rest were not part of this decision). */
      only?: boolean;
      by: string;
    }
  | {
      kind: 'restored_many';
      dfeNumber: string;
      restored: string[];
      refused: { username: string; reason: string }[];
      by: string;
    }
  | { kind: 'run_queued'; dfeNumber: string; by: string }
  | {
      kind: 'summary';
      dfeNumber: string;
      schoolName: string;
      runId: string;
      status: string;
      counts: Record<string, number>;
      note?: string;
      /** The guards that held changes, with their numbers. */
      guards: string[];
      held: number;
      openMatches: number;
    };

export function maskDob(dob: string | undefined): string | undefined {
  return dob ? `xx/xx/${dob.slice(0, 4)}` : undefined;
}

/** The name a person goes by: preferred names where the MIS has them. */
export const nameOf = (p: {
  legalForename: string;
  legalSurname: string;
  preferredForename?: string;
  preferredSurname?: string;
}) => `${p.preferredForename ?? p.legalForename} ${p.preferredSurname ?? p.legalSurname}`;

const plural = (role: PersonKind, n: number) => (role === 'staff' ? 'staff' : n === 1 ? 'pupil' : 'pupils');

/** What a guard did, with its numbers: "17 of 120 pupils would leave: over this school's 10% threshold". */
export function guardText(g: GuardFired, incomplete?: string): string {
  const who = `${g.count} of ${g.base} ${plural(g.role, g.base)}`;
  if (g.cause === 'incomplete')
    return `export incomplete${incomplete ? ` (${incomplete})` : ''}: ${g.count} ${plural(g.role, g.count)} would leave, held`;
  if (g.cause === 'mis_change')
    return `the school's MIS changed: ${g.count} ${plural(g.role, g.count)} would leave, held until someone checks`;
  return g.change === 'unallocation'
    ? `${who} would leave: over this school's ${g.percent}% threshold`
    : `${who} would have their account changed: over this school's ${g.percent}% threshold`;
}

const FIELD_LABELS: Record<string, string> = {
  legalForename: 'forename',
  legalSurname: 'surname',
  middleNames: 'middle names',
  preferredForename: 'preferred forename',
  preferredSurname: 'preferred surname',
  dateOfBirth: 'birth date',
  gender: 'gender',
  upn: 'UPN',
  email: 'email',
  title: 'title',
  yearGroup: 'year group',
  registrationGroup: 'registration group',
  roles: 'roles',
  groups: 'classes',
  enrolmentStatus: 'enrolment',
  status: 'status',
};
const shown = (field: string, v: unknown): string => {
  if (v === undefined || v === null || v === '') return '-';
  const text = Array.isArray(v) ? v.join(', ') : String(v);
  const value = field === 'dateOfBirth' ? (maskDob(text) ?? '-') : text;
  return value.length > 60 ? `${value.slice(0, 59)}…` : value;
};

/** The fields an update would change, old -> new: the person's own, and their association with the school. */
export function changedFieldsOf(before: Account, after: Account, dfeNumber: string): HeldChangeView['fields'] {
  const fields: HeldChangeView['fields'] = [];
  const compare = (field: string, a: unknown, b: unknown) => {
    if (JSON.stringify(a ?? null) !== JSON.stringify(b ?? null))
      fields.push({ field: FIELD_LABELS[field] ?? field, from: shown(field, a), to: shown(field, b) });
  };
  for (const key of PERSON_FIELDS) compare(key, before[key], after[key]);
  const here = (a: Account) => a.associations.find((x) => x.dfeNumber === dfeNumber && x.source === 'mis');
  const [x, y] = [here(before), here(after)];
  for (const key of ['status', 'yearGroup', 'registrationGroup', 'enrolmentStatus', 'roles', 'groups'] as const)
    compare(key, x?.[key], y?.[key]);
  return fields;
}

/** One page of a list: the slice to show, the page shown (clamped) and how many there are. */
export function pageOf<T>(
  items: readonly T[],
  page: number,
  size: number,
): { slice: T[]; page: number; pages: number } {
  const pages = Math.max(1, Math.ceil(items.length / size));
  const p = Math.min(Math.max(page, 0), pages - 1);
  return { slice: items.slice(p * size, (p + 1) * size), page: p, pages };
}

/** The outcome words a history line uses. */
export const OUTCOME_WORDS: Record<Outcome, string> = {
  created: 'account created',
  updated: 'account updated',
  unchanged: 'unchanged',
  auto_matched: 'linked to an existing account',
  held_for_matching: 'held for matching',
  excluded: 'excluded (name on the exclusion list)',
  invalid: 'invalid record: no account',
  future_starter: 'future starter',
  unallocated: 'left: access removed',
  held_unallocation: 'leaving held for approval',
  held_update: 'change held for approval',
};

/** What a decision on held changes says, on every platform (`esc` keeps names from becoming markup). */
export function heldDecidedText(view: Extract<View, { kind: 'held_decided' }>, esc: (s: string) => string): string {
  const who = view.only && view.decided.length <= 3 ? view.decided.join(', ') : `${view.decided.length} held change(s)`;
  const applied =
    view.decision === 'approved'
      ? `: ${view.applied} applied${view.stale.length ? `, ${view.stale.length} skipped (the account changed since)` : ''}`
      : '';
  const left = view.remaining ? ` ${view.remaining} still held.` : '';
  return `${view.only ? who : `The held changes of run ${view.runId}`} ${view.only && view.decided.length === 1 ? 'was' : 'were'} ${view.decision} by ${esc(view.by)}${applied}.${left}`;
}

/** A form admins fill in from chat (a Slack modal, a Teams input card); forms.ts defines each and parses what comes back. */
export interface FormField {
  name: string;
  label: string;
  kind: 'text' | 'date' | 'choice' | 'multi' | 'number';
  optional?: boolean;
  options?: { value: string; label: string }[];
  initial?: string | string[];
  hint?: string;
}

export interface Form {
  id: FormId;
  title: string;
  intro?: string;
  submit: string;
  fields: FormField[];
  /** What the submission is about (school, account), carried through the form. */
  meta: ButtonData;
}

/** How a list names its filter: " (pupils)", " (staff)", or nothing for everyone. */
export const filterWords = (f: KindFilter) => (f === 'pupil' ? ' (pupils)' : f === 'staff' ? ' (staff)' : '');

/** How a new account came to the school, in a list. */
export const HOW_WORDS: Record<NewAccountView['how'], string> = {
  created: 'new',
  moved_in: 'moved in',
  restored: 'restored',
  pre_provisioned: 'ready for a future start',
};

/** What a held change would do, in a sentence (`esc` keeps names and values from becoming markup). */
export function heldChangeWhat(c: HeldChangeView, esc: (s: string) => string): string {
  return c.change === 'unallocation'
    ? `would lose access to this school${c.reason ? ` (${esc(c.reason)})` : ''}`
    : `would change: ${c.fields.map((f) => `${esc(f.field)} ${esc(f.from)} → ${esc(f.to)}`).join('; ') || esc(c.reason ?? 'details')}`;
}

/**
 * The controls of a paged list, as labels and the data their buttons carry: Previous / Next, and the pupils / staff
 * filter (a new filter starts at the first page). Each platform turns them into its own buttons.
 */
export function listControlsOf(
  base: ButtonData,
  page: number,
  pages: number,
  filter: KindFilter,
  filterable = true,
): { label: string; data: ButtonData }[] {
  const at = (p: number, f: KindFilter): ButtonData => ({ ...base, page: p, ...(f ? { f } : {}) });
  return [
    ...(page > 0 ? [{ label: 'Previous', data: at(page - 1, filter) }] : []),
    ...(page < pages - 1 ? [{ label: 'Next', data: at(page + 1, filter) }] : []),
    ...(filterable
      ? [
          ...(filter !== 'pupil' ? [{ label: 'Pupils only', data: at(0, 'pupil') }] : []),
          ...(filter !== 'staff' ? [{ label: 'Staff only', data: at(0, 'staff') }] : []),
          ...(filter ? [{ label: 'Everyone', data: at(0, undefined) }] : []),
        ]
      : []),
  ];
}

/** The services that ask for a school's data, each with what it asks for, why, and the school's decision. */
export interface SharingView {
  kind: 'sharing';
  dfeNumber: string;
  schoolName: string;
  /** Whether the LA may pre-approve services for this school. */
  laPreApproval: boolean;
  /** The receipt of the decision just made, in words. */
  done?: string;
  requests: {
    subscriberId: string;
    name: string;
    purpose: string;
    /** Reports and fields, in words. */
    wants: string;
    state: 'requested' | 'approved' | 'declined' | 'revoked';
    /** Who decided, when and how, in words (the receipt). */
    decided?: string;
  }[];
}

/** What a school can decide about a service as it stands: approve or decline a request, revoke an approval, and
 * approve one it refused before. */
export function sharingChoices(
  state: SharingView['requests'][number]['state'],
): { label: string; action: 'approveSharing' | 'declineSharing' | 'revokeSharing'; positive: boolean }[] {
  if (state === 'approved') return [{ label: 'Revoke', action: 'revokeSharing', positive: false }];
  const approve = { label: 'Approve', action: 'approveSharing', positive: true } as const;
  return state === 'requested' ? [approve, { label: 'Decline', action: 'declineSharing', positive: false }] : [approve];
}

export const SHARING_STATE_WORDS: Record<SharingView['requests'][number]['state'], string> = {
  requested: 'asks for data: nothing is shared until the head approves',
  approved: 'approved',
  declined: 'declined',
  revoked: 'revoked',
};
