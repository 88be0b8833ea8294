/**
 * Base64 (standard and URL-safe) and hex tokens. A base64 candidate must mix upper and lower
 * case and not be a plain hex digest or a GUID; hex must have even length. Both must decode to
 * text (see `decoded-text.ts`): a SHA-256 read either way is random bytes and is dropped after
 * its first 12 bytes, without decoding it whole.
 */
import { bytesToText, charge, type DecodeBudget, type DecodedToken } from "./decoded-text.js";

const HAS_UPPER = /[A-Z]/;
const HAS_LOWER = /[a-z]/;
const PLAIN_HEX = /^[0-9a-fA-F]+$/;
const GUID_LIKE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

const MIN_RUN = 16;

function isHexChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/** Both base64 alphabets (`+` `/` and `-` `_`), by table. */
const BASE64_ALPHABET = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_")
  BASE64_ALPHABET[c.charCodeAt(0)] = 1;

function isBase64Char(c: number): boolean {
  return c < 128 && BASE64_ALPHABET[c] === 1;
}

const SCRATCH = new Uint8Array(12);
const BASE64_VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) {
  BASE64_VALUES["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".charCodeAt(i)] =
    i;
}
BASE64_VALUES[45] = 62; // '-' (URL-safe)
BASE64_VALUES[95] = 63; // '_' (URL-safe)

/**
 * The first 12 bytes look like text or gzip: decoded by hand into a scratch buffer, so a digest
 * or an identifier is turned away without allocating or decoding it whole.
 */
function prefixLooksLikeText(count: number): boolean {
  if (SCRATCH[0] === 0x1f && SCRATCH[1] === 0x8b) return true;
  let control = 0;
  for (let i = 0; i < count; i++) {
    const b = SCRATCH[i] as number;
    if (b < 0x80) {
      if ((b < 0x20 && b !== 9 && b !== 10 && b !== 13) || b === 0x7f) control++;
      continue;
    }
    const extra =
      b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (extra === -1) return false;
    for (let k = 1; k <= extra && i + k < count; k++) {
      if (((SCRATCH[i + k] as number) & 0xc0) !== 0x80) return false;
    }
    i += extra;
  }
  return control <= 1;
}

function hexPrefixLooksLikeText(text: string, start: number): boolean {
  for (let i = 0; i < 12; i++) {
    SCRATCH[i] =
      hexValue(text.charCodeAt(start + 2 * i)) * 16 + hexValue(text.charCodeAt(start + 2 * i + 1));
  }
  return prefixLooksLikeText(8);
}

function base64PrefixLooksLikeText(text: string, start: number): boolean {
  for (let g = 0; g < 4; g++) {
    let v = 0;
    for (let k = 0; k < 4; k++)
      v = (v << 6) | ((BASE64_VALUES[text.charCodeAt(start + 4 * g + k) & 127] as number) & 63);
    SCRATCH[3 * g] = v >> 16;
    SCRATCH[3 * g + 1] = (v >> 8) & 255;
    SCRATCH[3 * g + 2] = v & 255;
  }
  return prefixLooksLikeText(12);
}

/** A base64 run `[start, end)` (padding excluded) that is worth decoding. */
function tryBase64(
  text: string,
  start: number,
  end: number,
  budget: DecodeBudget,
  out: DecodedToken[],
): boolean {
  let tokenEnd = end;
  while (tokenEnd < text.length && tokenEnd - end < 2 && text.charCodeAt(tokenEnd) === 61)
    tokenEnd++;
  const next = text.charCodeAt(tokenEnd);
  if (next === 61 || isBase64Char(next)) return true;
  if (!base64PrefixLooksLikeText(text, start)) return true;
  const body = text.slice(start, end);
  if (!HAS_UPPER.test(body) || !HAS_LOWER.test(body)) return true;
  if (PLAIN_HEX.test(body) || GUID_LIKE.test(body)) return true;
  if (body.length % 4 === 1) return true;
  // Both alphabets at once is not base64 (`+`/`/` with `-`/`_`), it is a path or an option.
  if (/[+/]/.test(body) && /[-_]/.test(body)) return true;
  const size = Math.floor((body.length * 3) / 4);
  if (!charge(budget, size)) return false;
  const decoded = bytesToText(Buffer.from(body, "base64"), budget, ["base64"]);
  if (decoded !== undefined)
    out.push({ start, end: tokenEnd, encoding: decoded.layers, texts: [decoded.text] });
  return true;
}

/** A hex run `[start, end)` of even length; skipped without decoding unless it starts printable. */
function tryHex(
  text: string,
  start: number,
  end: number,
  budget: DecodeBudget,
  out: DecodedToken[],
): boolean {
  if (!hexPrefixLooksLikeText(text, start)) return true;
  if (!charge(budget, (end - start) / 2)) return false;
  const decoded = bytesToText(Buffer.from(text.slice(start, end), "hex"), budget, ["hex"]);
  if (decoded !== undefined)
    out.push({ start, end, encoding: decoded.layers, texts: [decoded.text] });
  return true;
}

/**
 * Maximal base64-alphabet runs of 16 or more characters (then optional `=` padding), and inside
 * them maximal hex runs of even length ≥ 16. Probing every 16th character finds every such run
 * (each covers a probe) while ordinary text costs one table look-up per 16 characters.
 */
export function findBase64AndHex(text: string, budget: DecodeBudget, out: DecodedToken[]): void {
  const n = text.length;
  let probe = MIN_RUN - 1;
  while (probe < n) {
    if (!isBase64Char(text.charCodeAt(probe))) {
      probe += MIN_RUN;
      continue;
    }
    let start = probe;
    // A run shorter than 16 cannot reach back past probe - 15: stop looking there.
    const floor = probe - MIN_RUN;
    while (start > 0 && start > floor && isBase64Char(text.charCodeAt(start - 1))) start--;
    let end = probe + 1;
    while (end < n && isBase64Char(text.charCodeAt(end))) end++;
    if (end - start >= MIN_RUN) {
      // The whole run, now that it is long enough (its start may lie before the floor).
      while (start > 0 && isBase64Char(text.charCodeAt(start - 1))) start--;
      // Hex stretches of even length ≥ 16 inside the run, found by hand (no slice, no regex).
      let hexStart = -1;
      for (let i = start; i <= end; i++) {
        if (i < end && isHexChar(text.charCodeAt(i))) {
          if (hexStart === -1) hexStart = i;
          continue;
        }
        if (hexStart !== -1 && i - hexStart >= MIN_RUN && (i - hexStart) % 2 === 0) {
          if (!tryHex(text, hexStart, i, budget, out)) return;
        }
        hexStart = -1;
      }
      if (!tryBase64(text, start, end, budget, out)) return;
    }
    probe = end + MIN_RUN;
  }
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}
