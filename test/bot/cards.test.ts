// Adaptive Cards for Teams: schema 1.5, Action.Execute, within the size limit even for 500 pending matches.
import { describe, expect, it } from 'vitest';
import { adaptiveCardErrors } from '../helpers/adaptive-cards.js';
import type { MatchView, View } from '../../src/bot/view-model.js';
import {
  CARD_MATCHES_PER_PAGE,
  cardProblems,
  confirmationFor,
  renderCard,
  stacked,
} from '../../src/bot/views/cards.js';

const matches: MatchView[] = Array.from({ length: 500 }, (_, i) => ({
  personId: `P${i}`,
  role: 'pupil',
  name: `Ngozi-Ó Súilleabháin [${i}](http://x) *Fitzgerald* ${'long '.repeat(20)}`,
  maskedDob: 'xx/xx/2015',
  candidates: Array.from({ length: 4 }, (_, j) => ({
    username: `candidate${i}.${j}`,
    name: `Candidate ${'name '.repeat(20)}`,
    maskedDob: 'xx/xx/2015',
    score: 0.91,
    reasons: ['same forename', 'surname differs by one letter', 'day and month of birth swapped'],
    schools: ['2093456'],
    lastSeen: '2026-11-20',
  })),
}));

describe('Adaptive Cards', () => {
  it('pages 500 pending matches in cards Teams accepts', () => {
    const view: View = { kind: 'matches', dfeNumber: '2093456', matches };
    for (let page = 0; page < Math.ceil(500 / CARD_MATCHES_PER_PAGE); page++)
      expect(cardProblems(renderCard(view, page)), `page ${page}`).toEqual([]);
    expect(adaptiveCardErrors(renderCard(view, 0))).toEqual([]);
    const first = JSON.stringify(renderCard(view, 0));
    expect(first).toContain('"verb":"uso.match"');
    expect(first).toContain('\\\\[0\\\\]\\\\(http://x\\\\)'); // names cannot become links
    expect(first).toContain('xx/xx/2015'); // shown as given; actions.test checks no full date reaches a view
  });

  it('renders every other view within the limits', () => {
    const views: View[] = [
      {
        kind: 'summary',
        dfeNumber: '2093456',
        schoolName: 'Oakfield',
        runId: 'r1',
        status: 'succeeded',
        counts: { created: 3, held_unallocation: 40 },
        guards: [],
        held: 40,
        openMatches: 3,
      },
      {
        kind: 'accounts',
        list: 'unallocated',
        dfeNumber: '2093456',
        accounts: Array.from({ length: 300 }, (_, i) => ({
          username: `u${i}`,
          name: `Name ${i}`,
          role: 'pupil' as const,
          until: '2026-11-20',
        })),
      },
      {
        kind: 'status',
        paused: false,
        schools: Array.from({ length: 80 }, (_, i) => ({
          dfeNumber: `209${i}`,
          name: `School ${i}`,
          paused: false,
          grant: 'granted',
          openMatches: 1,
          heldChanges: [],
        })),
      },
      { kind: 'decided', dfeNumber: '2093456', personId: 'P1', decision: 'created', username: 'a.b', by: 'Head' },
      {
        kind: 'held_decided',
        runId: 'r1',
        dfeNumber: '2093456',
        decision: 'rejected',
        applied: 0,
        stale: [],
        decided: ['x'],
        remaining: 0,
        by: 'Head',
      },
      { kind: 'restored', dfeNumber: '2093456', username: 'a.b', by: 'Head' },
      { kind: 'run_queued', dfeNumber: '2093456', by: 'Head' },
      {
        kind: 'sharing',
        dfeNumber: '2093456',
        schoolName: 'Hill School',
        laPreApproval: true,
        done: 'Reading: approved by Head on 2026-12-07 09:00 UTC, in chat: reports students; fields names, username; for reading',
        requests: Array.from({ length: 40 }, (_, i) => ({
          subscriberId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
          name: `Service ${i} ${'x'.repeat(120)}`,
          purpose: 'p'.repeat(300),
          wants: `reports students, staff; fields names, username, dateOfBirth; for ${'p'.repeat(300)}`,
          state: (['requested', 'approved', 'declined', 'revoked'] as const)[i % 4]!,
          ...(i % 4 ? { decided: `approved by Head on 2026-12-07 09:00 UTC, in chat: ${'w'.repeat(400)}` } : {}),
        })),
      },
    ];
    for (const v of views) {
      expect(cardProblems(renderCard(v)), v.kind).toEqual([]);
      expect(adaptiveCardErrors(renderCard(v)), v.kind).toEqual([]);
    }
    expect(JSON.stringify(renderCard(views[0]!))).toContain('"verb":"uso.approve"');
  });

  it('is read cleanly by the Adaptive Cards SDK at 1.5, which does object to what Teams would drop', () => {
    expect(
      adaptiveCardErrors({
        type: 'AdaptiveCard',
        version: '1.5',
        body: [{ type: 'TextBlock', text: 'x', weight: 'Heavy' }, { type: 'Carousel2' }],
      }),
    ).toEqual([
      'Invalid value "Heavy" for property "weight".',
      'Unknown element type "Carousel2". Fallback will be used if present.',
    ]);
  });

  it('keeps a decision stacked above a full page of long matches within the limit', () => {
    const decided = renderCard({
      kind: 'decided',
      dfeNumber: '2093456',
      personId: 'P1',
      decision: 'matched',
      username: 'candidate1.0',
      by: 'Head',
    });
    const page = renderCard({ kind: 'matches', dfeNumber: '2093456', matches }, 3);
    const both = stacked(decided, page);
    expect(cardProblems(both)).toEqual([]);
    expect(adaptiveCardErrors(both)).toEqual([]);
    expect(both.actions).toEqual(page.actions); // the pager stays
  });

  it('renders the cards Teams users see as they were reviewed (snapshots)', () => {
    const small: MatchView = {
      personId: 'P7',
      role: 'staff',
      name: 'Ann *Lee*',
      maskedDob: 'xx/xx/1990',
      candidates: [
        {
          username: 'ann.lee',
          name: 'Anne Lee',
          maskedDob: 'xx/xx/1990',
          score: 0.88,
          reasons: ['forename differs by one letter'],
          schools: ['2093456'],
          lastSeen: '2026-07-20',
        },
      ],
    };
    const cards = {
      matches: renderCard({ kind: 'matches', dfeNumber: '2093456', matches: [small] }),
      summary: renderCard({
        kind: 'summary',
        dfeNumber: '2093456',
        schoolName: 'Oakfield Primary',
        runId: 'r1',
        status: 'succeeded',
        counts: { created: 3, unallocated: 2, held_unallocation: 12 },
        guards: [],
        held: 12,
        openMatches: 1,
      }),
      unallocated: renderCard({
        kind: 'accounts',
        list: 'unallocated',
        dfeNumber: '2093456',
        accounts: [{ username: 'sam.hill', name: 'Sam Hill', role: 'pupil' as const, until: '2026-07-22' }],
      }),
      nonMis: renderCard({ kind: 'accounts', list: 'non_mis', dfeNumber: '2093456', accounts: [] }),
      status: renderCard({
        kind: 'status',
        paused: true,
        schools: [
          {
            dfeNumber: '2093456',
            name: 'Oakfield Primary',
            paused: false,
            grant: 'granted',
            openMatches: 1,
            heldChanges: [{ runId: 'r1', count: 12 }],
            lastRun: {
              runId: 'r1',
              status: 'succeeded',
              trigger: 'nightly',
              startedAt: '2026-11-27T18:00:05.000Z',
              counts: { created: 3 },
            },
          },
        ],
      }),
      confirmExclude: confirmationFor('exclude', { d: '2093456', p: 'P7', page: 2 }, 'MIS person P7'),
      confirmApprove: confirmationFor('approve', { d: '2093456', r: 'r1' }, 'The held changes of run r1'),
    };
    for (const [name, c] of Object.entries(cards)) {
      expect(cardProblems(c), name).toEqual([]);
      expect(adaptiveCardErrors(c), name).toEqual([]);
    }
    expect(cards).toMatchSnapshot();
  });
});
