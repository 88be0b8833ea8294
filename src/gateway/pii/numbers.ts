/**
 * Numbers that identify a person or an account: card numbers, IBANs, US SSNs, national IDs and
 * phone numbers. Each pattern only proposes; a check digit or an issuing rule decides, so plain
 * counters, sizes, timestamps and version numbers in telemetry are not reported.
 */
import {
  bsnValid,
  cardNumberValid,
  ibanLength,
  ibanValid,
  ninoValid,
  spanishIdValid,
  ssnValid,
} from "./checksums.js";
import {
  type Detector,
  eachMatch,
  F_LETTER_DIGIT,
  type Span,
  type TextFeatures,
} from "./detector.js";

// 12–19 digits with optional single spaces or dashes between them, not inside a longer number.
const CARD = /(?<![\w-])\d(?:[ -]?\d){11,18}(?![\w]|-\d)/g;

export const creditCardDetector: Detector = {
  entity: "CREDIT_CARD",
  find(text: string, out: Span[], features: TextFeatures): void {
    if (features.digitRun < 12) return;
    eachMatch(CARD, text, 0, (m) => {
      const raw = m[0];
      if (/[ -]{2}/.test(raw)) return;
      if (cardNumberValid(raw.replace(/[ -]/g, ""))) {
        out.push({ entity: "CREDIT_CARD", start: m.index, end: m.index + raw.length });
      }
    });
  },
};

// Country, check digits, then groups of four (optionally spaced); lower case is accepted too.
const IBAN = /(?<![\w])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]{4}){2,7}(?: ?[A-Za-z0-9]{1,3})?(?!\w)/g;

export const ibanDetector: Detector = {
  entity: "IBAN",
  find(text: string, out: Span[], features: TextFeatures): void {
    // Country letters run straight into the check digits.
    if (features.digitRun < 2 || !features.has(F_LETTER_DIGIT)) return;
    eachMatch(IBAN, text, 0, (m) => {
      // The pattern may run on into the next word ("… 2864 flag"): cut the match to the length
      // the country's IBAN has, at a word end, before checking.
      const expected = ibanLength(m[0].slice(0, 2).toUpperCase());
      if (expected === undefined) return;
      let taken = 0;
      let end = 0;
      while (end < m[0].length && taken < expected) {
        if (m[0].charCodeAt(end) !== 32) taken++;
        end++;
      }
      if (taken !== expected || /\w/.test(text.charAt(m.index + end))) return;
      if (ibanValid(m[0].slice(0, end).replace(/ /g, ""))) {
        out.push({ entity: "IBAN", start: m.index, end: m.index + end });
        IBAN.lastIndex = m.index + end;
      }
    });
  },
};

const SSN_SEPARATED = /(?<![\w-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\w]|-\d)/g;
const SSN_PLAIN = /(?<![\w-])(\d{3})(\d{2})(\d{4})(?![\w]|-\d)/g;
// Nine bare digits are any number; they count as an SSN only when the words say so.
const SSN_CONTEXT = /\b(?:ssn|social security|soc\.? ?sec)/i;

export const usSsnDetector: Detector = {
  entity: "US_SSN",
  find(text: string, out: Span[], features: TextFeatures): void {
    if (features.digitRun < 9) return;
    const accept = (m: RegExpExecArray): void => {
      if (
        ssnValid(
          m[1] as string,
          m.length > 4 ? (m[3] as string) : (m[2] as string),
          m[m.length - 1] as string,
        )
      ) {
        out.push({ entity: "US_SSN", start: m.index, end: m.index + m[0].length });
      }
    };
    eachMatch(SSN_SEPARATED, text, 0, accept);
    if (SSN_CONTEXT.test(text)) eachMatch(SSN_PLAIN, text, 0, accept);
  },
};

const NINO = /(?<![\w])[A-Za-z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-Da-d](?!\w)/g;
const SPANISH_ID = /(?<![\w-])(?:[XYZxyz]\d{7}|\d{8})-?[A-Za-z](?!\w)/g;
const BSN = /(?<![\w.-])\d{9}(?![\w]|[.-]\d)/g;
const BSN_CONTEXT = /\b(?:bsn|burgerservicenummer|sofi-?nummer)\b/i;

/**
 * National IDs beyond the US SSN: UK National Insurance numbers (prefix rules), Spanish DNI/NIE
 * (check letter) and Dutch BSN (11-proof, only next to the word BSN: one nine-digit number in
 * eleven passes the check by chance).
 */
export const nationalIdDetector: Detector = {
  entity: "NATIONAL_ID",
  find(text: string, out: Span[], features: TextFeatures): void {
    if (features.digitRun < 6) return;
    eachMatch(NINO, text, 0, (m) => {
      if (ninoValid(m[0].replace(/ /g, ""))) {
        out.push({ entity: "NATIONAL_ID", start: m.index, end: m.index + m[0].length });
      }
    });
    eachMatch(SPANISH_ID, text, 0, (m) => {
      if (spanishIdValid(m[0].replace("-", ""))) {
        out.push({ entity: "NATIONAL_ID", start: m.index, end: m.index + m[0].length });
      }
    });
    if (BSN_CONTEXT.test(text)) {
      eachMatch(BSN, text, 0, (m) => {
        if (bsnValid(m[0])) out.push({ entity: "NATIONAL_ID", start: m.index, end: m.index + 9 });
      });
    }
  },
};

// A phone-like run: optional + or 00, digits with spaces, dots, dashes, slashes or parentheses,
// and an optional extension. The checks in `phoneShape` decide.
const PHONE_CANDIDATE =
  /(?<![\w.+/:%-])(?:\+|\b00)?\(?\d[\d()./ -]{5,22}\d(?:\s?(?:x|ext\.?)\s?\d{1,5})?(?![\w/:]|[.-]\d)/g;
const PHONE_CONTEXT = /\b(?:phone|tel|mobile|cell|fax|call|sms|whatsapp)\b/i;
const DATE_LIKE = /^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|^\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}$/;
const DOTTED_QUAD = /^\d{1,3}(?:\.\d{1,3}){3}$/;
const US_SHAPE = /^\(?\d{3}\)?[ .-]?\d{3}[ .-]\d{4}/;

function phoneShape(raw: string, context: boolean): boolean {
  const digits = raw.replace(/\D/g, "");
  const n = digits.length;
  if (n < 7 || n > 15) return false;
  const international = raw.startsWith("+") || raw.startsWith("00");
  const separators = raw.replace(/[\d+]/g, "");
  if (separators.length === 0) return international ? n >= 9 : context && n >= 9;
  if (DATE_LIKE.test(raw) || DOTTED_QUAD.test(raw)) return false;
  if (/^\d{3}-\d{2}-\d{4}$/.test(raw)) return false; // an SSN's shape
  const open = raw.split("(").length - 1;
  if (open !== raw.split(")").length - 1 || open > 1) return false;
  // Dotted numbers are versions unless grouped like a phone (03.93.92.16.85).
  if (/^[\d.]+$/.test(raw) && !/^\d{2,4}(?:\.\d{2,4}){3,5}$/.test(raw)) return false;
  if (/[./-]{2}|\s{2}/.test(raw)) return false;
  if (n === 7) return /^\d{3}[ -]\d{4}$/.test(raw);
  if (international || context) return true;
  // Without a + or a phone word, two groups of digits are as often a house and street number
  // (`17151 2450`) or a postcode (`75534-030`): ask for a phone's shape.
  const groups = raw.split(/[ ./()-]+/).filter((g) => g.length > 0);
  return groups.length >= 3 || (raw.startsWith("0") && groups.length >= 2) || US_SHAPE.test(raw);
}

export const phoneDetector: Detector = {
  entity: "PHONE",
  find(text: string, out: Span[], features: TextFeatures): void {
    if (features.digitRun < 7) return;
    const context = PHONE_CONTEXT.test(text);
    eachMatch(PHONE_CANDIDATE, text, 0, (m) => {
      let raw = m[0];
      while (raw.endsWith(" ") || raw.endsWith(".")) raw = raw.slice(0, -1);
      if (phoneShape(raw, context)) {
        out.push({ entity: "PHONE", start: m.index, end: m.index + raw.length });
      }
    });
  },
};
