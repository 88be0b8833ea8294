import { p256 } from "@noble/curves/nist.js";
import { describe, expect, it } from "vitest";
import {
  fromBase64,
  fromHex,
  generateNoteKey,
  NOTE_KEY_TYPE_COSIGNATURE_V1,
  sha256,
  toBase64,
  toHex,
  utf8Decode,
  utf8Encode,
} from "../crypto/index.js";
import {
  type Envelope,
  type EnvelopeSigner,
  ed25519EnvelopeSigner,
  envelopeDigest,
  MAX_ENVELOPE_SIGNATURES,
  type PublicKey,
  pae,
  parseEnvelope,
  publicKeyFromPem,
  publicKeyFromSpki,
  publicKeyFromVerifierKey,
  serializeEnvelope,
  signEnvelope,
  verifyEnvelope,
} from "./index.js";

const SPKI_P256 = fromHex("3059301306072a8648ce3d020106082a8648ce3d030107034200");

function spki(uncompressedPoint: Uint8Array): Uint8Array {
  const out = new Uint8Array(SPKI_P256.length + uncompressedPoint.length);
  out.set(SPKI_P256);
  out.set(uncompressedPoint, SPKI_P256.length);
  return out;
}

function p256Signer(
  keyid: string,
  secretKey: Uint8Array,
  format: "der" | "compact",
): EnvelopeSigner {
  return {
    keyid,
    sign: (message) => p256.sign(message, secretKey, { format, lowS: false }),
  };
}

const TYPE = "application/vnd.example+json";
const BODY = utf8Encode('{"hello":"world"}');

describe("pae", () => {
  it("matches the example of the DSSE protocol", () => {
    expect(utf8Decode(pae("http://example.com/HelloWorld", utf8Encode("hello world")))).toBe(
      "DSSEv1 29 http://example.com/HelloWorld 11 hello world",
    );
  });

  it("counts bytes, not characters, and signs an empty body as '0 ' with a trailing space", () => {
    expect(utf8Decode(pae("ä", new Uint8Array()))).toBe("DSSEv1 2 ä 0 ");
    expect(utf8Decode(pae("", utf8Encode("€")))).toBe("DSSEv1 0  3 €");
  });
});

describe("signing and verifying", () => {
  it("round-trips an Ed25519 envelope made from a note signer key", () => {
    const { signerKey, verifierKey } = generateNoteKey("vendor.example/release");
    const signer = ed25519EnvelopeSigner(signerKey);
    const key = publicKeyFromVerifierKey(verifierKey);
    expect(signer.keyid).toBe(verifierKey.split("+").slice(0, 2).join("+"));
    expect(key.keyid).toBe(signer.keyid);
    const text = serializeEnvelope(signEnvelope(TYPE, BODY, [signer]));
    const verified = verifyEnvelope(parseEnvelope(text), [key]);
    expect(verified).toEqual({ payloadType: TYPE, payload: BODY, verifiedKeyids: [key.keyid] });
  });

  it("returns the exact payload bytes for every length and byte value", () => {
    const { signerKey, verifierKey } = generateNoteKey("vendor.example");
    const signer = ed25519EnvelopeSigner(signerKey);
    const key = publicKeyFromVerifierKey(verifierKey);
    for (let length = 0; length < 40; length++) {
      const payload = globalThis.crypto.getRandomValues(new Uint8Array(length));
      if (length === 39) payload.fill(0xff);
      const envelope = parseEnvelope(serializeEnvelope(signEnvelope(TYPE, payload, [signer])));
      expect(verifyEnvelope(envelope, [key])).toEqual({
        payloadType: TYPE,
        payload,
        verifiedKeyids: [key.keyid],
      });
    }
  });

  it("round-trips ECDSA P-256 envelopes with DER and with r||s signatures", () => {
    const { secretKey, publicKey } = p256.keygen();
    const key = publicKeyFromSpki("reviewer-p256", spki(p256.getPublicKey(secretKey, false)));
    expect(key.publicKey).toEqual(p256.getPublicKey(secretKey, false));
    expect(publicKey.length).toBe(33);
    for (const format of ["der", "compact"] as const) {
      const envelope = signEnvelope(TYPE, BODY, [p256Signer("reviewer-p256", secretKey, format)]);
      if (format === "der") expect(fromBase64(envelope.signatures[0]?.sig ?? "")[0]).toBe(0x30);
      const parsed = parseEnvelope(utf8Encode(serializeEnvelope(envelope)));
      expect(verifyEnvelope(parsed, [key]).verifiedKeyids).toEqual(["reviewer-p256"]);
    }
  });

  it("reads P-256 keys from PEM and from compressed points", () => {
    const { secretKey } = p256.keygen();
    const der = spki(p256.getPublicKey(secretKey, false));
    const pem = `-----BEGIN PUBLIC KEY-----\n${toBase64(der).replace(/(.{64})/g, "$1\n")}\n-----END PUBLIC KEY-----\n`;
    expect(publicKeyFromPem("k", pem)).toEqual(publicKeyFromSpki("k", der));
    const compressed = new Uint8Array([
      ...fromHex("3039301306072a8648ce3d020106082a8648ce3d030107032200"),
      ...p256.getPublicKey(secretKey, true),
    ]);
    expect(publicKeyFromSpki("k", compressed)).toEqual(publicKeyFromSpki("k", der));
  });

  it("refuses keys that are not P-256 points or not Ed25519 note keys", () => {
    const bad = spki(new Uint8Array(65).fill(4));
    expect(() => publicKeyFromSpki("k", bad)).toThrow(
      expect.objectContaining({ code: "E_KEY_MALFORMED" }),
    );
    expect(() => publicKeyFromSpki("k", new Uint8Array(91))).toThrow(
      expect.objectContaining({ code: "E_KEY_UNSUPPORTED" }),
    );
    expect(() => publicKeyFromPem("k", "not a pem")).toThrow(
      expect.objectContaining({ code: "E_KEY_MALFORMED" }),
    );
    const witness = generateNoteKey("witness.example", NOTE_KEY_TYPE_COSIGNATURE_V1);
    expect(() => publicKeyFromVerifierKey(witness.verifierKey)).toThrow(
      expect.objectContaining({ code: "E_KEY_UNSUPPORTED" }),
    );
  });

  it("does not verify a signature over another payload type (type confusion)", () => {
    const { signerKey, verifierKey } = generateNoteKey("vendor.example");
    const envelope = signEnvelope(TYPE, BODY, [ed25519EnvelopeSigner(signerKey)]);
    const swapped = { ...envelope, payloadType: "application/vnd.in-toto+json" };
    const key = publicKeyFromVerifierKey(verifierKey);
    expect(verifyEnvelope(swapped, [key]).verifiedKeyids).toEqual([]);
    expect(verifyEnvelope(envelope, [key]).verifiedKeyids).toEqual([key.keyid]);
  });

  it("does not verify a tampered payload, a wrong keyid or an unknown key", () => {
    const a = generateNoteKey("a.example");
    const b = generateNoteKey("b.example");
    const keyA = publicKeyFromVerifierKey(a.verifierKey);
    const keyB = publicKeyFromVerifierKey(b.verifierKey);
    const envelope = signEnvelope(TYPE, BODY, [ed25519EnvelopeSigner(a.signerKey)]);
    const tampered = { ...envelope, payload: toBase64(utf8Encode('{"hello":"World"}')) };
    expect(verifyEnvelope(tampered, [keyA]).verifiedKeyids).toEqual([]);
    // The keyid names B, so A's key is never tried: the hint narrows, it never widens.
    const misnamed: Envelope = {
      ...envelope,
      signatures: [{ keyid: keyB.keyid, sig: envelope.signatures[0]?.sig ?? "" }],
    };
    expect(verifyEnvelope(misnamed, [keyA, keyB]).verifiedKeyids).toEqual([]);
    expect(verifyEnvelope(envelope, [keyB]).verifiedKeyids).toEqual([]);
    // The same key under B's keyid is still not B.
    expect(verifyEnvelope(envelope, [{ ...keyB, keyid: keyA.keyid }]).verifiedKeyids).toEqual([]);
  });

  it("counts one key once, however often it signed", () => {
    const { secretKey } = p256.keygen();
    const key = publicKeyFromSpki("p", spki(p256.getPublicKey(secretKey, false)));
    const message = pae(TYPE, BODY);
    // Two different valid signatures by the same key (hedged signing), plus an exact repeat.
    const sigs = [
      p256.sign(message, secretKey, { format: "der", extraEntropy: true }),
      p256.sign(message, secretKey, { format: "der", extraEntropy: true }),
    ].map(toBase64);
    expect(sigs[0]).not.toBe(sigs[1]);
    const envelope: Envelope = {
      payloadType: TYPE,
      payload: toBase64(BODY),
      signatures: [
        { keyid: "p", sig: sigs[0] as string },
        { keyid: "p", sig: sigs[1] as string },
        { keyid: "p", sig: sigs[0] as string },
        { sig: sigs[1] as string },
      ],
    };
    expect(verifyEnvelope(envelope, [key]).verifiedKeyids).toEqual(["p"]);
  });

  it("counts a key listed under two keyids once", () => {
    const a = generateNoteKey("a.example");
    const key = publicKeyFromVerifierKey(a.verifierKey);
    const signed = signEnvelope(TYPE, BODY, [ed25519EnvelopeSigner(a.signerKey)]);
    const sig = signed.signatures[0]?.sig as string;
    const envelope: Envelope = { ...signed, signatures: [{ sig }, { keyid: "alias", sig }] };
    const keys = [key, { ...key, keyid: "alias" }];
    expect(verifyEnvelope(envelope, keys).verifiedKeyids).toEqual([key.keyid]);
  });

  it("finds the right key for signatures without a keyid and ignores unknown signers", () => {
    const signers = ["a", "b", "c"].map((n) => generateNoteKey(`${n}.example`));
    const keys = signers.map((s) => publicKeyFromVerifierKey(s.verifierKey));
    const signed = signEnvelope(
      TYPE,
      BODY,
      signers.map((s) => ed25519EnvelopeSigner(s.signerKey)),
    );
    const keyless: Envelope = {
      ...signed,
      signatures: signed.signatures.map((s) => ({ sig: s.sig })),
    };
    expect(
      verifyEnvelope(keyless, [keys[2] as PublicKey, keys[0] as PublicKey]).verifiedKeyids,
    ).toEqual([keys[0]?.keyid, keys[2]?.keyid]);
  });

  it("refuses to sign without signers, with too many, or without a payload type", () => {
    const signer = ed25519EnvelopeSigner(generateNoteKey("a.example").signerKey);
    expect(() => signEnvelope(TYPE, BODY, [])).toThrow(
      expect.objectContaining({ code: "E_ENVELOPE_MALFORMED" }),
    );
    expect(() =>
      signEnvelope(TYPE, BODY, new Array(MAX_ENVELOPE_SIGNATURES + 1).fill(signer)),
    ).toThrow(expect.objectContaining({ code: "E_ENVELOPE_MALFORMED" }));
    expect(() => signEnvelope("", BODY, [signer])).toThrow(
      expect.objectContaining({ code: "E_ENVELOPE_MALFORMED" }),
    );
  });
});

describe("parseEnvelope and serializeEnvelope", () => {
  const good = {
    payloadType: TYPE,
    payload: toBase64(BODY),
    signatures: [{ keyid: "k", sig: toBase64(new Uint8Array(64)) }],
  };

  it("serialises in one fixed order, compact, and parses back to the same envelope", () => {
    const reordered = `{ "signatures": [ { "sig": "${good.signatures[0]?.sig}", "keyid": "k" } ],\n "payload": "${good.payload}", "payloadType": "${TYPE}" }`;
    const envelope = parseEnvelope(reordered);
    const text = serializeEnvelope(envelope);
    expect(text).toBe(
      `{"payloadType":"${TYPE}","payload":"${good.payload}","signatures":[{"keyid":"k","sig":"${good.signatures[0]?.sig}"}]}`,
    );
    expect(parseEnvelope(text)).toEqual(envelope);
    expect(envelopeDigest(envelope)).toBe(toHex(sha256(utf8Encode(text))));
    expect(serializeEnvelope({ ...envelope, signatures: [{ sig: "AA==" }] })).toBe(
      `{"payloadType":"${TYPE}","payload":"${good.payload}","signatures":[{"sig":"AA=="}]}`,
    );
  });

  it("accepts an envelope without signatures (the verifier decides it is unsigned)", () => {
    const envelope = parseEnvelope(JSON.stringify({ ...good, signatures: [] }));
    expect(verifyEnvelope(envelope, []).verifiedKeyids).toEqual([]);
  });

  const refusals: [string, string | Uint8Array][] = [
    ["not JSON", "{"],
    ["an array", "[]"],
    ["an extra field", JSON.stringify({ ...good, extra: 1 })],
    ["a missing payload", JSON.stringify({ payloadType: TYPE, signatures: [] })],
    ["a missing payloadType", JSON.stringify({ payload: "", signatures: [] })],
    ["missing signatures", JSON.stringify({ payloadType: TYPE, payload: "" })],
    ["a numeric payloadType", JSON.stringify({ ...good, payloadType: 1 })],
    ["a null payload", JSON.stringify({ ...good, payload: null })],
    ["signatures as an object", JSON.stringify({ ...good, signatures: {} })],
    ["a signature without sig", JSON.stringify({ ...good, signatures: [{ keyid: "k" }] })],
    ["a numeric keyid", JSON.stringify({ ...good, signatures: [{ keyid: 1, sig: "AA==" }] })],
    [
      "a signature field too many",
      JSON.stringify({ ...good, signatures: [{ sig: "AA==", x: 1 }] }),
    ],
    ["unpadded base64", JSON.stringify({ ...good, payload: "aGk" })],
    ["non-canonical base64", JSON.stringify({ ...good, payload: "aGl=" })],
    ["base64 with a non-ASCII character", JSON.stringify({ ...good, payload: "aGkñ" })],
    ["base64 padding inside", JSON.stringify({ ...good, payload: "aG=k" })],
    ["a non-canonical signature", JSON.stringify({ ...good, signatures: [{ sig: "AB==" }] })],
    ["base64 with white space", JSON.stringify({ ...good, payload: "aG k=" })],
    ["mixed base64 alphabets", JSON.stringify({ ...good, payload: "+_+_" })],
    ["a duplicate key", `{"payloadType":"${TYPE}","payloadType":"x","payload":"","signatures":[]}`],
    ["an escaped lone surrogate", `{"payloadType":"\\ud800","payload":"","signatures":[]}`],
    [
      "too many signatures",
      JSON.stringify({
        ...good,
        signatures: new Array(MAX_ENVELOPE_SIGNATURES + 1).fill({ sig: "AA==" }),
      }),
    ],
    ["more than 1 MiB", JSON.stringify({ ...good, payload: "A".repeat((1 << 20) + 4) })],
    ["invalid UTF-8", new Uint8Array([0x7b, 0xff, 0x7d])],
    [
      "deep nesting",
      `{"payloadType":"","payload":"","signatures":${"[".repeat(100)}${"]".repeat(100)}}`,
    ],
  ];
  for (const [what, text] of refusals) {
    it(`refuses ${what}`, () => {
      expect(() => parseEnvelope(text)).toThrow(
        expect.objectContaining({ code: "E_ENVELOPE_MALFORMED" }),
      );
    });
  }
});
