/**
 * Check digits and issuing rules of the numbers we report. A pattern alone finds too much in
 * telemetry (sizes, pids, hashes); these checks are what keep precision high.
 */

/** Luhn (ISO/IEC 7812) over a string of digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/**
 * Card numbers: 12–19 digits, Luhn, and a prefix some issuer uses (Visa 4, Mastercard 2/5,
 * Amex/Diners/JCB 3, Discover/Maestro/UnionPay 6, Maestro 50, old JCB 1800/2131). Millisecond
 * timestamps (13 digits starting with 1) and most ordinary counters fail the prefix or Luhn.
 */
export function cardNumberValid(digits: string): boolean {
  const n = digits.length;
  if (n < 12 || n > 19) return false;
  const first = digits.charCodeAt(0) - 48;
  if (digits.startsWith("1800") || digits.startsWith("2131")) return luhnValid(digits);
  if (first < 2 || first > 6) return false;
  // 12-digit numbers are only Maestro (5x/6x); anything else that short is a counter.
  if (n < 13 && first !== 5 && first !== 6) return false;
  return luhnValid(digits);
}

/** IBAN lengths per country (ISO 13616 registry, the SEPA area and common others). */
const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24,
  AE: 23,
  AL: 28,
  AT: 20,
  AZ: 28,
  BA: 20,
  BE: 16,
  BG: 22,
  BH: 22,
  BR: 29,
  BY: 28,
  CH: 21,
  CR: 22,
  CY: 28,
  CZ: 24,
  DE: 22,
  DK: 18,
  DO: 28,
  EE: 20,
  EG: 29,
  ES: 24,
  FI: 18,
  FO: 18,
  FR: 27,
  GB: 22,
  GE: 22,
  GI: 23,
  GL: 18,
  GR: 27,
  GT: 28,
  HR: 21,
  HU: 28,
  IE: 22,
  IL: 23,
  IQ: 23,
  IS: 26,
  IT: 27,
  JO: 30,
  KW: 30,
  KZ: 20,
  LB: 28,
  LC: 32,
  LI: 21,
  LT: 20,
  LU: 20,
  LV: 21,
  MC: 27,
  MD: 24,
  ME: 22,
  MK: 19,
  MR: 27,
  MT: 31,
  MU: 30,
  NL: 18,
  NO: 15,
  PK: 24,
  PL: 28,
  PS: 29,
  PT: 25,
  QA: 29,
  RO: 24,
  RS: 22,
  SA: 24,
  SC: 31,
  SE: 24,
  SI: 19,
  SK: 24,
  SM: 27,
  ST: 25,
  SV: 28,
  TL: 23,
  TN: 24,
  TR: 26,
  UA: 29,
  VA: 22,
  VG: 24,
  XK: 20,
};

/** The length of an IBAN of this country, if we know the country. */
export function ibanLength(country: string): number | undefined {
  return IBAN_LENGTHS[country];
}

/** An IBAN without spaces: known country, its length, and ISO 7064 mod 97 = 1. */
export function ibanValid(compact: string): boolean {
  const iban = compact.toUpperCase();
  const expected = IBAN_LENGTHS[iban.slice(0, 2)];
  if (expected === undefined || iban.length !== expected) return false;
  // Move the first four characters to the end, letters become 10..35, reduce mod 97 as we go.
  const rotated = iban.slice(4) + iban.slice(0, 4);
  let rest = 0;
  for (let i = 0; i < rotated.length; i++) {
    const c = rotated.charCodeAt(i);
    if (c >= 48 && c <= 57) rest = (rest * 10 + (c - 48)) % 97;
    else if (c >= 65 && c <= 90) rest = (rest * 100 + (c - 55)) % 97;
    else return false;
  }
  return rest === 1;
}

/**
 * US Social Security numbers as the SSA issues them: area not 000, 666 or 900–999, group not 00,
 * serial not 0000; and not the famous numbers printed in advertising (078-05-1120, 219-09-9999).
 */
export function ssnValid(area: string, group: string, serial: string): boolean {
  const a = Number(area);
  if (a === 0 || a === 666 || a >= 900) return false;
  if (group === "00" || serial === "0000") return false;
  const whole = area + group + serial;
  return whole !== "078051120" && whole !== "219099999" && whole !== "123456789";
}

/** UK National Insurance number prefixes never issued. */
const NINO_BAD_PREFIX = new Set(["BG", "GB", "KN", "NK", "NT", "TN", "ZZ"]);

/** UK NINO: two letters (D, F, I, Q, U, V never; O never second), six digits, suffix A–D. */
export function ninoValid(compact: string): boolean {
  const s = compact.toUpperCase();
  if (!/^[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]$/.test(s)) return false;
  return !NINO_BAD_PREFIX.has(s.slice(0, 2));
}

/** Dutch BSN: nine digits, the "11-proof" (weights 9..2 and -1). */
export function bsnValid(digits: string): boolean {
  if (!/^\d{9}$/.test(digits) || digits === "000000000") return false;
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += (9 - i) * (digits.charCodeAt(i) - 48);
  sum -= digits.charCodeAt(8) - 48;
  return sum % 11 === 0;
}

const DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE";

/** Spanish DNI (8 digits + letter) and NIE (X/Y/Z + 7 digits + letter): the letter is n mod 23. */
export function spanishIdValid(compact: string): boolean {
  const s = compact.toUpperCase();
  let digits: string;
  if (/^\d{8}[A-Z]$/.test(s)) digits = s.slice(0, 8);
  else if (/^[XYZ]\d{7}[A-Z]$/.test(s))
    digits = String("XYZ".indexOf(s[0] as string)) + s.slice(1, 8);
  else return false;
  return DNI_LETTERS[Number(digits) % 23] === s[8];
}
