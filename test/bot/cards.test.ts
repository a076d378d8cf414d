// Adaptive Cards for Teams: schema 1.5, Action.Execute, within the size limit even for 500 pending matches.
import { describe, expect, it } from 'vitest';
import type { MatchView, View } from '../../src/bot/actions.js';
import { CARD_MATCHES_PER_PAGE, cardProblems, renderCard } from '../../src/bot/views/cards.js';

const matches: MatchView[] = Array.from({ length: 500 }, (_, i) => ({
  personId: `P${i}`,
  kind: 'students',
  name: `Ngozi-Ó Súilleabháin [${i}](http://x) *Fitzgerald* ${'long '.repeat(20)}`,
  maskedDob: '**/**/2015',
  candidates: Array.from({ length: 4 }, (_, j) => ({ username: `candidate${i}.${j}`, name: `Candidate ${'name '.repeat(20)}`, maskedDob: '**/**/2015', score: 0.91, reasons: ['same forename', 'surname differs by one letter', 'day and month of birth swapped'], schools: ['2093456'], lastSeen: '2026-11-20' })),
}));

describe('Adaptive Cards', () => {
  it('pages 500 pending matches in cards Teams accepts', () => {
    const view: View = { kind: 'matches', dfeNumber: '2093456', matches };
    for (let page = 0; page < Math.ceil(500 / CARD_MATCHES_PER_PAGE); page++) expect(cardProblems(renderCard(view, page)), `page ${page}`).toEqual([]);
    const first = JSON.stringify(renderCard(view, 0));
    expect(first).toContain('"verb":"uso.match"');
    expect(first).toContain('\\\\[0\\\\]\\\\(http://x\\\\)'); // names cannot become links
    expect(first).not.toContain('2015-');
  });

  it('renders every other view within the limits', () => {
    const views: View[] = [
      { kind: 'summary', dfeNumber: '2093456', schoolName: 'Oakfield', runId: 'r1', status: 'succeeded', counts: { created: 3, held_unallocation: 40 }, held: 40, openMatches: 3 },
      { kind: 'accounts', list: 'unallocated', dfeNumber: '2093456', accounts: Array.from({ length: 300 }, (_, i) => ({ username: `u${i}`, name: `Name ${i}`, until: '2026-11-20' })) },
      { kind: 'status', paused: false, schools: Array.from({ length: 80 }, (_, i) => ({ dfeNumber: `209${i}`, name: `School ${i}`, paused: false, grant: 'granted', openMatches: 1, heldChanges: [] })) },
      { kind: 'decided', dfeNumber: '2093456', personId: 'P1', decision: 'created', username: 'a.b', by: 'Head' },
      { kind: 'held_decided', runId: 'r1', dfeNumber: '2093456', decision: 'rejected', applied: 0, stale: [], by: 'Head' },
      { kind: 'restored', dfeNumber: '2093456', username: 'a.b', by: 'Head' },
      { kind: 'run_queued', dfeNumber: '2093456', by: 'Head' },
    ];
    for (const v of views) expect(cardProblems(renderCard(v)), v.kind).toEqual([]);
    expect(JSON.stringify(renderCard(views[0]!))).toContain('"verb":"uso.approve"');
  });
});
