/**
 * Binary strings: bytes held one per UTF-16 code unit (0–255), the form every review reads
 * patterns in. A YARA string, a ClamAV hex signature and a decoded base64 blob all become one of
 * these, so a single scanner reads them all. Helpers to fold ASCII case, drop NULs (UTF-16LE
 * written by hand) and show such a string to a person.
 */

/** ASCII letters to upper case; other bytes unchanged. */
export function foldAscii(s: string): string {
  return LOWER.test(s) ? s.replace(LOWER_RUNS, upper) : s;
}
const LOWER = /[a-z]/;
const LOWER_RUNS = /[a-z]+/g;
const upper = (m: string) => m.toUpperCase();

export function stripNul(s: string): string {
  return s.indexOf("\0") < 0 ? s : s.replaceAll("\0", "");
}

const SCRATCH = new Uint16Array(4096);

/** Bytes as a binary string, in chunks (no argument-count limit, no per-byte concatenation). */
export function binaryOf(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += SCRATCH.length) {
    const n = Math.min(SCRATCH.length, bytes.length - i);
    for (let k = 0; k < n; k++) SCRATCH[k] = bytes[i + k] as number;
    out += String.fromCharCode.apply(null, SCRATCH.subarray(0, n) as unknown as number[]);
  }
  return out;
}

export function bytesOf(bin: string): Uint8Array {
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i) & 0xff;
  return out;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const utf16 = new TextDecoder("utf-16le", { fatal: true });

function printable(text: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters.
  return !/[\u0000-\u0008\u000e-\u001f\ufffd]/.test(text);
}

/** A binary string as readable text: UTF-8 or UTF-16LE when it is, else escaped bytes. */
export function readable(bin: string): string {
  const bytes = bytesOf(bin);
  try {
    const t = utf8.decode(bytes);
    if (printable(t)) return t;
  } catch {
    // not UTF-8
  }
  if (bytes.length % 2 === 0 && bytes.length > 0) {
    try {
      const t = utf16.decode(bytes);
      if (printable(t)) return t;
    } catch {
      // not UTF-16
    }
  }
  let out = "";
  for (let i = 0; i < bin.length; i++) {
    const c = bin.charCodeAt(i);
    out += c >= 0x20 && c < 0x7f ? (bin[i] as string) : `\\x${c.toString(16).padStart(2, "0")}`;
  }
  return out;
}
