/**
 * How an envelope becomes a transparency-log entry (Decision 3). Every envelope has exactly one
 * entry, computed from the envelope alone:
 *
 *   entry = UTF-8(serializeEnvelope(envelope))                  if that is at most 65,535 bytes
 *   entry = UTF-8('{"dsseSha256":"' hex '","size":' N '}')       otherwise
 *
 *   serializeEnvelope  compact JSON, no white space, fields in this order:
 *                      {"payloadType":…,"payload":<standard base64>,
 *                       "signatures":[{"keyid":…,"sig":<standard base64>},…]}
 *                      ("keyid" left out of a signature that has none)
 *   hex                lowercase SHA-256 of the serialised envelope's bytes (envelopeDigest)
 *   N                  their length in bytes, 65,536 to 1,048,576, decimal without leading zeros
 *
 * 65,535 is the largest entry a bundle's 16-bit length prefix can carry. A larger envelope is
 * stored by its digest beside the log and travels whole in bundles; a verifier recomputes the
 * entry from it and checks that entry's inclusion. An inline entry begins `{"payloadType":`, a
 * digest entry `{"dsseSha256":`, so the two never collide, and a digest entry for an envelope
 * that would fit inline is invalid. The Merkle leaf is the RFC 6962 hash of the entry bytes.
 */
import { bytesEqual, sha256, toHex, utf8Decode, utf8Encode } from "../crypto/index.js";
import { CrosscheckError } from "../errors/index.js";
import { type Envelope, MAX_ENVELOPE_SIZE, parseEnvelope, serializeEnvelope } from "./dsse.js";

/** The largest entry the log stores inline (a bundle's 16-bit entry length). */
export const MAX_INLINE_ENTRY_SIZE = 65_535;

export type LogEntry =
  | { kind: "envelope"; envelope: Envelope; envelopeSha256: string; size: number }
  | { kind: "digest"; envelopeSha256: string; size: number };

const DIGEST_ENTRY_PREFIX = utf8Encode('{"dsseSha256":');
const DIGEST_ENTRY = /^\{"dsseSha256":"([0-9a-f]{64})","size":([1-9][0-9]{0,7})\}$/;

/** The log entry of an envelope: its serialisation, or a digest reference when that is too big. */
export function envelopeLogEntry(envelope: Envelope): Uint8Array {
  const bytes = utf8Encode(serializeEnvelope(envelope));
  return logEntryOf(bytes, bytes.length <= MAX_INLINE_ENTRY_SIZE ? "" : toHex(sha256(bytes)));
}

/** The entry for a serialised envelope whose digest is known (skips hashing it twice). */
export function logEntryOf(serialized: Uint8Array, envelopeSha256: string): Uint8Array {
  if (serialized.length <= MAX_INLINE_ENTRY_SIZE) return serialized;
  return utf8Encode(`{"dsseSha256":"${envelopeSha256}","size":${serialized.length}}`);
}

/** True when the entry is a digest reference to an envelope stored beside the log. */
export function isDigestEntry(entry: Uint8Array): boolean {
  return (
    entry.length >= DIGEST_ENTRY_PREFIX.length &&
    bytesEqual(entry.subarray(0, DIGEST_ENTRY_PREFIX.length), DIGEST_ENTRY_PREFIX)
  );
}

function entryMalformed(message: string): CrosscheckError {
  return new CrosscheckError("E_LOG_ENTRY_MALFORMED", message);
}

/**
 * Reads a log entry back: the envelope it holds, or the digest and size of the one it refers to.
 * Refuses anything `envelopeLogEntry` would not have written (`E_LOG_ENTRY_MALFORMED`).
 */
export function parseLogEntry(entry: Uint8Array): LogEntry {
  if (isDigestEntry(entry)) {
    let match: RegExpExecArray | null = null;
    if (entry.length <= 128) {
      try {
        match = DIGEST_ENTRY.exec(utf8Decode(entry));
      } catch {
        match = null;
      }
    }
    const size = match ? Number(match[2]) : 0;
    if (!match || size <= MAX_INLINE_ENTRY_SIZE || size > MAX_ENVELOPE_SIZE) {
      throw entryMalformed(
        `The log entry is not a valid envelope reference: expected {"dsseSha256":"<64 hex>","size":N} with N from ${MAX_INLINE_ENTRY_SIZE + 1} to ${MAX_ENVELOPE_SIZE}.`,
      );
    }
    return { kind: "digest", envelopeSha256: match[1] as string, size };
  }
  if (entry.length > MAX_INLINE_ENTRY_SIZE) {
    throw entryMalformed(`The log entry is larger than ${MAX_INLINE_ENTRY_SIZE} bytes.`);
  }
  let envelope: Envelope;
  try {
    envelope = parseEnvelope(entry);
  } catch (err) {
    throw entryMalformed(
      `The log entry is not an envelope: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const canonical = utf8Encode(serializeEnvelope(envelope));
  if (!bytesEqual(canonical, entry)) {
    throw entryMalformed(
      "The log entry holds an envelope, but not in its one serialised form (compact JSON, fields in order, standard base64).",
    );
  }
  return { kind: "envelope", envelope, envelopeSha256: toHex(sha256(entry)), size: entry.length };
}
