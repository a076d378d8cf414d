// Who sees what personal data where: every chat view, CLI command and API route, for each role. It is written into
// docs/data-protection.md by `npm run dp-docs`; the chat views are keyed by the view model's kinds (the compiler
// wants every kind), and a test wants every CLI command and every API route listed, so nothing new goes unsaid.
import type { View } from './bot/view-model.js';

/** The roles, as the table's columns. */
export const ROLES = {
  channel: 'Everyone in a linked school conversation',
  contact: 'Contact',
  head: 'Head',
  la: 'LA admin',
  operator: 'Operator (CLI)',
  subscriber: 'Subscriber (API key)',
} as const;
export type DisclosureRole = keyof typeof ROLES;

export interface Disclosure {
  /** The personal data shown. */
  shows: string;
  /** For each role that sees it, of which schools or people; a role left out sees nothing of it. */
  seenBy: Partial<Record<DisclosureRole, string>>;
}

const OWN = 'own school';
const LA = 'schools of their LA';
const ANY = 'any school';
/** What a school's admins see: contacts and heads of the school, LA admins of its LA, the operator. */
const admins = { contact: OWN, head: OWN, la: LA } as const;
/** A decision replaces the message it was made on: in the school's conversation when made on a posted summary. */
const decisionSeen = { channel: 'own school, when decided on a message posted there', ...admins } as const;

/** Chat (Slack and Teams alike: both render the same view). */
export const chatViews: Record<View['kind'], Disclosure> = {
  summary: {
    shows:
      "a run's outcome: names and usernames of the people created, moved in, unallocated, held or to match, with their year or registration group",
    seenBy: { channel: OWN, ...admins },
  },
  status: { shows: 'counts only (runs, people to match, held changes)', seenBy: admins },
  matches: {
    shows:
      'each held person (name, masked birth date, year) and the candidate accounts of the LA that resemble them (name, username, masked birth date, school, reasons)',
    seenBy: admins,
  },
  confirm_match: {
    shows:
      'the held person and one account the contact may choose (unallocated in the LA, or a candidate of that person): name, username, masked birth date, schools',
    seenBy: admins,
  },
  decided: { shows: "a decision: the held person's name and the username matched or created", seenBy: decisionSeen },
  accounts: {
    shows:
      "the school's leavers (and the other schools where one is still active) or its non-MIS accounts: name, username, role, when they left",
    seenBy: admins,
  },
  restored: { shows: 'the username restored', seenBy: decisionSeen },
  restored_many: { shows: 'the usernames restored', seenBy: decisionSeen },
  held: {
    shows: 'the changes a run held, person by person: name, username, year or group, the fields that would change',
    seenBy: admins,
  },
  held_decided: { shows: 'usernames whose held changes were decided', seenBy: decisionSeen },
  new_accounts: {
    shows: 'the accounts new at the school: name, username, year or group (logins to hand out; a CSV in Slack)',
    seenBy: admins,
  },
  invalid: {
    shows: 'MIS records a run could not use: MIS id, name, field and reason',
    seenBy: admins,
  },
  who: {
    shows:
      "a person found by name, UPN, username or MIS id at the asker's schools only: name, username, masked birth date, schools, what each run did",
    seenBy: admins,
  },
  exclusions: { shows: 'names on the exclusion list, with a masked birth date', seenBy: admins },
  undone: { shows: 'the username or name a correction was about', seenBy: decisionSeen },
  settings: { shows: 'none (reports, thresholds, grace days)', seenBy: admins },
  sharing: {
    shows:
      "none of pupils or staff: the services asking for the school's data, and the name of whoever approved or declined each",
    seenBy: { channel: OWN, ...admins },
  },
  notice: {
    shows: "what changed at the school, in words (settings, sharing decisions, alerts); no pupil's details",
    seenBy: { channel: OWN, ...admins },
  },
  run_queued: { shows: 'none', seenBy: { channel: OWN, ...admins } },
};

/** The CLI: the operator's, for every school. */
const operator = (shows: string): Disclosure => ({ shows, seenBy: { operator: ANY } });
export const cliCommands: Record<string, Disclosure> = {
  'link-code': operator('none'),
  'admins add': operator('the chat user id given a role'),
  'schools import': operator('none'),
  'schools list': operator('none'),
  'schools set': operator('none'),
  'schools set-mis': operator('none'),
  'accounts list': operator("the school's accounts: name, username, year or role, latest move or create"),
  'accounts import': operator('the lines it could not take: line number and reason'),
  sync: operator('counts; with --json the run summary (names and usernames of the people it changed)'),
  audit: operator('who did what and when: usernames and chat user ids, never names or birth dates'),
  'person export': operator('everything held about one person (subject access)'),
  'person erase': operator('the username erased and counts of what went'),
  doctor: operator('usernames and MIS ids of accounts that break one person, one account'),
  retention: operator('counts'),
  status: operator('counts'),
  matches: operator('held people and their candidates: names, usernames, masked birth dates, schools'),
  match: operator('the person and account decided'),
  unallocated: operator("the school's leavers: name, username, when they left"),
  restore: operator('the username restored'),
  exclusions: operator('names on the exclusion list, masked birth dates'),
  unmatch: operator('the username and person corrected'),
  unrestore: operator('the username corrected'),
  request: operator('the account made: name and username'),
  'non-mis': operator('non-MIS accounts: name, username'),
  held: operator('held changes person by person: name, username, fields'),
  approve: operator('usernames whose held changes were applied'),
  reject: operator('usernames whose held changes were discarded'),
  who: operator('a person found anywhere: name, username, masked birth date, schools, runs'),
  'new-accounts': operator('new accounts: name, username, year or group (CSV)'),
  invalid: operator('MIS records a run could not use: MIS id, name, field and reason'),
  'subscribers add': operator('none'),
  'subscribers list': operator('none'),
  'subscribers revoke': operator('none'),
  'subscribers rotate': operator('none'),
  'subscribers resume': operator('none'),
  'sharing list': operator('the name and chat id of whoever decided for each school'),
  'sharing approve': operator('none'),
  'sharing decline': operator('none'),
  'sharing revoke': operator('none'),
  'sharing pre-approval': operator('none'),
  pause: operator('none'),
  resume: operator('none'),
  discover: operator('none'),
  'migrate status': operator('none'),
  'migrate run': operator('none'),
  'store backup': operator(
    'none on screen: the file holds the whole store, everyone in it (keep it as the store is kept)',
  ),
  'store restore': operator('counts'),
};

/** The read API (paths under /api/v1): a subscriber's key, only at schools that approved it, only what it asked for. */
const approvedSchools = 'schools in its scope that approved it';
export const apiRoutes: Record<string, Disclosure> = {
  '/schools/{dfeNumber}/accounts': {
    shows:
      'accounts at the school: username, names, status, the school record; birth date, UPN and email only when it asked for them; someone who left as they were when they left, until the school stops showing leavers',
    seenBy: { subscriber: approvedSchools },
  },
  '/schools/{dfeNumber}/accounts/{username}': {
    shows: 'one account, as in the list',
    seenBy: { subscriber: approvedSchools },
  },
  '/schools/{dfeNumber}/groups': {
    shows: 'classes and groups with member usernames (Groups & Classes accepted by both)',
    seenBy: { subscriber: approvedSchools },
  },
  '/schools/{dfeNumber}/contacts': {
    shows: "pupils' contacts: names, relationships, contact details (Contacts accepted by both)",
    seenBy: { subscriber: approvedSchools },
  },
  '/schools/{dfeNumber}/attendance': {
    shows: 'attendance marks by username and date (Attendance accepted by both)',
    seenBy: { subscriber: approvedSchools },
  },
};
