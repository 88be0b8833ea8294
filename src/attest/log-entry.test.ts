import { describe, expect, it } from "vitest";
import { generateNoteKey, sha256, toHex, utf8Decode, utf8Encode } from "../crypto/index.js";
import {
  ed25519EnvelopeSigner,
  envelopeDigest,
  envelopeLogEntry,
  isDigestEntry,
  MAX_INLINE_ENTRY_SIZE,
  parseLogEntry,
  serializeEnvelope,
  signEnvelope,
} from "./index.js";

const signer = ed25519EnvelopeSigner(generateNoteKey("vendor.example").signerKey);
const TYPE = "application/vnd.example+json";

/** An envelope whose serialisation is exactly `size` bytes. */
function envelopeOfSize(size: number) {
  const overhead = utf8Encode(
    serializeEnvelope(signEnvelope(TYPE, new Uint8Array(), [signer])),
  ).length;
  // Base64 grows in steps of 4 characters per 3 bytes; pad the type to hit the size exactly.
  const bytes = Math.floor((size - overhead) / 4) * 3;
  const base = signEnvelope(TYPE, new Uint8Array(bytes), [signer]);
  const missing = size - utf8Encode(serializeEnvelope(base)).length;
  const envelope = signEnvelope(TYPE + "x".repeat(missing), new Uint8Array(bytes), [signer]);
  expect(utf8Encode(serializeEnvelope(envelope)).length).toBe(size);
  return envelope;
}

describe("log entries", () => {
  it("stores an envelope of up to 65,535 bytes as its serialisation", () => {
    const envelope = envelopeOfSize(MAX_INLINE_ENTRY_SIZE);
    const entry = envelopeLogEntry(envelope);
    expect(utf8Decode(entry)).toBe(serializeEnvelope(envelope));
    expect(isDigestEntry(entry)).toBe(false);
    expect(parseLogEntry(entry)).toEqual({
      kind: "envelope",
      envelope,
      envelopeSha256: envelopeDigest(envelope),
      size: MAX_INLINE_ENTRY_SIZE,
    });
  });

  it("stores a larger envelope as a reference to its digest and size", () => {
    const envelope = envelopeOfSize(MAX_INLINE_ENTRY_SIZE + 1);
    const entry = envelopeLogEntry(envelope);
    const digest = toHex(sha256(utf8Encode(serializeEnvelope(envelope))));
    expect(utf8Decode(entry)).toBe(`{"dsseSha256":"${digest}","size":65536}`);
    expect(digest).toBe(envelopeDigest(envelope));
    expect(isDigestEntry(entry)).toBe(true);
    expect(parseLogEntry(entry)).toEqual({ kind: "digest", envelopeSha256: digest, size: 65536 });
  });

  it("refuses entries it would not have written", () => {
    const envelope = signEnvelope(TYPE, utf8Encode("{}"), [signer]);
    const pretty = utf8Encode(JSON.stringify(JSON.parse(serializeEnvelope(envelope)), null, 2));
    const digest = "a".repeat(64);
    for (const entry of [
      pretty,
      utf8Encode(`{"dsseSha256":"${digest}","size":100}`), // would have fitted inline
      utf8Encode(`{"dsseSha256":"${digest}","size":065536}`),
      utf8Encode(`{"dsseSha256":"${digest.toUpperCase()}","size":65536}`),
      utf8Encode(`{"dsseSha256":"${digest}","size":65536} `),
      utf8Encode(`{"dsseSha256":"${digest}","size":2000000}`),
      utf8Encode("not an envelope"),
    ]) {
      expect(() => parseLogEntry(entry)).toThrow(
        expect.objectContaining({ code: "E_LOG_ENTRY_MALFORMED" }),
      );
    }
  });
});
