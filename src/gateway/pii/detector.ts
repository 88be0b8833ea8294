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
 * running their own patterns. Each is computed by one native regex scan on first use.
 */
export class TextFeatures {
  private digits: number | undefined;
  private ascii: boolean | undefined;

  constructor(private readonly text: string) {}

  /**
   * Most digits in one run where single separators (space . - / ( ) +) may sit between digits,
   * capped at 12: a card number needs 12, an SSN 9, a phone number 7.
   */
  get digitRun(): number {
    if (this.digits === undefined) {
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
    if (this.ascii === undefined) this.ascii = !NON_ASCII.test(this.text);
    return !this.ascii;
  }
}

const DIGITS_4 = /\d(?:[ ./()+-]?\d){3}/;
const DIGITS_6 = /\d(?:[ ./()+-]?\(?\d){5}/;
const DIGITS_7 = /\d(?:[ ./()+-]?\(?\d){6}/;
const DIGITS_9 = /\d(?:[ ./()+-]?\(?\d){8}/;
const DIGITS_12 = /\d(?:[ ./()+-]?\(?\d){11}/;
const NON_ASCII = /[^\t\n\r -~]/;

export function textFeatures(text: string): TextFeatures {
  return new TextFeatures(text);
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

/** Runs a global regex over `text` and hands each match to `accept`; resets it first and after. */
export function eachMatch(
  pattern: RegExp,
  text: string,
  accept: (match: RegExpExecArray) => void,
): void {
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
    accept(m);
    if (m[0].length === 0) pattern.lastIndex++;
  }
  pattern.lastIndex = 0;
}
