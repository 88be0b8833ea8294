/**
 * Byte encodings used by signed notes, checkpoints and Merkle code: standard base64 (RFC 4648 §4,
 * padded), lowercase hex, and UTF-8. Browser-safe: no Buffer.
 *
 * Decoders are strict on purpose. A signature or hash has exactly one accepted spelling, so two
 * different texts can never carry the same bytes (no malleability, no ambiguous comparisons).
 */
import { CrosscheckError } from "../errors/index.js";

const BASE64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Character code → 6-bit value, or -1 for characters outside the alphabet. */
const BASE64_VALUES = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < BASE64_ALPHABET.length; i++) table[BASE64_ALPHABET.charCodeAt(i)] = i;
  return table;
})();

function base64Value(text: string, i: number): number {
  const c = text.charCodeAt(i);
  const v = c < 128 ? (BASE64_VALUES[c] as number) : -1;
  if (v < 0)
    throw new CrosscheckError("E_ENCODING", `Invalid base64: unexpected character at ${i}.`);
  return v;
}

/** Standard padded base64. */
export function toBase64(bytes: Uint8Array): string {
  let out = "";
  const full = bytes.length - (bytes.length % 3);
  for (let i = 0; i < full; i += 3) {
    const n =
      ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    out +=
      BASE64_ALPHABET[n >>> 18] +
      BASE64_ALPHABET[(n >>> 12) & 63] +
      BASE64_ALPHABET[(n >>> 6) & 63] +
      BASE64_ALPHABET[n & 63];
  }
  const rest = bytes.length - full;
  if (rest === 1) {
    const n = (bytes[full] as number) << 16;
    out += `${BASE64_ALPHABET[n >>> 18]}${BASE64_ALPHABET[(n >>> 12) & 63]}==`;
  } else if (rest === 2) {
    const n = ((bytes[full] as number) << 16) | ((bytes[full + 1] as number) << 8);
    out += `${BASE64_ALPHABET[n >>> 18]}${BASE64_ALPHABET[(n >>> 12) & 63]}${BASE64_ALPHABET[(n >>> 6) & 63]}=`;
  }
  return out;
}

/**
 * Decodes standard padded base64, accepting only the canonical encoding: length a multiple of 4,
 * padding only at the end, no whitespace, and zero bits in the unused low bits of the last
 * character. Throws `E_ENCODING` otherwise.
 */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  if (text.length % 4 !== 0) {
    throw new CrosscheckError("E_ENCODING", "Invalid base64: length is not a multiple of 4.");
  }
  let pad = 0;
  if (text.endsWith("==")) pad = 2;
  else if (text.endsWith("=")) pad = 1;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  const full = pad === 0 ? text.length : text.length - 4;
  let o = 0;
  for (let i = 0; i < full; i += 4) {
    const n =
      (base64Value(text, i) << 18) |
      (base64Value(text, i + 1) << 12) |
      (base64Value(text, i + 2) << 6) |
      base64Value(text, i + 3);
    out[o++] = n >>> 16;
    out[o++] = (n >>> 8) & 255;
    out[o++] = n & 255;
  }
  if (pad > 0) {
    const a = base64Value(text, full);
    const b = base64Value(text, full + 1);
    if (pad === 2) {
      if ((b & 15) !== 0) throw nonCanonical();
      out[o] = (a << 2) | (b >>> 4);
    } else {
      const c = base64Value(text, full + 2);
      if ((c & 3) !== 0) throw nonCanonical();
      out[o++] = (a << 2) | (b >>> 4);
      out[o] = ((b & 15) << 4) | (c >>> 2);
    }
  }
  return out;
}

function nonCanonical(): CrosscheckError {
  return new CrosscheckError("E_ENCODING", "Invalid base64: non-canonical trailing bits.");
}

const HEX_DIGITS = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Lowercase hex. */
export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += HEX_DIGITS[bytes[i] as number];
  return out;
}

/** Decodes hex (either case, even length, nothing else). Throws `E_ENCODING` otherwise. */
export function fromHex(text: string): Uint8Array<ArrayBuffer> {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) {
    throw new CrosscheckError("E_ENCODING", "Invalid hex: expected an even number of hex digits.");
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Equality for public data (hashes, roots); returns at the first difference. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Equality whose running time does not depend on where the inputs differ, for secrets (MACs,
 * tokens). Lengths are not secret: unequal lengths return false at once.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

const encoder = new TextEncoder();
// fatal: invalid UTF-8 throws instead of becoming U+FFFD; ignoreBOM: a leading U+FEFF is kept,
// because signed bytes must round-trip exactly.
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Encodes a string as UTF-8. Lone surrogates cannot be encoded: throws `E_ENCODING`. */
export function utf8Encode(text: string): Uint8Array<ArrayBuffer> {
  if (hasLoneSurrogate(text)) {
    throw new CrosscheckError("E_ENCODING", "Invalid text: contains an unpaired UTF-16 surrogate.");
  }
  return encoder.encode(text);
}

/** Decodes UTF-8, throwing `E_ENCODING` on invalid sequences. */
export function utf8Decode(bytes: Uint8Array): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw new CrosscheckError("E_ENCODING", "Invalid text: not valid UTF-8.");
  }
}

/** True when the string cannot be encoded as UTF-8 (TextEncoder would silently write U+FFFD). */
export function hasLoneSurrogate(text: string): boolean {
  return /\p{Surrogate}/u.test(text);
}
