// Every rendered Slack message stays within Block Kit's limits, even for a school with 500 people to match.
import { describe, expect, it } from 'vitest';
import type { MatchView, View } from '../../src/bot/view-model.js';
import { MATCHES_PER_PAGE, blockKitProblems, homeView, render } from '../../src/bot/views/blocks.js';

const longReasons = [
  'same forename',
  'surname differs by one letter',
  'day and month of birth swapped',
  'names differ only in accents or punctuation',
  'recorded gender differs',
];
const matches: MatchView[] = Array.from({ length: 500 }, (_, i) => ({
  personId: `P${String(i).padStart(6, '0')}-${'x'.repeat(40)}`,
  role: i % 10 ? 'pupil' : 'staff',
  name: `Ngozi-Ó Súilleabháin-Fitzgerald-Wiśniewska <${i}> & Co ${'long '.repeat(30)}`,
  maskedDob: 'xx/xx/2015',
  candidates: Array.from({ length: 5 }, (_, j) => ({
    username: `candidate.name${i}${j}`.slice(0, 20),
    name: `Candidate ${'name '.repeat(40)}`,
    maskedDob: 'xx/xx/2015',
    score: 0.9,
    reasons: longReasons,
    schools: ['2093456', '2094567'],
    lastSeen: '2026-11-20',
  })),
}));

describe('Block Kit rendering', () => {
  it('pages 500 pending matches within every limit', () => {
    const view: View = { kind: 'matches', dfeNumber: '2093456', matches };
    const pages = Math.ceil(500 / MATCHES_PER_PAGE);
    for (let page = 0; page < pages; page++) {
      const message = render(view, page);
      expect(blockKitProblems(message), `page ${page}`).toEqual([]);
    }
    const last = render(view, pages - 1);
    expect(JSON.stringify(last)).toContain('Previous');
    expect(JSON.stringify(render(view, 0))).not.toContain('Previous');
  });

  it('keeps names from breaking the markup and shows the masked birth date it is given', () => {
    const text = JSON.stringify(render({ kind: 'matches', dfeNumber: '2093456', matches: matches.slice(0, 1) }));
    expect(text).toContain('&lt;0&gt; &amp; Co');
    // the view model carries only the masked date (actions.test checks a full one never reaches it or a message)
    expect(text).toContain('xx/xx/2015');
  });

  it('renders lists, status and outcomes within the limits', () => {
    const views: View[] = [
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
      { kind: 'accounts', list: 'non_mis', dfeNumber: '2093456', accounts: [] },
      { kind: 'decided', dfeNumber: '2093456', personId: 'P1', decision: 'matched', username: 'a.b', by: 'Head' },
      {
        kind: 'held_decided',
        runId: 'r1',
        dfeNumber: '2093456',
        decision: 'approved',
        applied: 12,
        stale: ['x'],
        decided: ['x'],
        remaining: 0,
        by: 'Head',
      },
      {
        kind: 'status',
        paused: true,
        schools: Array.from({ length: 80 }, (_, i) => ({
          dfeNumber: `209${String(i).padStart(4, '0')}`,
          name: `School ${i}`,
          paused: false,
          grant: 'granted',
          openMatches: 3,
          heldChanges: [],
        })),
      },
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
    for (const v of views) expect(blockKitProblems(render(v)), v.kind).toEqual([]);
  });

  it('keeps the App Home within the 100 blocks of a home view for an LA of 200 schools', () => {
    const schools = Array.from({ length: 200 }, (_, i) => ({
      dfeNumber: `209${String(i).padStart(4, '0')}`,
      name: `School ${i}`,
      paused: false,
      grant: 'granted',
      openMatches: i % 3,
      heldChanges: [],
    }));
    const view = homeView(schools);
    expect(view.blocks.length).toBeLessThanOrEqual(100);
    expect(
      blockKitProblems({ text: 'home', blocks: view.blocks }).filter((p) => !p.includes('blocks (max 50)')),
    ).toEqual([]);
  });
});

describe('Block Kit snapshots', () => {
  it('renders a held person and a run summary exactly so', () => {
    const person: MatchView = {
      personId: 'S0001',
      role: 'pupil',
      name: 'Tom Whitfield',
      maskedDob: 'xx/xx/2016',
      candidates: [
        {
          username: 'thomas.whitfield',
          name: 'Thomas Whitfield',
          maskedDob: 'xx/xx/2016',
          score: 0.98,
          reasons: ['forename is a short form (tom/thomas)', 'same surname', 'same date of birth'],
          schools: ['2092000'],
          lastSeen: '2026-11-20',
        },
        {
          username: 'tom.whitfeld',
          name: 'Tom Whitfeld',
          maskedDob: 'xx/xx/2016',
          score: 0.87,
          reasons: ['same forename', 'surname differs by one letter', 'day and month of birth swapped'],
          schools: [],
        },
      ],
    };
    expect(render({ kind: 'matches', dfeNumber: '2092000', matches: [person] })).toMatchSnapshot();
    expect(
      render({
        kind: 'summary',
        dfeNumber: '2092000',
        schoolName: 'Oakfield Primary School',
        runId: 'run-1',
        status: 'succeeded',
        counts: { created: 3, unchanged: 290, held_unallocation: 31 },
        guards: [],
        held: 31,
        openMatches: 2,
      }),
    ).toMatchSnapshot();
  });
});
