// Every chat button, defined once: its action id on each platform (a Slack `action_id`, a Teams `Action.Execute`
// verb) and the data it carries. The renderers put these ids and data on buttons; the adapters register one handler
// per id and parse the data with the same schema, so a button leads to its handler by this one definition. Data that
// does not parse (an old or forged button) is answered as out of date; what it names is still authorised on use.
import { z } from 'zod';
import { dfeNumberSchema } from '../domain/records.js';

/** What a button carries: the school, and the person, account, run or page it is about. */
export const buttonData = z.object({
  /** The school's DfE number. */
  d: dfeNumberSchema,
  /** An MIS person id. */
  p: z.string().min(1).optional(),
  /** A username. */
  u: z.string().min(1).optional(),
  /** A run id. */
  r: z.string().min(1).optional(),
  page: z.coerce.number().int().min(0).optional(),
  /** A list's filter: pupils or staff only. */
  f: z.enum(['pupil', 'staff']).optional(),
  /** The usernames ticked in a list (Teams sends its choice set's value here; Slack's are read from the message). */
  sel: z.string().max(4000).optional(),
  /** What an Undo undoes. */
  k: z.enum(['match', 'create', 'exclude', 'restore', 'approve']).optional(),
  /** An exclusion's key. */
  x: z.string().min(1).max(300).optional(),
  /** Teams: the click on a confirmation card (Slack confirms in its own dialog). */
  c: z.literal(1).optional(),
  /** Which form a button opens. */
  form: z.enum(['exclusion', 'request', 'keep', 'settings']).optional(),
  /** A subscriber (a service asking for the school's data). */
  s: z.string().uuid().optional(),
  /** Whether the LA may pre-approve services for the school. */
  o: z.enum(['allow', 'refuse']).optional(),
});
export type ButtonData = z.infer<typeof buttonData>;

export const chatActions = {
  match: { slack: 'uso_match', teams: 'uso.match' },
  create: { slack: 'uso_create', teams: 'uso.create' },
  exclude: { slack: 'uso_exclude', teams: 'uso.exclude' },
  restore: { slack: 'uso_restore', teams: 'uso.restore' },
  /** All held changes of a run still undecided. */
  approve: { slack: 'uso_approve', teams: 'uso.approve' },
  reject: { slack: 'uso_reject', teams: 'uso.reject' },
  /** One person's held change, from the list. */
  approveOne: { slack: 'uso_approve_one', teams: 'uso.approveOne' },
  rejectOne: { slack: 'uso_reject_one', teams: 'uso.rejectOne' },
  /** The held changes of a run, person by person, a page at a time. */
  held: { slack: 'uso_held', teams: 'uso.held' },
  /** Several ticked unallocated accounts at once. */
  restoreSelected: { slack: 'uso_restore_selected', teams: 'uso.restoreSelected' },
  /** The people held for matching, a page at a time. */
  matches: { slack: 'uso_matches_page', teams: 'uso.matches' },
  unallocated: { slack: 'uso_open_unallocated', teams: 'uso.unallocated' },
  nonMis: { slack: 'uso_non_mis', teams: 'uso.nonMis' },
  /** The accounts a run made new (logins to hand out), a page at a time. */
  newAccounts: { slack: 'uso_new_accounts', teams: 'uso.newAccounts' },
  /** The same list to print: a CSV file in Slack, a table card in Teams. */
  newAccountsFile: { slack: 'uso_new_accounts_file', teams: 'uso.newAccountsTable' },
  /** The records a run could not use, with field and reason. */
  invalid: { slack: 'uso_invalid', teams: 'uso.invalid' },
  /** Undo a decision of the last week (the data names which). */
  undo: { slack: 'uso_undo', teams: 'uso.undo' },
  exclusions: { slack: 'uso_exclusions', teams: 'uso.exclusions' },
  removeExclusion: { slack: 'uso_exclusion_remove', teams: 'uso.exclusionRemove' },
  /** "Another account...": Teams opens a search card; Slack's is a search menu on the person (see `otherAccount`). */
  otherAccount: { slack: 'uso_match_other', teams: 'uso.otherAccount' },
  /** The account picked in that search, shown before the match is confirmed. */
  chooseAccount: { slack: 'uso_choose_account', teams: 'uso.chooseAccount' },
  retire: { slack: 'uso_retire', teams: 'uso.retire' },
  /** Opens a form: Slack a modal, Teams an input card (the data's `form` names which). */
  openForm: { slack: 'uso_open_form', teams: 'uso.openForm' },
  /** The school's latest run summary (Teams: where a confirmation's Cancel goes back to). */
  summary: { slack: 'uso_summary', teams: 'uso.summary' },
  /** The services asking for the school's data, with the school's decisions. */
  sharing: { slack: 'uso_sharing', teams: 'uso.sharing' },
  approveSharing: { slack: 'uso_sharing_approve', teams: 'uso.sharingApprove' },
  declineSharing: { slack: 'uso_sharing_decline', teams: 'uso.sharingDecline' },
  revokeSharing: { slack: 'uso_sharing_revoke', teams: 'uso.sharingRevoke' },
  /** The head allows or stops the LA's pre-approval for the school (the data's `o`). */
  preApproval: { slack: 'uso_sharing_pre_approval', teams: 'uso.sharingPreApproval' },
} as const;

export type ChatAction = keyof typeof chatActions;

/** The tick boxes of a list (a Slack checkboxes element's action id; a Teams choice set's input id). */
export const selection = { slack: 'uso_select', teams: 'sel' } as const;
export type SlackActionId = (typeof chatActions)[ChatAction]['slack'];
export type TeamsVerb = (typeof chatActions)[ChatAction]['teams'];

/** The decisions that ask first (Teams shows a confirmation card; Slack a confirm dialog on the button). */
export const confirmedActions = [
  'exclude',
  'restore',
  'approve',
  'reject',
  'restoreSelected',
  'retire',
] as const satisfies readonly ChatAction[];

/** The forms: a Slack modal's callback id, and the Teams verb its card submits with. */
export const forms = {
  exclusion: { slack: 'uso_form_exclusion', teams: 'uso.submitExclusion' },
  request: { slack: 'uso_form_request', teams: 'uso.submitRequest' },
  keep: { slack: 'uso_form_keep', teams: 'uso.submitKeep' },
  settings: { slack: 'uso_form_settings', teams: 'uso.submitSettings' },
} as const;
export type FormId = keyof typeof forms;
export type ConfirmedAction = (typeof confirmedActions)[number];

/** Reads a button's data; undefined for anything that is not data we put on a button. */
export function parseButtonData(raw: unknown): ButtonData | undefined {
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      return undefined;
    }
  }
  const parsed = buttonData.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}
