import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isShortFormOf,
  jaroWinkler,
  levenshtein,
  nameParts,
  normaliseName,
  personNameKey,
  soundex,
  surnameKeys,
  toAscii,
} from '../../src/domain/names.js';
import { nameQueryScore } from '../../src/domain/search.js';

describe('name normalisation', () => {
  it('folds accents and other scripts to ASCII', () => {
    expect(toAscii('Zoë Łukasz')).toBe('Zoe Lukasz');
    expect(toAscii('Straße')).toBe('Strasse');
    expect(toAscii('Олександр')).toBe('Oleksandr');
  });

  it('compares in lower case without apostrophes, other separators as one space', () => {
    expect(normaliseName("O'Brien")).toBe('obrien');
    expect(normaliseName('O’Brien')).toBe('obrien');
    expect(normaliseName('O`Brien')).toBe('obrien');
    expect(normaliseName('  Smith--Jones  ')).toBe('smith jones');
    expect(normaliseName('Anne-Marie 2nd')).toBe('anne marie nd');
    expect(normaliseName('')).toBe('');
    expect(normaliseName(undefined)).toBe('');
  });

  it('splits hyphenated and double-barrelled names into parts', () => {
    expect(nameParts('Smith-Jones')).toEqual(['smith', 'jones']);
    expect(nameParts('de la Cruz')).toEqual(['de', 'la', 'cruz']);
    expect(nameParts('  ')).toEqual([]);
    expect(nameParts(undefined)).toEqual([]);
  });

  it('keys exclusions by forename and surname, the surname without spaces', () => {
    expect(personNameKey('Anne Marie', 'Smith Jones')).toBe('anne marie|smithjones');
    expect(personNameKey('Zoë', "O'Brien-Ní Bhriain")).toBe('zoe|obrien ni bhriain'.replace(/ /g, ''));
    expect(personNameKey('zoe', 'obrien-nibhriain')).toBe(personNameKey('Zoë', "O'Brien Ní Bhriain"));
  });

  it('normalising is idempotent', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(normaliseName(normaliseName(s))).toBe(normaliseName(s));
        expect(normaliseName(s)).toMatch(/^([a-z]+( [a-z]+)*)?$/);
      }),
    );
  });
});

describe('string similarity', () => {
  it('Jaro-Winkler: the textbook figures', () => {
    expect(jaroWinkler('martha', 'marhta')).toBeCloseTo(0.9611, 4);
    expect(jaroWinkler('dixon', 'dicksonx')).toBeCloseTo(0.8133, 4);
    expect(jaroWinkler('dwayne', 'duane')).toBeCloseTo(0.84, 4);
    expect(jaroWinkler('jones', 'johnson')).toBeCloseTo(0.8324, 4);
  });

  it('Jaro-Winkler: equal is 1, nothing shared is 0, empty is 0', () => {
    expect(jaroWinkler('amelia', 'amelia')).toBe(1);
    expect(jaroWinkler('', '')).toBe(0);
    expect(jaroWinkler('abc', '')).toBe(0);
    expect(jaroWinkler('', 'abc')).toBe(0);
    expect(jaroWinkler('abc', 'xyz')).toBe(0);
    // Matching letters only count within the window: the a's are too far apart here.
    expect(jaroWinkler('abcdefgha', 'zzzzzzzza')).toBeGreaterThan(0);
    expect(jaroWinkler('axxxxxxxx', 'yyyyyyyya')).toBe(0);
  });

  it('Jaro-Winkler: the prefix bonus counts at most four letters', () => {
    const four = jaroWinkler('abcdxyz', 'abcdqrs');
    const five = jaroWinkler('abcdexyz', 'abcdeqrs');
    expect(four).toBeGreaterThan(0.7);
    // With a fifth common letter the plain Jaro rises but the bonus does not.
    const jaro = (a: string, b: string, m: number) => (m / a.length + m / b.length + 1) / 3;
    expect(five).toBeCloseTo(jaro('abcdexyz', 'abcdeqrs', 5) + 0.4 * (1 - jaro('abcdexyz', 'abcdeqrs', 5)), 10);
  });

  it('Jaro-Winkler counts transpositions', () => {
    expect(jaroWinkler('ab', 'ba')).toBe(0);
    expect(jaroWinkler('abcd', 'abdc')).toBeLessThan(jaroWinkler('abcd', 'abcd'));
    expect(jaroWinkler('crate', 'trace')).toBeCloseTo(0.7333, 4);
  });

  it('Jaro-Winkler is symmetric and between 0 and 1', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), (a, b) => {
        const x = jaroWinkler(a, b);
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThanOrEqual(1 + 1e-12);
        expect(jaroWinkler(b, a)).toBeCloseTo(x, 10);
      }),
    );
  });

  it('Levenshtein: insertions, deletions and substitutions', () => {
    expect(levenshtein('kitten', 'sitting')).toBe(3);
    expect(levenshtein('flaw', 'lawn')).toBe(2);
    expect(levenshtein('', 'abc')).toBe(3);
    expect(levenshtein('abc', '')).toBe(3);
    expect(levenshtein('same', 'same')).toBe(0);
    expect(levenshtein('ab', 'ba')).toBe(2);
  });

  it('Levenshtein is a metric', () => {
    const word = fc.string({ maxLength: 8 });
    fc.assert(
      fc.property(word, word, word, (a, b, c) => {
        expect(levenshtein(a, b)).toBe(levenshtein(b, a));
        expect(levenshtein(a, b) === 0).toBe(a === b);
        expect(levenshtein(a, c)).toBeLessThanOrEqual(levenshtein(a, b) + levenshtein(b, c));
        expect(levenshtein(a, b)).toBeGreaterThanOrEqual(Math.abs(a.length - b.length));
        expect(levenshtein(a, b)).toBeLessThanOrEqual(Math.max(a.length, b.length));
      }),
    );
  });
});

describe('phonetic keys', () => {
  it('American Soundex, including the h/w rule and repeated codes', () => {
    expect(soundex('robert')).toBe('R163');
    expect(soundex('rupert')).toBe('R163');
    expect(soundex('rubin')).toBe('R150');
    expect(soundex('ashcraft')).toBe('A261');
    expect(soundex('ashcroft')).toBe('A261');
    expect(soundex('tymczak')).toBe('T522');
    expect(soundex('pfister')).toBe('P236');
    expect(soundex('honeyman')).toBe('H555');
    expect(soundex('lee')).toBe('L000');
    expect(soundex('a')).toBe('A000');
    expect(soundex('')).toBe('');
    expect(soundex('123')).toBe('');
    expect(soundex('o1b2r3i4e5n')).toBe(soundex('obrien'));
  });

  it('keys a surname whole and by each part longer than a letter', () => {
    expect(surnameKeys('Smith-Jones').sort()).toEqual(
      [soundex('smithjones'), soundex('smith'), soundex('jones')].sort(),
    );
    expect(surnameKeys('Smith')).toEqual([soundex('smith')]);
    expect(surnameKeys('D Smith')).toEqual([soundex('dsmith'), soundex('smith')]);
    expect(surnameKeys('')).toEqual([]);
    expect(surnameKeys(undefined)).toEqual([]);
  });
});

describe('short forms', () => {
  it('knows short forms both ways and through a shared formal name', () => {
    expect(isShortFormOf('tom', 'thomas')).toBe(true);
    expect(isShortFormOf('thomas', 'tom')).toBe(true);
    expect(isShortFormOf('bill', 'will')).toBe(true);
    expect(isShortFormOf('alex', 'alexandra')).toBe(true);
    expect(isShortFormOf('alex', 'alexander')).toBe(true);
    expect(isShortFormOf('harry', 'henry')).toBe(true);
    expect(isShortFormOf('harry', 'harold')).toBe(true);
  });

  it('reads the published list (Bob, Bill, Liz) and the British short forms it lacks (Alfie, Ollie, Izzy)', () => {
    expect(isShortFormOf('bob', 'robert')).toBe(true);
    expect(isShortFormOf('bill', 'william')).toBe(true);
    expect(isShortFormOf('liz', 'elizabeth')).toBe(true);
    expect(isShortFormOf('peggy', 'margaret')).toBe(true);
    expect(isShortFormOf('alfie', 'alfred')).toBe(true);
    expect(isShortFormOf('ollie', 'oliver')).toBe(true);
    expect(isShortFormOf('izzy', 'isabella')).toBe(true);
    expect(isShortFormOf('mohammed', 'muhammad')).toBe(true);
  });

  it('says no for unrelated or unknown names', () => {
    expect(isShortFormOf('tom', 'william')).toBe(false);
    expect(isShortFormOf('oluwaseun', 'thomas')).toBe(false);
    expect(isShortFormOf('thomas', 'oluwaseun')).toBe(false);
    expect(isShortFormOf('oluwaseun', 'oluwaseun')).toBe(false);
    // two formal names that share a short form are not short forms of each other
    expect(isShortFormOf('christopher', 'christina')).toBe(false);
    expect(isShortFormOf('kate', 'jessica')).toBe(false);
  });
});

describe('who-is search', () => {
  const amelia = ['Amelia', 'Johnson', undefined, 'Millie'];

  it('finds whole names, starts of names and small misspellings', () => {
    expect(nameQueryScore('amelia johnson', amelia)).toBe(1);
    expect(nameQueryScore('AMÉLIA', amelia)).toBe(1);
    expect(nameQueryScore('ami', amelia)).toBe(0);
    expect(nameQueryScore('ame', amelia)).toBe(0.9);
    expect(nameQueryScore('am', amelia)).toBe(0.9);
    expect(nameQueryScore('millie', amelia)).toBe(1);
    expect(nameQueryScore('Amelai', amelia)).toBeCloseTo(0.75, 5);
    expect(nameQueryScore('Jonhson', amelia)).toBe(0.8);
    expect(nameQueryScore('Jahnsen', amelia)).toBe(0.8);
    expect(nameQueryScore('amelia jonson', amelia)).toBe(0.9);
  });

  it('a one-letter word must be a whole name part; short words need a close spelling', () => {
    expect(nameQueryScore('a', amelia)).toBe(0);
    expect(nameQueryScore('a', ['A', 'Smith'])).toBe(1);
    expect(nameQueryScore('amy', ['Ama'])).toBe(0);
    expect(nameQueryScore('amel', ['Amal'])).toBe(0.8);
    expect(nameQueryScore('abcd', ['wxyz'])).toBe(0);
    expect(nameQueryScore('johnsen', ['Johnsonn'])).toBe(0.8);
  });

  it('every typed word must fit some part', () => {
    expect(nameQueryScore('amelia smith', amelia)).toBe(0);
    expect(nameQueryScore('', amelia)).toBe(0);
    expect(nameQueryScore('amelia', [undefined, ''])).toBe(0);
    expect(nameQueryScore('amelia', [])).toBe(0);
  });

  it('averages the fit of the typed words', () => {
    expect(nameQueryScore('amelia jo', amelia)).toBeCloseTo(0.95, 10);
  });
});

describe('Soundex codes, letter by letter', () => {
  it('codes each consonant as American Soundex does, and drops vowels, h, w and y', () => {
    const codes: Record<string, string> = {
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
    for (const letter of 'abcdefghijklmnopqrstuvwxyz')
      expect(soundex(`o${letter}`), letter).toBe(`O${codes[letter] ?? '0'}00`);
  });

  it('an h or a w between two letters of one code does not separate them; a vowel does', () => {
    expect(soundex('pwf')).toBe('P000');
    expect(soundex('phf')).toBe('P000');
    expect(soundex('pef')).toBe('P100');
    expect(soundex('sws')).toBe('S000');
  });
});
