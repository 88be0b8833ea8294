import type { Entity } from "./entities.js";

/** A match in the string a detector was given (UTF-16 offsets). */
export interface Span {
  entity: Entity;
  start: number;
  end: number;
}

/**
 * One kind of personal data found in plain text. `find` appends what it finds to `out`; it must
 * run in time linear in the text (bounded quantifiers only, no nested unbounded repetition), and
 * should return early when a cheap test shows the text cannot hold its entity.
 */
export interface Detector {
  readonly entity: Entity;
  find(text: string, out: Span[], features: TextFeatures): void;
}

/**
 * Cheap facts about the text, shared by the detectors of one scan so most can return without
 * running their own patterns (a prefilter in the manner of fast multi-pattern scanners). Each is
 * a necessary condition of some detector, so skipping on it never changes what is found, and
 * each is computed on first use by one native scan (`indexOf` or a small regex): on strings of
 * a hundred characters those beat a character loop in JavaScript several times over.
 */
export class TextFeatures {
  private text = "";
  private digits = -1;
  private ascii = -1;
  /** `F_*` bits known so far, and which of them are set. */
  private known = 0;
  private set = 0;
  private colon = -2;

  /** Starts over on another text (one object serves every scan at a depth). */
  reset(text: string): this {
    this.text = text;
    this.digits = -1;
    this.ascii = -1;
    this.known = 0;
    this.set = 0;
    this.colon = -2;
    return this;
  }

  /**
   * Most digits in one run where single separators (space . - / ( ) +) may sit between digits,
   * capped at 12: a card number needs 12, an SSN 9, a phone number 7.
   */
  get digitRun(): number {
    if (this.digits === -1) {
      const t = this.text;
      this.digits = !DIGITS_4.test(t)
        ? 0
        : !DIGITS_6.test(t)
          ? 4
          : !DIGITS_7.test(t)
            ? 6
            : !DIGITS_9.test(t)
              ? 7
              : !DIGITS_12.test(t)
                ? 9
                : 12;
    }
    return this.digits;
  }

  /** Any character outside ASCII. */
  get nonAscii(): boolean {
    if (this.ascii === -1) this.ascii = NON_ASCII.test(this.text) ? 0 : 1;
    return this.ascii === 0;
  }

  /** Index of the first `:`, -1 if none. */
  get firstColon(): number {
    if (this.colon === -2) this.colon = this.text.indexOf(":");
    return this.colon;
  }

  /** Whether the fact `bit` (one of `F_*`) holds. */
  has(bit: number): boolean {
    if ((this.known & bit) === 0) {
      this.known |= bit;
      if (this.compute(bit)) this.set |= bit;
    }
    return (this.set & bit) !== 0;
  }

  private compute(bit: number): boolean {
    const t = this.text;
    switch (bit) {
      case F_AT:
        return t.indexOf("@") !== -1;
      case F_BACKSLASH:
        return t.indexOf("\\") !== -1;
      case F_SLASH:
        return t.indexOf("/") !== -1;
      case F_COLONS: {
        const first = this.firstColon;
        return first !== -1 && t.indexOf(":", first + 1) !== -1;
      }
      case F_DOT:
        return t.indexOf(".") !== -1;
      case F_CAP_LOWER:
        return CAPITAL_THEN_LOWER.test(t);
      case F_LETTER_DIGIT:
        return LETTER_DIGIT.test(t);
      case F_DOMAIN_SLASH:
        return t.indexOf("\\") !== -1 && DOMAIN_SLASH.test(t);
      default:
        return true;
    }
  }
}

export const F_AT = 1;
export const F_BACKSLASH = 2;
export const F_SLASH = 4;
/** Two or more colons. */
export const F_COLONS = 8;
export const F_DOT = 16;
/** A capital (Latin-1/Extended-A/B too) followed by a lower-case letter. */
export const F_CAP_LOWER = 32;
/** A letter directly before a digit (IBAN country code and check digits). */
export const F_LETTER_DIGIT = 64;
/** A backslash with a capital, digit or `-` before it and a letter after it (`CORP\alice`). */
export const F_DOMAIN_SLASH = 128;

const DIGITS_4 = /\d(?:[ ./()+-]?\d){3}/;
const DIGITS_6 = /\d(?:[ ./()+-]?\(?\d){5}/;
const DIGITS_7 = /\d(?:[ ./()+-]?\(?\d){6}/;
const DIGITS_9 = /\d(?:[ ./()+-]?\(?\d){8}/;
const DIGITS_12 = /\d(?:[ ./()+-]?\(?\d){11}/;
const NON_ASCII = /[^\t\n\r -~]/;
const CAPITAL_THEN_LOWER = /[A-Z\u00C0-\u024F][a-z\u00DF-\u024F]/;
const LETTER_DIGIT = /[A-Za-z]\d/;
const DOMAIN_SLASH = /[A-Z0-9-]\\[A-Za-z]/;

/** The features of `text`, in `into` when given (reused, so a scan allocates none). */
export function textFeatures(text: string, into: TextFeatures = new TextFeatures()): TextFeatures {
  return into.reset(text);
}

/** Letters, digits and underscore: what `\w` means, tested without a regex. */
export function isWordChar(code: number): boolean {
  return (
    (code >= 48 && code <= 57) ||
    (code >= 65 && code <= 90) ||
    (code >= 97 && code <= 122) ||
    code === 95
  );
}

/**
 * Runs a global regex over `text` from `from` (where the caller knows no match can start
 * earlier) and hands each match to `accept`; resets it after.
 */
export function eachMatch(
  pattern: RegExp,
  text: string,
  from: number,
  accept: (match: RegExpExecArray) => void,
): void {
  pattern.lastIndex = from;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
    accept(m);
    if (m[0].length === 0) pattern.lastIndex++;
  }
  pattern.lastIndex = 0;
}
