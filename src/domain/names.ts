// Pure name helpers shared by matching, usernames and exclusions: ASCII folding, normalised comparison keys,
// Jaro-Winkler and Levenshtein similarity, a Soundex key for phonetic blocking, and short forms from a published list.
import { readFileSync } from 'node:fs';
import anyAscii from 'any-ascii';

/**
 * ASCII transliteration of any script (any-ascii): accents dropped (é -> e), special letters spelt out (ł -> l,
 * ß -> ss), and non-Latin names romanised (Олександр -> Oleksandr, Γιώργος -> Giorgos, 王小明 -> WangXiaoMing), so
 * names in every script compare, block and make usernames.
 */
export function toAscii(text: string): string {
  return anyAscii(text);
}

/** Comparison form: ASCII, lower case, apostrophes dropped, other separators to single spaces. */
export function normaliseName(text: string | undefined): string {
  if (!text) return '';
  return toAscii(text)
    .toLowerCase()
    .replace(/['’`]/g, '')
    .replace(/[^a-z]+/g, ' ')
    .trim();
}

/** The parts of a (possibly hyphenated or double-barrelled) name. */
export function nameParts(text: string | undefined): string[] {
  return normaliseName(text).split(' ').filter(Boolean);
}

/** Key for exclusion lists: "forename surname" normalised. */
export function personNameKey(forename: string, surname: string): string {
  return `${normaliseName(forename)}|${normaliseName(surname).replace(/ /g, '')}`;
}

export function jaroWinkler(a: string, b: string): number {
  if (a === b) return a.length === 0 ? 0 : 1;
  if (!a || !b) return 0;
  const window = Math.max(0, Math.floor(Math.max(a.length, b.length) / 2) - 1);
  const aMatched = new Array<boolean>(a.length).fill(false);
  const bMatched = new Array<boolean>(b.length).fill(false);
  let matches = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = Math.max(0, i - window); j < Math.min(b.length, i + window + 1); j++) {
      if (!bMatched[j] && a[i] === b[j]) {
        aMatched[i] = bMatched[j] = true;
        matches++;
        break;
      }
    }
  }
  if (matches === 0) return 0;
  let transpositions = 0;
  for (let i = 0, j = 0; i < a.length; i++) {
    if (!aMatched[i]) continue;
    while (!bMatched[j]) j++;
    if (a[i] !== b[j]) transpositions++;
    j++;
  }
  const m = matches;
  const jaro = (m / a.length + m / b.length + (m - transpositions / 2) / m) / 3;
  let prefix = 0;
  while (prefix < 4 && a[prefix] === b[prefix]) prefix++;
  return jaro + prefix * 0.1 * (1 - jaro);
}

export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

const soundexCodes: Record<string, string> = {
  b: '1',
  f: '1',
  p: '1',
  v: '1',
  c: '2',
  g: '2',
  j: '2',
  k: '2',
  q: '2',
  s: '2',
  x: '2',
  z: '2',
  d: '3',
  t: '3',
  l: '4',
  m: '5',
  n: '5',
  r: '6',
};

/** American Soundex of one normalised word (letters a-z). */
export function soundex(word: string): string {
  const w = word.replace(/[^a-z]/g, '');
  if (!w) return '';
  let key = w[0]!.toUpperCase();
  let last = soundexCodes[w[0]!] ?? '';
  for (let i = 1; i < w.length && key.length < 4; i++) {
    const ch = w[i]!;
    const code = soundexCodes[ch] ?? '';
    if (code && code !== last) key += code;
    if (ch !== 'h' && ch !== 'w') last = code;
  }
  return key.padEnd(4, '0');
}

/** Phonetic keys of a surname: the whole name and each part of a double-barrelled one. */
export function surnameKeys(surname: string | undefined): string[] {
  const parts = nameParts(surname);
  const keys = new Set<string>();
  if (parts.length > 0) keys.add(soundex(parts.join('')));
  for (const p of parts) if (p.length > 1) keys.add(soundex(p));
  return [...keys];
}

// Short forms and the formal names they stand for. The list is data: Carlton Northern's hand-curated English
// nicknames (github.com/carltonnorthern/nicknames, v1.0.1, Apache-2.0, name-lists/nicknames.LICENSE), and beside it the
// British short forms it lacks (name-lists/short-forms-uk.csv, this project's). Each line reads "formal,has_nickname,short";
// a name maps to the formal names it stands for, so two names agree when they share one (Bill and Will: William).
function readShortForms(file: string): [string, string][] {
  const text = readFileSync(new URL(`./name-lists/${file}`, import.meta.url), 'utf8');
  return text
    .split(/\r?\n/)
    .slice(1)
    .map((line) => line.trim().toLowerCase().split(','))
    .filter((cells): cells is [string, string, string] => cells.length === 3 && cells[1] === 'has_nickname')
    .map(([formal, , short]) => [formal, short]);
}
const canonical = new Map<string, Set<string>>();
for (const [formal, short] of [...readShortForms('nicknames.csv'), ...readShortForms('short-forms-uk.csv')]) {
  for (const name of [formal, short]) {
    const set = canonical.get(name) ?? new Set<string>();
    set.add(formal);
    canonical.set(name, set);
  }
}

/** The formal names a forename stands for (William for Bill; a formal name for itself); none for a name not listed. */
export function formalNamesOf(name: string): string[] {
  return [...(canonical.get(name) ?? [])];
}

/** True when one forename is a known short form of the other (Tom/Thomas, Bill/William). */
export function isShortFormOf(a: string, b: string): boolean {
  const x = canonical.get(a);
  const y = canonical.get(b);
  if (!x || !y) return false;
  for (const f of x) if (y.has(f)) return true;
  return false;
}
