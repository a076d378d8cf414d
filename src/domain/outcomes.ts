// What a run decides for each MIS record and each account: the outcomes, the accounts to create, the changes held
// for an admin and the people held for matching. Pure types shared by the planner, the store and the chat views.
import type { Candidate } from './blocking.js';
import type { IsoDate } from './dates.js';
import type { Account, PersonFields } from './model.js';

export const outcomes = [
  'created',
  'updated',
  'unchanged',
  'auto_matched',
  'held_for_matching',
  'excluded',
  'invalid',
  'future_starter',
  'unallocated',
  'held_unallocation',
  'held_update',
] as const;
export type Outcome = (typeof outcomes)[number];

export interface RecordOutcome {
  report: 'students' | 'staff' | 'contacts' | 'groups' | 'attendance';
  personId: string;
  outcome: Outcome;
  username?: string;
  reason?: string;
  candidates?: Candidate[];
}

export interface NewAccount {
  personId: string;
  usernameBase: string;
  account: Omit<Account, 'username'>;
  /** An admin said to create this person although they look like someone: their names claim nothing. */
  deliberate?: true;
}

/** A change held for an admin: the account before and after it; approval applies it only if `before` still holds. */
export interface HeldChange {
  kind: 'unallocation' | 'update';
  username: string;
  personId: string;
  before: Account;
  after: Account;
}

/** A guard that held changes, with its numbers: what the summary tells the school. */
export interface GuardFired {
  change: HeldChange['kind'];
  role: 'pupil' | 'staff';
  cause: 'threshold' | 'incomplete' | 'mis_change';
  /** Changes of this kind and role the run would have made. */
  count: number;
  /** The school's active MIS accounts of that role. */
  base: number;
  /** The school's threshold, for `threshold`. */
  percent?: number;
}

export interface HeldMatch {
  personId: string;
  report: 'students' | 'staff';
  person: PersonFields;
  startDate: IsoDate;
  candidates: Candidate[];
}
