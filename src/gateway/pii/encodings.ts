/**
 * Finding and peeling the encodings a careless or hostile sender wraps personal data in: base64
 * (standard and URL-safe), hex, URL percent-encoding, JSON embedded in a string, and gzip inside
 * base64 or hex. Each returns the token's span in the text it was found in and the decoded text;
 * the scanner scans that text again, one level deeper.
 *
 * Decoding is bounded (Decision 20): every decoded byte, accepted or not, is charged to one
 * budget per `scanText` call, and gunzip stops at `maxRatio` times the compressed size, so a
 * compression bomb costs at most that and is refused.
 *
 * What is NOT decoded, so hashes, GUIDs and ids stay quiet: base64 candidates must mix upper and
 * lower case (a lowercase hex digest or a path in one case is not base64 of text); decoded bytes,
 * from base64 or hex, must be valid UTF-8 and at least 90% printable, which random bytes (a
 * SHA-256 read as hex or base64) never are.
 */
import { findBase64AndHex } from "./base64-hex.js";
import type { DecodeBudget, DecodedToken } from "./decoded-text.js";
import { findJson } from "./json-in-string.js";
import { findUrlEncoded } from "./url-encoding.js";

export type { DecodeBudget, DecodedToken } from "./decoded-text.js";

/** Every encoded token of `text` that decodes to text, within the budget. */
export function findEncodedTokens(text: string, budget: DecodeBudget): DecodedToken[] {
  const out: DecodedToken[] = [];
  if (text.length < 8 || budget.remainingBytes <= 0) return out;
  if (text.indexOf("%") !== -1) findUrlEncoded(text, budget, out);
  if (text.indexOf('{"') !== -1 || text.indexOf("[") !== -1) findJson(text, budget, out);
  findBase64AndHex(text, budget, out);
  return out;
}
