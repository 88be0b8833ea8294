/**
 * What a pattern spells, in every way a rule author can hide it — the one cascade both reviews
 * run over a pattern's views (its bytes, gaps dropped):
 *
 *   1. as written: the views themselves (ASCII, UTF-8, UTF-16 and legacy code pages, through
 *      the scanner);
 *   2. base64 written out: a literal that is base64, decoded at each alignment;
 *   3. hex text written out: a literal of hex digits (the file holds "544F5020…" as text);
 *   4. XOR written out: the views XORed with a one-byte key.
 *
 * Each stage runs only when the ones before found nothing, so a pattern is described by its
 * plainest reading. Severity then follows one rule for every review (`huntingLevel`).
 */
import { stripNul } from "./binary.js";
import { findTerms, findXorTerm, type Term } from "./scanner.js";

export type SpellingWay =
  | "as written"
  | "base64 written out"
  | "hex text written out"
  | "XOR written out";

export interface Spelling {
  term: Term;
  /** The term's level, one lower when only case folding made a capitals-only term match. */
  level: number;
  way: SpellingWay;
  /** The binary string the term was found in (decoded, for base64 and hex text). */
  view: string;
  /** The XOR key, for `XOR written out`. */
  key?: number;
}

export interface SpellOptions {
  /** The pattern matches any case (YARA `nocase`, ClamAV `::i`). */
  nocase: boolean;
  /** The pattern as literal text, also tried as base64 or hex digits written out. */
  literal?: string;
  /** Also try one-byte XOR over the views (not for regexes, whose views are samples). */
  xor: boolean;
}

const BASE64 = /^[A-Za-z0-9+/]{12,}={0,2}$/;
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const HEX_TEXT = /^(?:[0-9A-Fa-f]{2}){6,}$/;

/** A base64 literal decoded at each of the four alignments (a blob cut from a longer one). */
export function base64Decodings(s: string): string[] {
  const out: string[] = [];
  const body = s.replace(/=+$/, "");
  for (const pad of ["", "A", "AA", "AAA"]) {
    const t = pad + body;
    let bits = 0;
    let acc = 0;
    let bin = "";
    for (const ch of t) {
      acc = ((acc << 6) | B64.indexOf(ch)) & 0xffffff;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        bin += String.fromCharCode((acc >> bits) & 0xff);
      }
    }
    out.push(bin.slice(pad.length > 0 ? 1 : 0));
  }
  return out;
}

function hexTextDecoding(s: string): string {
  let out = "";
  for (let i = 0; i + 1 < s.length; i += 2) {
    out += String.fromCharCode(Number.parseInt(s.slice(i, i + 2), 16));
  }
  return out;
}

/** The terms a pattern spells, by the first stage of the cascade that finds any. */
export function spelledTerms(views: readonly string[], options: SpellOptions): Spelling[] {
  const found: Spelling[] = [];
  for (const view of views) {
    findTerms(view, options.nocase, (hit) => {
      found.push({
        term: hit.term,
        level: hit.term.level - (hit.folded ? 1 : 0),
        way: "as written",
        view,
      });
    });
  }
  if (found.length > 0) return found;

  const literal = options.literal;
  if (literal !== undefined) {
    // Hex digits are base64 digits too: hex, the narrower reading, is tried first.
    const decodings: { way: SpellingWay; texts: string[] }[] = [];
    if (HEX_TEXT.test(literal))
      decodings.push({ way: "hex text written out", texts: [hexTextDecoding(literal)] });
    if (BASE64.test(literal))
      decodings.push({ way: "base64 written out", texts: base64Decodings(literal) });
    for (const { way, texts } of decodings) {
      for (const text of texts) {
        for (const view of [text, stripNul(text)]) {
          // Decoded text is judged whatever its case: nobody encodes "master secret" by hand.
          findTerms(view, true, (hit) => {
            found.push({ term: hit.term, level: hit.term.level, way, view });
          });
        }
      }
      if (found.length > 0) return found;
    }
  }

  if (options.xor) {
    for (const view of views) {
      const x = findXorTerm(view);
      if (x)
        return [{ term: x.term, level: x.term.level, way: "XOR written out", view, key: x.key }];
    }
  }
  return found;
}

/**
 * The level (0–3, see `severityOf`) of a rule or signature that spells terms at `level`: one
 * lower when it also carries malware indicators (a malicious-document rule quoting its lure),
 * one higher when it is aimed at documents and carries none.
 */
export function huntingLevel(level: number, aimedAtDocuments: boolean, malware: boolean): number {
  if (malware) return level - 1;
  return aimedAtDocuments ? level + 1 : level;
}

/**
 * Words split across patterns ("TOP" in one, " SECRET" in another): every piece joined in order,
 * then each pair of `pairable` pieces when there are six or fewer (the pairs are quadratic).
 * A term counts only when it starts and ends on piece boundaries and spans two pieces or more;
 * `level` is one lower when a capitals-only term was only matched by folding case.
 */
export function termsAcrossPieces<P extends { nocase: boolean }>(
  parts: readonly P[],
  textOf: (piece: P) => string,
  pairable: readonly P[],
  onHit: (hit: { term: Term; level: number; spanned: P[] }) => void,
): void {
  if (parts.length < 2 || parts.length > 24) return;
  const tryJoin = (group: readonly P[]) => {
    let joined = "";
    const offsets: number[] = [];
    for (const p of group) {
      offsets.push(joined.length);
      joined += textOf(p);
    }
    const starts = new Set(offsets);
    const ends = new Set([...offsets.slice(1), joined.length]);
    findTerms(
      joined,
      group.some((p) => p.nocase),
      ({ term, folded, start, end }) => {
        if (!starts.has(start) || !ends.has(end)) return;
        const spanned = group.filter(
          (_, i) => (offsets[i] as number) >= start && (offsets[i] as number) < end,
        );
        if (spanned.length < 2) return;
        onHit({ term, level: term.level - (folded ? 1 : 0), spanned });
      },
    );
  };
  tryJoin(parts);
  if (pairable.length <= 6) {
    for (const a of pairable) for (const b of pairable) if (a !== b) tryJoin([a, b]);
  }
}
