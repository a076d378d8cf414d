// The look-alike index's keys: where an account is filed so that every account the matcher could take for a person
// is found by looking up a few keys of the person, each one `_id` read, whatever the size of the LA. Each key names
// a small block, narrower than the block keys (whose phonetic surname block grows with the LA):
//
//   u|UPN                  the same UPN (a UPN is for life)
//   LA|dx|DOB|X            the same date of birth and a forename initial X (of either forename, or of the formal
//                          name a short form stands for); looked up by the day/month swap too, and by the initial of
//                          the person's surname (names given the wrong way round)
//   LA|sym|S|YYYY-MM       a phonetic surname key S with the year and month of birth, and likewise the year and
//   LA|syd|S|YYYY-DD       day (syd) and the month and day (smd): a birth date with a slip of the keyboard (one digit
//   LA|smd|S|MM-DD         off, or two neighbouring digits the wrong way round) keeps two of its three parts, so an
//                          account whose birth date is a slip of the person's is in one of the person's three blocks
//   LA|s-|S                a surname key of an account with no birth date
//   LA|n|SURNAME|FORENAME  the exact surname and first forename (namesakes, whatever their birth dates)
//
// That is every pair `scoreCandidate` or the weighed comparison can accept: the rules need the same UPN or a birth
// date that agrees, is swapped, slipped or is missing, with names close enough that the surname shares a phonetic
// key, or the same birth date with a forename close enough to share an initial (a change of surname); the weights
// need two of forename, surname and birth date exactly. A person with no birth date is the one
// case the keys do not cover: they are looked up the older way. Each entry under a key is the account's projection
// for matching, so a reader tells a look-alike from the rest of a block without reading the account. Names in keys
// are written with only letters and digits (others as %XX), so a range of keys orders as their text does.
import { formalNamesOf, surnameKeys, normaliseName } from './names.js';
import { swapDayMonth, type MatchablePerson } from './blocking.js';
import type { Account } from './model.js';

/** Bump whenever the keys or the entries change: the store rebuilds the index from the accounts. */
export const LOOKALIKE_KEYS_VERSION = 1;

/** The legal forename's first word and the legal surname without spaces: the values counted and compared exactly. */
export const firstForename = (p: MatchablePerson) => normaliseName(p.legalForename).split(' ')[0]!;
export const wholeSurname = (p: MatchablePerson) => normaliseName(p.legalSurname).replace(/ /g, '');

/** What an index entry keeps of an account: the fields the matcher compares, and the username. */
export type IndexedPerson = MatchablePerson & { username: string };

const FIELDS = [
  'kind',
  'legalForename',
  'preferredForename',
  'legalSurname',
  'preferredSurname',
  'dateOfBirth',
  'gender',
  'upn',
] as const;

/** An entry as stored: a JSON array (username, then FIELDS in order), so equal projections are equal strings. */
export function encodeEntry(a: IndexedPerson): string {
  return JSON.stringify([a.username, ...FIELDS.map((f) => a[f] ?? null)]);
}

/** The projection an entry holds; undefined for text that is not an entry. */
export function decodeEntry(text: string): IndexedPerson | undefined {
  let cells: unknown;
  try {
    cells = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(cells) || typeof cells[0] !== 'string') return undefined;
  const out: Record<string, unknown> = { username: cells[0] };
  FIELDS.forEach((f, i) => {
    const v = cells[i + 1];
    if (typeof v === 'string') out[f] = v;
  });
  if (typeof out.legalForename !== 'string') out.legalForename = '';
  if (typeof out.legalSurname !== 'string') out.legalSurname = '';
  return out as unknown as IndexedPerson;
}

/** Whether a birth date is written as an ISO date (a slip is told digit by digit, so only those are keyed by it). */
const isoDate = (dob: string | undefined): dob is string => /^\d{4}-\d{2}-\d{2}$/.test(dob ?? '');

const surnameKeysOf = (p: MatchablePerson) => [
  ...new Set([...surnameKeys(p.legalSurname), ...surnameKeys(p.preferredSurname)]),
];

/** A name as written in a key: letters and digits as they are, anything else as %XX. */
const keyText = (name: string) =>
  [...name].map((c) => (/[A-Za-z0-9]/.test(c) ? c : `%${c.codePointAt(0)!.toString(16).toUpperCase()}`)).join('');

/** The exact-names key of a surname and forename; `namesakesPrefix` is the start of every key with that surname. */
const namesKey = (la: string, surname: string, forename: string) =>
  `${namesakesPrefix(la, surname)}${keyText(forename)}`;
/** The start of every key of people born on a day (one per forename initial). */
export const birthsPrefix = (la: string, dob: string) => `${la}|dx|${keyText(dob)}|`;
export const namesakesPrefix = (la: string, surname: string) => `${la}|n|${keyText(surname)}|`;
/** The start of a key up to its third `|`: for an exact-names or birth-date key, its `namesakesPrefix` or `birthsPrefix`. */
export function keyPrefix(key: string): string | undefined {
  const first = key.indexOf('|');
  const second = first < 0 ? -1 : key.indexOf('|', first + 1);
  const third = second < 0 ? -1 : key.indexOf('|', second + 1);
  return third < 0 ? undefined : key.slice(0, third + 1);
}

/** The three blocks of a surname key with two of the three parts of a birth date. */
const dateKeys = (la: string, s: string, dob: string) => {
  const [y, m, d] = dob.split('-');
  return [`${la}|sym|${s}|${y}-${m}`, `${la}|syd|${s}|${y}-${d}`, `${la}|smd|${s}|${m}-${d}`];
};

/** The initials of a person's forenames, and of the formal names they are short forms of. */
function forenameInitials(p: MatchablePerson): string[] {
  const initials = new Set<string>();
  for (const f of [p.legalForename, p.preferredForename]) {
    const n = normaliseName(f);
    if (!n) continue;
    for (const form of [n.split(' ')[0]!, n.replace(/ /g, '')])
      for (const name of [form, ...formalNamesOf(form)]) initials.add(keyText(name.slice(0, 1)));
  }
  return [...initials];
}

/** The keys an account with these details is filed under in one LA. */
function filedKeys(p: MatchablePerson, la: string): string[] {
  const keys: string[] = [];
  const dob = isoDate(p.dateOfBirth) ? p.dateOfBirth : undefined;
  if (p.dateOfBirth) for (const x of forenameInitials(p)) keys.push(`${birthsPrefix(la, p.dateOfBirth)}${x}`);
  for (const s of surnameKeysOf(p)) keys.push(...(dob ? dateKeys(la, s, dob) : [`${la}|s-|${s}`]));
  const fore = firstForename(p);
  const sur = wholeSurname(p);
  if (fore && sur) keys.push(namesKey(la, sur, fore));
  return keys;
}

/** The LAs an account is at (its associations'). */
export const lasOf = (a: Pick<Account, 'associations'>) => [...new Set(a.associations.map((x) => x.laCode))];

/** Each key the account is filed under, with its entry there (the same entry under every key). */
export function indexEntries(a: Account): Map<string, string> {
  const entry = encodeEntry(a);
  const out = new Map<string, string>();
  if (a.upn) out.set(`u|${a.upn}`, entry);
  for (const la of lasOf(a)) for (const k of filedKeys(a, la)) out.set(k, entry);
  return out;
}

/**
 * The keys to look a person up by in an LA: every block an account the matcher could accept for them is filed in.
 * Undefined for a person with no (well-formed) birth date, whose look-alikes the keys do not cover.
 */
export function lookupKeys(p: MatchablePerson, la: string): string[] | undefined {
  const dob = p.dateOfBirth;
  if (!isoDate(dob)) return undefined;
  const keys = new Set<string>();
  if (p.upn) keys.add(`u|${p.upn}`);
  const swapped = swapDayMonth(dob);
  const surnameInitial = keyText(normaliseName(p.legalSurname).slice(0, 1));
  for (const day of swapped ? [dob, swapped] : [dob])
    for (const x of [...forenameInitials(p), surnameInitial]) if (x) keys.add(`${birthsPrefix(la, day)}${x}`);
  for (const s of surnameKeysOf(p)) {
    keys.add(`${la}|s-|${s}`);
    for (const k of dateKeys(la, s, dob)) keys.add(k);
  }
  const fore = firstForename(p);
  const sur = wholeSurname(p);
  if (fore && sur) keys.add(namesKey(la, sur, fore));
  return [...keys];
}
