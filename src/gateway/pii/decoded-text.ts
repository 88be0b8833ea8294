/**
 * What every decoder shares: the per-scan budget of decoded bytes (Decision 20), peeling gzip
 * within the ratio limit, and deciding whether decoded bytes are text worth scanning (valid
 * UTF-8, at least 90% printable) rather than a digest or binary read as an encoding.
 */
import { gunzipSync } from "node:zlib";
import type { Encoding } from "./entities.js";

export interface DecodeBudget {
  /** Decoded bytes this scan may still produce. */
  remainingBytes: number;
  /** Largest gunzip output per compressed byte. */
  readonly maxRatio: number;
}

export interface DecodedToken {
  start: number;
  end: number;
  /** Layers peeled to get `text`, outermost first (`["base64", "gzip"]`). */
  encoding: Encoding[];
  /** For JSON, the string leaves; otherwise one decoded text. */
  texts: string[];
}

const utf8 = new TextDecoder("utf-8");

/**
 * Valid UTF-8 with at most 10% control bytes, checked by hand: a digest read as hex or base64
 * fails here in a few bytes, without the cost of a decoder throwing.
 */
function looksLikeText(bytes: Uint8Array): boolean {
  const n = bytes.length;
  const maxControl = Math.floor(n / 10);
  let control = 0;
  for (let i = 0; i < n; i++) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      if ((b < 0x20 && b !== 9 && b !== 10 && b !== 13) || b === 0x7f) {
        if (++control > maxControl) return false;
      }
      continue;
    }
    const extra =
      b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (extra === -1 || i + extra > n - 1) return false;
    for (let k = 1; k <= extra; k++) {
      if (((bytes[i + k] as number) & 0xc0) !== 0x80) return false;
    }
    i += extra;
  }
  return true;
}

/** Share of printable characters (incl. tab, CR, LF; not U+FFFD or other controls). */
function printableShare(text: string): number {
  if (text.length === 0) return 0;
  let printable = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (
      (c >= 32 && c !== 127 && c < 0xfffd && !(c >= 0x80 && c < 0xa0)) ||
      c === 9 ||
      c === 10 ||
      c === 13
    ) {
      printable++;
    }
  }
  return printable / text.length;
}

/** Bytes to text when they are text; gzip is peeled first (one more layer). */
export function bytesToText(
  bytes: Buffer,
  budget: DecodeBudget,
  layers: Encoding[],
): { text: string; layers: Encoding[] } | undefined {
  if (bytes.length >= 18 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    const limit = Math.min(budget.remainingBytes, bytes.length * budget.maxRatio);
    if (limit <= 0) return undefined;
    let inflated: Buffer;
    try {
      // Stops (throws) as soon as the output would pass the limit: bombs cost `limit` at most.
      inflated = gunzipSync(bytes, { maxOutputLength: limit });
    } catch {
      budget.remainingBytes -= limit;
      return undefined;
    }
    budget.remainingBytes -= inflated.length;
    return bytesToText(inflated, budget, [...layers, "gzip"]);
  }
  if (!looksLikeText(bytes)) return undefined;
  const text = utf8.decode(bytes);
  if (text.length < 4 || printableShare(text) < 0.9) return undefined;
  return { text, layers };
}

export function charge(budget: DecodeBudget, bytes: number): boolean {
  if (budget.remainingBytes < bytes) return false;
  budget.remainingBytes -= bytes;
  return true;
}

/** Shortest base64 or hex token worth decoding (12 bytes of base64, 8 of hex). */
