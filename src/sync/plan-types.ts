// What a school's plan takes and gives: the MIS people and the accounts it is planned against, and the changes,
// outcomes and held decisions it comes to.
import type { IsoDate } from '../domain/dates.js';
import type { InvalidRecord } from '../domain/records.js';
import type { MisPerson } from './integris/people.js';
import type { GuardFired, HeldChange, HeldMatch, NewAccount, Outcome, RecordOutcome } from '../domain/outcomes.js';
import type { Account, School } from '../domain/model.js';
import type { MatchContext } from './match.js';

export interface PlanInput {
  school: School;
  people: readonly MisPerson[];
  invalid: readonly InvalidRecord[];
  /** Full reports present in this export: only these can reveal leavers by absence. */
  fullReports: ReadonlySet<'students' | 'staff'>;
  /** False when any report is short of what the source promised: nothing is unallocated then. */
  complete: boolean;
  /** Accounts associated with this school, and look-alike candidates from the school's LA. */
  accounts: readonly Account[];
  /**
   * Accounts in the school's LA: with it, look-alikes the rules leave out are also weighed (Fellegi-Sunter, names
   * weighed by their frequency); without it, only the rules find them.
   */
  population?: number;
  /** Surnames and birth dates counted across the LA, when `accounts` holds only the look-alikes from elsewhere. */
  counts?: MatchContext['counts'];
  /** Normalised "forename|surname" keys never to create ("forename|surname|YYYY-MM-DD" for one birth date). */
  exclusions: ReadonlySet<string>;
  /** People an admin said to create even though they look like someone. */
  createAnyway: ReadonlySet<string>;
  /** MIS people an admin unlinked from an automatic match: held for a person to decide, never linked again by the plan. */
  keepHeld?: ReadonlySet<string>;
  today: IsoDate;
  /** ISO timestamp written on changed accounts. */
  now: string;
}

export interface Plan {
  outcomes: RecordOutcome[];
  creates: NewAccount[];
  /** Existing accounts as read and in their new state. */
  updates: { before: Account; after: Account }[];
  held: HeldChange[];
  /** The guards that held changes, with their numbers. */
  guards: GuardFired[];
  matches: HeldMatch[];
  /** Newcomers linked to the one account they certainly are: kept as decided matches, so a person can undo one. */
  autoLinked: (HeldMatch & { username: string; before: Account })[];
  counts: Record<Outcome, number>;
}
