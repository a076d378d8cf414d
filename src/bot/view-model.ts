// The view model: what every chat view shows, independent of the platform. Actions return these; the pure
// renderers turn them into Block Kit (views/blocks.ts), Adaptive Cards (views/cards.ts) and plain text.
import type { SchoolStatus } from '../sync/status.js';

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
      accounts: (PersonSummary & { username: string; until?: string })[];
    }
  | { kind: 'restored'; dfeNumber: string; username: string; by: string }
  | {
      kind: 'held_decided';
      runId: string;
      dfeNumber: string;
      decision: 'approved' | 'rejected';
      applied: number;
      stale: string[];
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
