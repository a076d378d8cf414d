// A labelled matching set made by the generator: existing accounts, true duplicates of some of them with the
// corruptions real MIS data carries, and hard non-matches (twins, namesakes born on other days).
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { Faker, base, en, en_GB } from '@faker-js/faker';
import { generateLocalAuthority } from '../src/sync/integris/sim/generator.js';
import { findCandidates, matchContextOf } from '../src/sync/match.js';
import { accountBlockKeys, lookupBlockKeys, type MatchablePerson } from '../src/domain/blocking.js';

export interface LabelledProbe {
  person: MatchablePerson;
  /** The username it truly is, or undefined for a different person. */
  truth?: string;
  /** What was done to make it: the kind of error, or the kind of other person. */
  cause: string;
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
    // what MIS exports get wrong beyond typing: names the wrong way round, a forename left out or cut to its
    // initial, a stray space or hyphen, two birth-date digits transposed, a birth date missing
    [
      'names swapped',
      (a) => ({
        ...a,
        legalForename: a.legalSurname.toUpperCase(),
        legalSurname: a.legalForename,
        preferredForename: undefined,
      }),
    ],
    ['forename missing', (a) => ({ ...a, legalForename: '', preferredForename: undefined })],
    ['initial only', (a) => ({ ...a, legalForename: a.legalForename[0]!, preferredForename: undefined })],
    [
      'stray space or hyphen',
      (a) =>
        a.legalForename.length > 3
          ? {
              ...a,
              legalForename: `${a.legalForename.slice(0, 2)}${f.helpers.arrayElement([' ', '-'])}${a.legalForename.slice(2).toLowerCase()}`,
            }
          : undefined,
    ],
    [
      'birth date digits transposed',
      (a) => {
        const d = a.dateOfBirth;
        const t = `${d.slice(0, 8)}${d[9]}${d[8]}`;
        return t !== d && !Number.isNaN(Date.parse(t)) ? { ...a, dateOfBirth: t } : undefined;
      },
    ],
    ['birth date missing', (a) => ({ ...a, dateOfBirth: undefined })],
  ];
  for (const a of accounts) {
    const roll = f.number.int(99);
    if (roll < 30) {
      const [name, corrupt] = f.helpers.arrayElement(corruptions);
      const p = corrupt(a);
      if (p) probes.push({ person: { ...p, upn: undefined }, truth: a.username, cause: name });
    } else if (roll < 33) {
      // a twin (about 3% of pupils are): same surname and birthday, their own forename (and no share of the sibling's preferred name)
      probes.push({
        person: {
          ...a,
          legalForename: f.helpers.arrayElement(['Isla', 'Harry', 'Noah', 'Ava', 'Leo', 'Mia']),
          preferredForename: undefined,
        },
        cause: 'no account: twin',
      });
    } else if (roll < 43) {
      // a namesake: another child of the same name, born on another day of the same school year
      const other = f.date
        .between({ from: `${Number(a.dateOfBirth.slice(0, 4)) - 1}-09-01`, to: `${a.dateOfBirth.slice(0, 4)}-08-31` })
        .toISOString()
        .slice(0, 10);
      if (other !== a.dateOfBirth)
        probes.push({ person: { ...a, dateOfBirth: other }, cause: 'no account: namesake, other birthday' });
    }
  }
  return { laCode: la.laCode, accounts, probes };
}

/** A labelled set: accounts and probes, each probe the account it truly is (or none). */
export interface MatchSet {
  laCode: string;
  accounts: (MatchablePerson & { username: string })[];
  probes: { person: MatchablePerson; truth?: string; cause?: string }[];
}

/** A value that is there: a non-empty string (anything else, a missing, empty or malformed value, is unknown). */
const known = z
  .unknown()
  .optional()
  .transform((v) => (typeof v === 'string' && v.trim() ? v.trim() : undefined));
const day = z
  .unknown()
  .optional()
  .transform((v) => (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v.trim()) ? v.trim() : undefined));
const personFields = z.looseObject({
  legalForename: known,
  legalSurname: known,
  preferredForename: known,
  preferredSurname: known,
  dateOfBirth: day,
  gender: z
    .unknown()
    .optional()
    .transform((v) => (typeof v === 'string' && /^[MFXU]$/i.test(v.trim()) ? v.trim().toUpperCase() : undefined)),
  upn: known,
  kind: z
    .unknown()
    .optional()
    .transform((v) => (v === 'pupil' || v === 'staff' ? v : undefined)),
});
const matchSetSchema = z.object({
  laCode: z.string().min(1),
  accounts: z.array(personFields.extend({ username: z.string().min(1) })),
  probes: z.array(z.looseObject({ id: z.unknown(), person: personFields, truth: known, cause: known })),
});

/**
 * Reads a labelled set from JSON (the format in bench/README.md): `{laCode, accounts: [{username, legalForename,
 * legalSurname, preferredForename?, dateOfBirth?, gender?, upn?, kind?}], probes: [{id, person: {...}, truth?}]}`.
 */
export function loadMatchSet(path: string): MatchSet {
  const raw = matchSetSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
  const person = (p: z.infer<typeof personFields>): MatchablePerson => ({
    legalForename: p.legalForename ?? '',
    legalSurname: p.legalSurname ?? '',
    ...(p.preferredForename ? { preferredForename: p.preferredForename } : {}),
    ...(p.preferredSurname ? { preferredSurname: p.preferredSurname } : {}),
    ...(p.dateOfBirth ? { dateOfBirth: p.dateOfBirth } : {}),
    ...(p.gender ? { gender: p.gender } : {}),
    ...(p.upn ? { upn: p.upn } : {}),
    ...(p.kind ? { kind: p.kind } : {}),
  });
  return {
    laCode: raw.laCode,
    accounts: raw.accounts.map((a) => ({ ...person(a), username: a.username })),
    probes: raw.probes.map((p) => ({
      person: person(p.person),
      ...(p.truth ? { truth: p.truth } : {}),
      ...(p.cause ? { cause: p.cause } : {}),
    })),
  };
}

/** Found, missed and wrongly found, for one kind of probe or all. */
interface Tally {
  probes: number;
  found: number;
  missed: number;
  wrong: number;
}
const tally = (): Tally => ({ probes: 0, found: 0, missed: 0, wrong: 0 });

/**
 * Scores the matcher on a labelled set as the service runs it: candidates blocked by their keys, then scored with the
 * set's accounts as the population (its size, its forenames and its share of twins). A probe is found when its account
 * is among its candidates, and wrong when it has candidates and its account (if any) is not among them.
 */
export function evaluate(set: MatchSet) {
  const blocks = new Map<string, MatchSet['accounts'][number][]>();
  for (const a of set.accounts)
    for (const k of accountBlockKeys(a, [set.laCode])) blocks.set(k, [...(blocks.get(k) ?? []), a]);
  const context = matchContextOf(set.accounts.length, set.accounts);
  const all = tally();
  const byCause = new Map<string, Tally>();
  // top-1: the best candidate must be the truth
  let tp1 = 0;
  let fp1 = 0;
  let fn1 = 0;
  let scored = 0;
  const started = performance.now();
  for (const probe of set.probes) {
    const pool = new Set<MatchSet['accounts'][number]>();
    for (const k of lookupBlockKeys(probe.person, set.laCode)) for (const a of blocks.get(k) ?? []) pool.add(a);
    scored += pool.size;
    const found = findCandidates(probe.person, [...pool], context);
    const hit = probe.truth !== undefined && found.some((c) => c.username === probe.truth);
    const cause = probe.cause ?? (probe.truth ? 'has an account' : 'no account');
    const t = byCause.get(cause) ?? tally();
    byCause.set(cause, t);
    for (const x of [all, t]) {
      x.probes++;
      if (hit) x.found++;
      else if (probe.truth !== undefined) x.missed++;
      if (!hit && found.length > 0) x.wrong++;
    }
    const best = found[0]?.username;
    if (best !== undefined && best === probe.truth) tp1++;
    else {
      if (best !== undefined) fp1++;
      if (probe.truth !== undefined) fn1++;
    }
  }
  const p1 = tp1 / Math.max(1, tp1 + fp1);
  const r1 = tp1 / Math.max(1, tp1 + fn1);
  const seconds = (performance.now() - started) / 1000;
  const precision = all.found / Math.max(1, all.found + all.wrong);
  const recall = all.found / Math.max(1, all.found + all.missed);
  return {
    precision,
    recall,
    f1: (2 * precision * recall) / Math.max(1e-9, precision + recall),
    top1F1: (2 * p1 * r1) / Math.max(1e-9, p1 + r1),
    rate: scored / seconds,
    probes: set.probes.length,
    byCause: [...byCause.entries()].sort(([a], [b]) => a.localeCompare(b)),
  };
}
