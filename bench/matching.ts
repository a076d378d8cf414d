// A labelled matching set made by the generator: existing accounts, true duplicates of some of them with the
// corruptions real MIS data carries, and hard non-matches (twins, namesakes born on other days).
import { Faker, base, en, en_GB } from '@faker-js/faker';
import { generateLocalAuthority } from '../src/sync/integris/sim/generator.js';
import { findCandidates } from '../src/sync/match.js';
import { accountBlockKeys, lookupBlockKeys, type MatchablePerson } from '../src/domain/blocking.js';

export interface LabelledProbe {
  person: MatchablePerson;
  /** The username it truly is, or undefined for a different person. */
  truth?: string;
  corruption: string;
}

const nicknames: Record<string, string> = {
  Thomas: 'Tom',
  William: 'Bill',
  Elizabeth: 'Beth',
  Alexander: 'Alex',
  Benjamin: 'Ben',
  Samuel: 'Sam',
  Katherine: 'Kate',
  Jessica: 'Jess',
  Matthew: 'Matt',
  Daniel: 'Dan',
  Rebecca: 'Becky',
  Charlotte: 'Lottie',
  Oliver: 'Ollie',
  James: 'Jim',
  Michael: 'Mike',
};

export function labelledSet(seed: number, accountsWanted: number) {
  const la = generateLocalAuthority({ seed, schools: Math.max(2, Math.ceil(accountsWanted / 500)), sizeFactor: 1 });
  const people = la.schools.flatMap((s) => s.students).slice(0, accountsWanted);
  const accounts = people.map((p, i) => ({
    username: `u${i}`,
    kind: 'pupil' as const,
    legalForename: p.legalForename,
    legalSurname: p.legalSurname,
    preferredForename: p.preferredForename,
    dateOfBirth: p.dateOfBirth,
    gender: p.gender,
  }));
  const f = new Faker({ locale: [en_GB, en, base] });
  f.seed(seed);
  const probes: LabelledProbe[] = [];
  const typo = (s: string) => {
    const i = f.number.int({ min: 1, max: Math.max(1, s.length - 2) });
    return `${s.slice(0, i)}${s[i + 1] ?? ''}${s[i] ?? ''}${s.slice(i + 2)}`;
  };
  const strip = (s: string) => s.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
  const corruptions: [string, (a: (typeof accounts)[0]) => MatchablePerson | undefined][] = [
    ['surname typo', (a) => ({ ...a, legalSurname: typo(a.legalSurname) })],
    ['forename typo', (a) => ({ ...a, legalForename: typo(a.legalForename) })],
    [
      'nickname',
      (a) => (nicknames[a.legalForename] ? { ...a, legalForename: nicknames[a.legalForename]! } : undefined),
    ],
    [
      'preferred name as legal',
      (a) =>
        a.preferredForename ? { ...a, legalForename: a.preferredForename, preferredForename: undefined } : undefined,
    ],
    ['hyphenated surname', (a) => ({ ...a, legalSurname: `${a.legalSurname}-${f.person.lastName()}` })],
    [
      'diacritics dropped',
      (a) =>
        strip(a.legalForename + a.legalSurname) !== a.legalForename + a.legalSurname
          ? { ...a, legalForename: strip(a.legalForename), legalSurname: strip(a.legalSurname) }
          : undefined,
    ],
    [
      'day/month swapped',
      (a) => {
        const [y, m, d] = a.dateOfBirth.split('-');
        return Number(d) <= 12 && d !== m ? { ...a, dateOfBirth: `${y}-${d}-${m}` } : undefined;
      },
    ],
    ['married name', (a) => ({ ...a, legalSurname: f.person.lastName() })],
  ];
  for (const a of accounts) {
    const roll = f.number.int(99);
    if (roll < 30) {
      const [name, corrupt] = f.helpers.arrayElement(corruptions);
      const p = corrupt(a);
      if (p) probes.push({ person: { ...p, upn: undefined }, truth: a.username, corruption: name });
    } else if (roll < 40) {
      // a twin: same surname and birthday, their own forename (and no share of the sibling's preferred name)
      probes.push({
        person: {
          ...a,
          legalForename: f.helpers.arrayElement(['Isla', 'Harry', 'Noah', 'Ava', 'Leo', 'Mia']),
          preferredForename: undefined,
        },
        corruption: 'twin',
      });
    } else if (roll < 50) {
      // a namesake: another child of the same name, born on another day of the same school year
      const other = f.date
        .between({ from: `${Number(a.dateOfBirth.slice(0, 4)) - 1}-09-01`, to: `${a.dateOfBirth.slice(0, 4)}-08-31` })
        .toISOString()
        .slice(0, 10);
      if (other !== a.dateOfBirth)
        probes.push({ person: { ...a, dateOfBirth: other }, corruption: 'namesake, other birthday' });
    }
  }
  return { laCode: la.laCode, accounts, probes };
}

export function evaluate(set: ReturnType<typeof labelledSet>) {
  const blocks = new Map<string, (typeof set.accounts)[number][]>();
  for (const a of set.accounts)
    for (const k of accountBlockKeys(a, [set.laCode])) blocks.set(k, [...(blocks.get(k) ?? []), a]);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let scored = 0;
  const started = performance.now();
  for (const probe of set.probes) {
    const pool = new Set<(typeof set.accounts)[number]>();
    for (const k of lookupBlockKeys(probe.person, set.laCode)) for (const a of blocks.get(k) ?? []) pool.add(a);
    scored += pool.size;
    const found = findCandidates(probe.person, [...pool]);
    const hit = probe.truth !== undefined && found.some((c) => c.username === probe.truth);
    if (hit) tp++;
    else if (probe.truth !== undefined) fn++;
    fp += found.filter((c) => c.username !== probe.truth).length > 0 && !hit ? 1 : 0;
  }
  const seconds = (performance.now() - started) / 1000;
  const precision = tp / Math.max(1, tp + fp);
  const recall = tp / Math.max(1, tp + fn);
  return {
    precision,
    recall,
    f1: (2 * precision * recall) / Math.max(1e-9, precision + recall),
    rate: scored / seconds,
    probes: set.probes.length,
  };
}
