// Unique Pupil Numbers: a check letter, the 3-digit LA code, the 4-digit establishment number, 2 digits of the
// year allocated and a 3-character serial. The check letter is sum(char[i] * i for i in 2..13) mod 23, indexed
// into the alphabet below (the DfE's, without I, O and S). A letter in the last position (a temporary UPN) counts
// as its index in the same alphabet.
const CHECK_ALPHABET = 'ABCDEFGHJKLMNPQRTUVWXYZ';
const UPN_SHAPE = /^[A-Z]\d{11}[0-9A-Z]$/;

export function upnCheckLetter(body12: string): string {
  let sum = 0;
  for (let i = 0; i < 12; i++) {
    const ch = body12[i]!;
    const value = /\d/.test(ch) ? Number(ch) : CHECK_ALPHABET.indexOf(ch);
    if (value < 0 || (i < 11 && !/\d/.test(ch))) throw new Error('invalid UPN body');
    sum += value * (i + 2);
  }
  return CHECK_ALPHABET[sum % 23]!;
}

export function isValidUpn(upn: string): boolean {
  if (!UPN_SHAPE.test(upn)) return false;
  try {
    return upnCheckLetter(upn.slice(1)) === upn[0];
  } catch {
    return false;
  }
}

/** Builds a UPN from its parts; used by the synthetic data generator. */
export function makeUpn(laCode: string, establishment: string, yearAllocated: number, serial: number): string {
  const body = `${laCode}${establishment}${String(yearAllocated % 100).padStart(2, '0')}${String(serial).padStart(3, '0')}`;
  return `${upnCheckLetter(body)}${body}`;
}
