// Every list chat shows, with a thousand people in it: each page within Block Kit's and Teams' limits, and every
// person on exactly one page (paged, never cut short). Names are long and full of markup characters.
import { describe, expect, it } from 'vitest';
import type { View } from '../../src/bot/view-model.js';
import { blockKitProblems, PAGE_SIZES, render } from '../../src/bot/views/blocks.js';
import { CARD_PAGE_SIZES, cardProblems, newAccountsTable, renderCard } from '../../src/bot/views/cards.js';
import { csvCell, newAccountsCsv } from '../../src/bot/csv.js';
import { adaptiveCardErrors } from '../helpers/adaptive-cards.js';

const N = 1000;
const name = (i: number) => `Ngozi-Ó *Súilleabháin* <b>[${i}](http://x) ${'long '.repeat(12)}`;
const user = (i: number) => `person.${String(i).padStart(4, '0')}`;

const lists: Record<string, View> = {
  held: {
    kind: 'held',
    dfeNumber: '2093456',
    runId: '3f1e0c1e-5d7a-4a47-9a0e-3c1d8f1f2a11',
    guards: ['1000 of 1200 pupils would leave: over this school’s 10% threshold'],
    open: N,
    changes: Array.from({ length: N }, (_, i) => ({
      username: user(i),
      name: name(i),
      maskedDob: 'xx/xx/2015',
      role: i % 5 ? 'pupil' : 'staff',
      group: 'Year 7, 7KH',
      change: i % 2 ? 'unallocation' : 'update',
      fields:
        i % 2
          ? []
          : Array.from({ length: 8 }, (_, j) => ({ field: `field ${j}`, from: 'x'.repeat(60), to: 'y'.repeat(60) })),
      reason: 'absent from the export',
      state: i % 7 ? 'held' : 'approved',
      by: 'slack:T1:UHEAD',
    })),
  },
  unallocated: {
    kind: 'accounts',
    list: 'unallocated',
    dfeNumber: '2093456',
    accounts: Array.from({ length: N }, (_, i) => ({
      username: user(i),
      name: name(i),
      role: 'pupil',
      group: 'Year 11, 11B',
      until: '2026-07-22',
    })),
  },
  nonMis: {
    kind: 'accounts',
    list: 'non_mis',
    dfeNumber: '2093456',
    accounts: Array.from({ length: N }, (_, i) => ({
      username: user(i),
      name: name(i),
      role: 'staff',
      since: '2025-09-01',
    })),
  },
  newAccounts: {
    kind: 'new_accounts',
    dfeNumber: '2093456',
    scope: 'run of 2026-11-27',
    runId: '3f1e0c1e-5d7a-4a47-9a0e-3c1d8f1f2a11',
    accounts: Array.from({ length: N }, (_, i) => ({
      username: user(i),
      name: name(i),
      role: 'pupil',
      how: 'created',
      group: 'Year 7, 7KH',
      firstDay: '2026-09-03',
      at: '2026-11-27T18:30:00.000Z',
    })),
  },
  invalid: {
    kind: 'invalid',
    dfeNumber: '2093456',
    runId: '3f1e0c1e-5d7a-4a47-9a0e-3c1d8f1f2a11',
    records: Array.from({ length: N }, (_, i) => ({
      personId: `P${i}`,
      report: 'students',
      name: name(i),
      field: 'dateOfBirth',
      reason: 'Invalid input: expected string, received undefined',
    })),
  },
};

const pagesOf = (size: number) => Math.ceil(N / size);

describe('lists of a thousand people', () => {
  for (const [kind, view] of Object.entries(lists)) {
    const slackSize =
      kind === 'held'
        ? PAGE_SIZES.held
        : kind === 'newAccounts'
          ? PAGE_SIZES.newAccounts
          : kind === 'invalid'
            ? PAGE_SIZES.invalid
            : PAGE_SIZES.accounts;
    const teamsSize =
      kind === 'held'
        ? CARD_PAGE_SIZES.held
        : kind === 'newAccounts'
          ? CARD_PAGE_SIZES.newAccounts
          : kind === 'invalid'
            ? CARD_PAGE_SIZES.invalid
            : CARD_PAGE_SIZES.accounts;
    const id = (i: number) => (kind === 'invalid' ? `record P${i})` : user(i));

    it(`${kind}: every Slack page within Block Kit's limits, everyone on exactly one page`, () => {
      const seen = new Map<number, number>();
      for (let page = 0; page < pagesOf(slackSize); page++) {
        const message = render(view, page);
        expect(blockKitProblems(message), `page ${page}`).toEqual([]);
        const text = JSON.stringify(message.blocks);
        for (let i = 0; i < N; i++)
          if (text.includes(`${id(i)}${kind === 'invalid' ? '' : '`'}`)) seen.set(i, (seen.get(i) ?? 0) + 1);
        expect(text.includes('"Next"'), `page ${page} has Next`).toBe(page < pagesOf(slackSize) - 1);
      }
      expect(seen.size).toBe(N);
      expect([...seen.values()].every((n) => n === 1)).toBe(true);
    });

    it(`${kind}: every Teams page within the card limits, everyone on exactly one page`, () => {
      const seen = new Map<number, number>();
      for (let page = 0; page < pagesOf(teamsSize); page++) {
        const card = renderCard(view, page);
        expect(cardProblems(card), `page ${page}`).toEqual([]);
        const text = JSON.stringify(card);
        for (let i = 0; i < N; i++)
          if (text.includes(`${id(i)}${kind === 'invalid' ? '' : ')'}`)) seen.set(i, (seen.get(i) ?? 0) + 1);
      }
      expect(adaptiveCardErrors(renderCard(view, 0))).toEqual([]);
      expect(seen.size).toBe(N);
      expect([...seen.values()].every((n) => n === 1)).toBe(true);
    });
  }

  it('pages the printable table of new accounts in Teams, and writes all of them to CSV', () => {
    const view = lists.newAccounts as Extract<View, { kind: 'new_accounts' }>;
    let rows = 0;
    for (let page = 0; page < pagesOf(CARD_PAGE_SIZES.table); page++) {
      const card = newAccountsTable(view, page);
      expect(cardProblems(card)).toEqual([]);
      rows += (JSON.stringify(card).match(/"TableRow"/g) ?? []).length - 1;
    }
    expect(rows).toBe(N);
    expect(adaptiveCardErrors(newAccountsTable(view, 0) as never)).toEqual([]);
    expect(newAccountsCsv(view).trimEnd().split('\r\n')).toHaveLength(N + 1);
  });

  it('keeps a CSV cell from becoming a spreadsheet formula or breaking its row', () => {
    expect(csvCell('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(csvCell('+44 20')).toBe("'+44 20");
    expect(csvCell('Smith, Jo')).toBe('"Smith, Jo"');
    expect(csvCell('Jo Smith')).toBe('Jo Smith');
  });

  it('answers who with twenty people of long histories within both platforms limits', () => {
    const view: View = {
      kind: 'who',
      query: 'amelia',
      schools: ['2093456'],
      found: Array.from({ length: 20 }, (_, i) => ({
        dfeNumber: '2093456',
        name: name(i),
        maskedDob: 'xx/xx/2015',
        account: {
          username: user(i),
          status: 'active',
          latestMoveOrCreateAt: '2026-09-03T18:00:00.000Z',
          associations: Array.from({ length: 5 }, (_, j) => ({
            dfeNumber: `209345${j}`,
            role: 'pupil' as const,
            status: 'ended',
            source: 'mis',
            since: '2020-09-01',
            until: '2021-07-20',
            group: 'Year 7, 7KH',
          })),
        },
        history: Array.from({ length: 20 }, () => ({
          at: '2026-11-27T18:00:00.000Z',
          what: 'held for matching (looks like a.b, c.d, e.f)',
          reason: 'x'.repeat(200),
          by: 'matched by teams:tenant:29:long-user-id',
        })),
      })),
    };
    expect(blockKitProblems(render(view))).toEqual([]);
    expect(cardProblems(renderCard(view))).toEqual([]);
    expect(adaptiveCardErrors(renderCard(view))).toEqual([]);
  });

  it('filters pupils or staff and says which', () => {
    const message = render({ ...(lists.unallocated as Extract<View, { kind: 'accounts' }>), filter: 'pupil' });
    expect(message.text).toContain('(pupils)');
    expect(JSON.stringify(message.blocks)).toContain('"Everyone"');
  });
});
