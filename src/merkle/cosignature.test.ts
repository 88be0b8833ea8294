import { describe, expect, it } from "vitest";
import {
  generateNoteKey,
  NOTE_KEY_TYPE_COSIGNATURE_V1,
  openNote,
  parseSignerKey,
  signNote,
  utf8Encode,
} from "../crypto/index.js";
import { formatCheckpoint } from "./checkpoint.js";
import {
  addCosignatures,
  cosignatureMessage,
  cosignatureSigner,
  cosignatureTime,
  cosignatureVerifier,
} from "./cosignature.js";
import { EMPTY_ROOT } from "./rfc6962.js";

const log = generateNoteKey("example.com/log");
const witness = generateNoteKey("witness.example/w1", NOTE_KEY_TYPE_COSIGNATURE_V1);
const body = formatCheckpoint({
  origin: "example.com/log",
  size: 0,
  root: EMPTY_ROOT,
  extensions: [],
});

describe("cosignature/v1", () => {
  it("signs the header, the time line and the checkpoint body, as the spec lays them out", () => {
    expect(new TextDecoder().decode(cosignatureMessage(utf8Encode(body), 1679315147))).toBe(
      `cosignature/v1\ntime 1679315147\n${body}`,
    );
  });

  it("adds a timestamped witness signature after the log's, and both verify", () => {
    const checkpoint = signNote(body, [parseSignerKey(log.signerKey)]);
    const cosigned = addCosignatures(checkpoint, [
      cosignatureSigner(witness.signerKey, () => 1_700_000_000),
    ]);
    expect(cosigned.startsWith(checkpoint)).toBe(true);
    const opened = openNote(cosigned, [cosignatureVerifier(witness.verifierKey)]);
    expect(opened.signatures.map((s) => [s.name, s.verified])).toEqual([
      ["example.com/log", false],
      ["witness.example/w1", true],
    ]);
    expect(cosignatureTime(opened.signatures[1]?.signature as Uint8Array)).toBe(1_700_000_000);
  });

  it("fails when the timestamp is altered, since the time is signed", () => {
    const cosigned = signNote(body, [cosignatureSigner(witness.signerKey, () => 1_700_000_000)]);
    const sig = openNote(cosigned, [cosignatureVerifier(witness.verifierKey)]).signatures[0]
      ?.signature as Uint8Array;
    const verifier = cosignatureVerifier(witness.verifierKey);
    expect(verifier.verify(utf8Encode(body), sig)).toBe(true);
    const altered = sig.slice();
    altered[7] = (altered[7] as number) ^ 1;
    expect(verifier.verify(utf8Encode(body), altered)).toBe(false);
    expect(verifier.verify(utf8Encode(body), sig.subarray(8))).toBe(false);
  });

  it("refuses to cosign or verify with a plain Ed25519 note key", () => {
    expect(() => cosignatureSigner(log.signerKey)).toThrow(
      expect.objectContaining({ code: "E_KEY_UNSUPPORTED" }),
    );
    expect(() => cosignatureVerifier(log.verifierKey)).toThrow(
      expect.objectContaining({ code: "E_KEY_UNSUPPORTED" }),
    );
  });
});
