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
  /** Teams: the click on a confirmation card (Slack confirms in its own dialog). */
  c: z.literal(1).optional(),
});
export type ButtonData = z.infer<typeof buttonData>;

export const chatActions = {
  match: { slack: 'uso_match', teams: 'uso.match' },
  create: { slack: 'uso_create', teams: 'uso.create' },
  exclude: { slack: 'uso_exclude', teams: 'uso.exclude' },
  restore: { slack: 'uso_restore', teams: 'uso.restore' },
  approve: { slack: 'uso_approve', teams: 'uso.approve' },
  reject: { slack: 'uso_reject', teams: 'uso.reject' },
  /** The people held for matching, a page at a time. */
  matches: { slack: 'uso_matches_page', teams: 'uso.matches' },
  unallocated: { slack: 'uso_open_unallocated', teams: 'uso.unallocated' },
  /** The school's latest run summary (Teams: where a confirmation's Cancel goes back to). */
  summary: { slack: 'uso_summary', teams: 'uso.summary' },
} as const;

export type ChatAction = keyof typeof chatActions;
export type SlackActionId = (typeof chatActions)[ChatAction]['slack'];
export type TeamsVerb = (typeof chatActions)[ChatAction]['teams'];

/** The decisions that ask first (Teams shows a confirmation card; Slack a confirm dialog on the button). */
export const confirmedActions = ['exclude', 'restore', 'approve', 'reject'] as const satisfies readonly ChatAction[];
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
