// Forgiving name search for "who is ...": case, accents and other scripts folded (as matching does), a word may be
// the start of a name part ("ami" finds Amelia) or misspelt by a letter or two ("Amelai", "Jonhson").
import { jaroWinkler, levenshtein, nameParts } from './names.js';

/** How well one typed word fits one name part, 0 when it does not. */
function wordFit(word: string, part: string): number {
  if (word === part) return 1;
  if (word.length >= 2 && part.startsWith(word)) return 0.9;
  const allowed = word.length >= 7 ? 2 : word.length >= 4 ? 1 : 0;
  if (allowed && levenshtein(word, part) <= allowed) return 0.8;
  if (word.length >= 4 && jaroWinkler(word, part) >= 0.9) return 0.75;
  return 0;
}

/**
 * How well a typed name fits a person's names (all given parts: legal, preferred, middle), 0 to 1; 0 unless every
 * typed word fits some part of the names.
 */
export function nameQueryScore(query: string, names: readonly (string | undefined)[]): number {
  const words = nameParts(query);
  const parts = names.flatMap((n) => nameParts(n));
  if (words.length === 0 || parts.length === 0) return 0;
  let total = 0;
  for (const word of words) {
    const best = Math.max(...parts.map((p) => wordFit(word, p)));
    if (best === 0) return 0;
    total += best;
  }
  return total / words.length;
}
