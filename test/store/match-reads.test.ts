// A school's matches are read as one range of `_id`s (each id is the DfE number, ':' and the MIS person id), so a
// run never reads the matches of the whole LA (on the embedded store, a query by school decodes every one). Person
// ids are the MIS's own text: ones that sort before or around the range's ends are found all the same, and
// another school's matches never come with them.
import { describe, expect, it } from 'vitest';
import { matchesForRun, openMatches, resolveMatch, saveHeldMatches } from '../../src/store/matches.js';
import type { HeldMatch } from '../../src/domain/outcomes.js';
import { useTestStore, watchCommands } from '../helpers/store.js';

const ctx = useTestStore();

const held = (personId: string): HeldMatch => ({
  personId,
  report: 'students',
  person: { kind: 'pupil', legalForename: 'Ada', legalSurname: 'Byron', dateOfBirth: '2014-05-06' },
  startDate: '2026-09-01',
  candidates: [{ username: 'ada.byron', score: 0.9, certain: false, reasons: ['same names'] }],
});

// ids around the ends of the range as both stores order them (the embedded store compares JSON texts)
const tricky = [
  ' leading space',
  '!bang',
  '"quoted',
  '#hash',
  '0',
  '9',
  ':colon',
  ';semi',
  'plain',
  '~tilde',
  'ünï',
  '\u0001',
];

describe("a school's matches", () => {
  const { db: watchedDb, seen } = watchCommands();

  it('are read by their ids alone, whatever the person ids, and only that school', async () => {
    const db = ctx.store.db;
    // neighbours whose DfE numbers share the school's first digits or follow it
    for (const school of ['8015000', '8015001', '8015002', '8015010'])
      await saveHeldMatches(db, school, `run-${school}`, tricky.map(held), new Set());
    await resolveMatch(db, '8015001', 'plain', 'created', 'admin');

    const watched = watchedDb(db.databaseName);
    seen.length = 0;
    const open = await openMatches(watched, '8015001');
    const forRun = await matchesForRun(watched, '8015001');
    expect(open.map((m) => m.misPersonId).sort()).toEqual(tricky.filter((p) => p !== 'plain').sort());
    expect(open.every((m) => m.dfeNumber === '8015001')).toBe(true);
    expect(forRun.open.map((m) => m.misPersonId).sort()).toEqual(open.map((m) => m.misPersonId).sort());
    // chosen to be created, and its account not made yet: the next run creates it
    expect([...forRun.createAnyway]).toEqual(['plain']);
    const finds = seen.filter((e) => e.commandName === 'find' && e.command.find === 'matches');
    expect(finds).toHaveLength(2);
    for (const f of finds) expect(Object.keys(f.command.filter as object)).toEqual(['_id']);
  });
});
