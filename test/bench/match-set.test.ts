// The labelled-set loader of `npm run bench -- --match-set`: sets from elsewhere carry whatever fields they have, so
// every person field is optional, anything missing, empty or malformed is unknown, and fields it does not know are
// ignored. A set lacking any one field still loads and is scored.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluate, loadMatchSet } from '../../bench/matching.js';

const people = [
  ['Xanthe', 'Abbondandola', '1969-02-18', 'F'],
  ['Daniel', 'Okafor', '1980-02-02', 'M'],
  ['Amelia', 'Hughes', '2015-04-12', 'F'],
  ['Kofi', 'Mensah', '1975-11-30', 'M'],
] as const;
const full = people.map(([legalForename, legalSurname, dateOfBirth, gender]) => ({
  legalForename,
  legalSurname,
  preferredForename: legalForename.slice(0, 3),
  dateOfBirth,
  gender,
  upn: undefined,
  kind: 'staff',
}));

function writeSet(set: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'match-set-')), 'set.json');
  writeFileSync(file, JSON.stringify(set));
  return file;
}

/** A set whose accounts and probes all lack `field`: probe i is a copy of account i, plus a stranger. */
function setWithout(field: string | undefined) {
  const drop = (p: Record<string, unknown>) => Object.fromEntries(Object.entries(p).filter(([k]) => k !== field));
  return {
    laCode: 'febrl',
    accounts: full.map((p, i) => ({ username: `a${i}`, ...drop(p) })),
    probes: [
      ...full.map((p, i) => ({ id: `p${i}`, person: drop(p), truth: `a${i}`, cause: 'copy' })),
      {
        id: 'x',
        person: drop({
          ...full[0]!,
          legalForename: 'Zebedee',
          preferredForename: 'Zeb',
          legalSurname: 'Quayle',
          dateOfBirth: '1990-06-06',
        }),
        cause: 'stranger',
      },
    ],
  };
}

describe('labelled sets from elsewhere', () => {
  it.each([undefined, 'legalForename', 'legalSurname', 'preferredForename', 'dateOfBirth', 'gender', 'upn', 'kind'])(
    'a set without %s loads and is scored',
    (field) => {
      const set = loadMatchSet(writeSet(setWithout(field)));
      expect(set.accounts).toHaveLength(4);
      expect(set.probes).toHaveLength(5);
      if (field)
        for (const a of set.accounts)
          expect((a as unknown as Record<string, unknown>)[field] || undefined).toBeUndefined();
      const scored = evaluate(set);
      expect(scored.probes).toBe(5);
      // copies are found whatever one field is missing, and the stranger matches nobody
      expect(scored.recall).toBe(1);
      expect(scored.precision).toBe(1);
      expect(Object.fromEntries(scored.byCause)).toMatchObject({ copy: { found: 4 }, stranger: { wrong: 0 } });
    },
  );

  it('reads any LA code, ignores fields it does not know, and takes malformed values as unknown', () => {
    const set = loadMatchSet(
      writeSet({
        laCode: 'E09000033',
        source: 'somewhere',
        accounts: [
          { username: 'a0', legalForename: 42, legalSurname: ' Okafor ', dateOfBirth: '1980-2-2', gender: 'male' },
          { username: 'a1', legalForename: '', legalSurname: 'Hughes', dateOfBirth: null, kind: 'teacher', x: [1] },
        ],
        probes: [{ id: 7, person: { legalSurname: 'Okafor', extra: true }, truth: 'a0' }],
      }),
    );
    expect(set.laCode).toBe('E09000033');
    expect(set.accounts[0]).toEqual({ username: 'a0', legalForename: '', legalSurname: 'Okafor' });
    expect(set.accounts[1]).toEqual({ username: 'a1', legalForename: '', legalSurname: 'Hughes' });
    expect(set.probes[0]).toEqual({ person: { legalForename: '', legalSurname: 'Okafor' }, truth: 'a0' });
  });

  it('refuses a file that is not a labelled set at all, saying where', () => {
    expect(() => loadMatchSet(writeSet({ laCode: 'x', accounts: [{ legalSurname: 'Okafor' }], probes: [] }))).toThrow(
      /username/,
    );
  });
});
