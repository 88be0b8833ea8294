/**
 * DSSE v1 (https://github.com/secure-systems-lab/dsse, protocol.md and envelope.md).
 *
 *   PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
 *   LEN(s)          = ASCII decimal byte length of s, no leading zeros; type is UTF-8
 *   envelope        = {"payloadType": type, "payload": base64(body),
 *                      "signatures": [{"keyid": hint, "sig": base64(Sign(PAE(type, body)))}]}
 *
 * The keyid is an unauthenticated hint: it only narrows which keys are tried. A signature without
 * one is tried against every key. Verification returns the distinct keys whose signature verified
 * (a key is counted once, however often it signed, and one signature counts for one key); how
 * many are enough is the caller's decision.
 *
 * Keys: Ed25519 (keyid `name+hash8`, the first two parts of its C2SP note verifier key, so the
 * same key file signs notes and envelopes) and, for verification, ECDSA P-256 with SHA-256
 * (signatures in ASN.1 DER as sigstore writes them, or 64-byte r||s; high-S accepted, as Go and
 * OpenSSL do).
 *
 * Parsing is strict and bounded: at most 1 MiB, exactly the three fields, at most 32 signatures,
 * no duplicate keys, canonical base64. The spec requires verifiers to accept URL-safe base64
 * too; such fields are accepted and normalised to standard base64, so `serializeEnvelope` (the
 * text appended to the log, and what `envelopeDigest` hashes) has exactly one form per envelope.
 */
import { p256 } from "@noble/curves/nist.js";
import {
  bytesEqual,
  ed25519Verify,
  fromBase64,
  hasLoneSurrogate,
  NOTE_KEY_TYPE_ED25519,
  parseSignerKey,
  parseVerifierKey,
  sha256,
  toBase64,
  toHex,
  utf8Decode,
  utf8Encode,
} from "../crypto/index.js";
import { CrosscheckError } from "../errors/index.js";
import { isJsonObject, parseStrictJson } from "./json.js";

/** Envelopes larger than this are refused unread (every input has a size bound). */
export const MAX_ENVELOPE_SIZE = 1 << 20;
/** More signers than any threshold we use; bounds the work of one verification. */
export const MAX_ENVELOPE_SIGNATURES = 32;

export interface EnvelopeSignature {
  /** Unauthenticated hint naming the key; never a reason to trust. */
  keyid?: string;
  /** Standard base64 of the signature over PAE(payloadType, payload). */
  sig: string;
}

export interface Envelope {
  payloadType: string;
  /** Standard base64 of the payload bytes. */
  payload: string;
  signatures: EnvelopeSignature[];
}

export interface EnvelopeSigner {
  keyid: string;
  sign(message: Uint8Array): Uint8Array;
}

/** A signer whose key lives where signing is asynchronous (WebCrypto in the browser). */
export interface AsyncEnvelopeSigner {
  keyid: string;
  sign(message: Uint8Array): Promise<Uint8Array>;
}

export interface PublicKey {
  keyid: string;
  algorithm: "ed25519" | "ecdsa-p256";
  /** Ed25519: the 32-byte key. ECDSA P-256: the 65-byte uncompressed SEC1 point. */
  publicKey: Uint8Array;
}

export interface VerifiedEnvelope {
  payloadType: string;
  payload: Uint8Array;
  /** The distinct keyids whose signature verified, in the order they were found. */
  verifiedKeyids: string[];
}

const textEncoder = new TextEncoder();

/** The Pre-Authentication Encoding: the exact bytes every DSSE signature covers. */
export function pae(payloadType: string, payload: Uint8Array): Uint8Array {
  // An ASCII type (every real one) is its own UTF-8: no separate encoding pass.
  const type = isAscii(payloadType) ? null : utf8Encode(payloadType);
  const typeLength = type === null ? payloadType.length : type.length;
  // Everything before the body is ASCII but the type: encode it once, copy the body after it.
  const head = `DSSEv1 ${typeLength} ${payloadType} ${payload.length} `;
  const headLength = head.length - payloadType.length + typeLength;
  const out = new Uint8Array(headLength + payload.length);
  textEncoder.encodeInto(head, out);
  out.set(payload, headLength);
  return out;
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

function malformed(message: string): CrosscheckError {
  return new CrosscheckError("E_ENVELOPE_MALFORMED", message);
}

/** Signs `payload` as `payloadType` with each signer, in order. */
export function signEnvelope(
  payloadType: string,
  payload: Uint8Array,
  signers: readonly EnvelopeSigner[],
): Envelope {
  const message = checkedPae(payloadType, payload, signers);
  return sealEnvelope(
    payloadType,
    payload,
    signers.map((signer) => ({ keyid: signer.keyid, sig: toBase64(signer.sign(message)) })),
  );
}

/** `signEnvelope` for signers that sign asynchronously (a WebCrypto key in a page). */
export async function signEnvelopeAsync(
  payloadType: string,
  payload: Uint8Array,
  signers: readonly AsyncEnvelopeSigner[],
): Promise<Envelope> {
  const message = checkedPae(payloadType, payload, signers);
  const signatures: EnvelopeSignature[] = [];
  for (const signer of signers) {
    signatures.push({ keyid: signer.keyid, sig: toBase64(await signer.sign(message)) });
  }
  return sealEnvelope(payloadType, payload, signatures);
}

function checkedPae(
  payloadType: string,
  payload: Uint8Array,
  signers: readonly { keyid: string }[],
): Uint8Array {
  if (typeof payloadType !== "string" || payloadType === "") {
    throw malformed("An envelope needs a non-empty payload type.");
  }
  if (signers.length === 0) throw malformed("An envelope needs at least one signer.");
  if (signers.length > MAX_ENVELOPE_SIGNATURES) {
    throw malformed(`An envelope may carry at most ${MAX_ENVELOPE_SIGNATURES} signatures.`);
  }
  for (const signer of signers) {
    if (typeof signer.keyid !== "string" || signer.keyid === "") {
      throw malformed("Every envelope signer needs a keyid.");
    }
  }
  return pae(payloadType, payload);
}

function sealEnvelope(
  payloadType: string,
  payload: Uint8Array,
  signatures: EnvelopeSignature[],
): Envelope {
  const envelope: Envelope = { payloadType, payload: toBase64(payload), signatures };
  if (serializedSize(envelope) > MAX_ENVELOPE_SIZE) {
    throw malformed("The signed envelope would be larger than 1 MiB.");
  }
  return envelope;
}

/**
 * An Ed25519 envelope signer from a C2SP note signer key (`PRIVATE+KEY+name+hash+…`). Its keyid
 * is `name+hash8`: the first two parts of the matching verifier key.
 */
export function ed25519EnvelopeSigner(signerKeyText: string): EnvelopeSigner {
  const signer = parseSignerKey(signerKeyText);
  return { keyid: noteKeyid(signer.name, signer.keyHash), sign: (message) => signer.sign(message) };
}

function noteKeyid(name: string, keyHash: number): string {
  return `${name}+${keyHash.toString(16).padStart(8, "0")}`;
}

/** The Ed25519 key of a C2SP note verifier key (`name+hash+base64(0x01||key)`). */
export function publicKeyFromVerifierKey(vkey: string): PublicKey {
  const parsed = parseVerifierKey(vkey);
  if (parsed.keyType !== NOTE_KEY_TYPE_ED25519) {
    throw new CrosscheckError(
      "E_KEY_UNSUPPORTED",
      `The verifier key for ${JSON.stringify(parsed.name)} is a witness (cosignature/v1) key; envelopes are signed with Ed25519 keys (type 0x01).`,
    );
  }
  return {
    keyid: noteKeyid(parsed.name, parsed.keyHash),
    algorithm: "ed25519",
    publicKey: parsed.publicKey,
  };
}

// DER SubjectPublicKeyInfo prefixes for id-ecPublicKey with namedCurve prime256v1, followed by the
// uncompressed (65-byte) or compressed (33-byte) point. DER is canonical, so exact bytes are right.
const SPKI_P256_UNCOMPRESSED = hexBytes("3059301306072a8648ce3d020106082a8648ce3d030107034200");
const SPKI_P256_COMPRESSED = hexBytes("3039301306072a8648ce3d020106082a8648ce3d030107032200");

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
}

function keyMalformed(message: string): CrosscheckError {
  return new CrosscheckError("E_KEY_MALFORMED", message);
}

/** An ECDSA P-256 key from its DER SubjectPublicKeyInfo (what `openssl pkey -pubout` writes). */
export function publicKeyFromSpki(keyid: string, spkiDer: Uint8Array): PublicKey {
  if (typeof keyid !== "string" || keyid === "") throw keyMalformed("A key needs a keyid.");
  let point: Uint8Array | undefined;
  for (const prefix of [SPKI_P256_UNCOMPRESSED, SPKI_P256_COMPRESSED]) {
    const pointLength = prefix === SPKI_P256_UNCOMPRESSED ? 65 : 33;
    if (
      spkiDer.length === prefix.length + pointLength &&
      bytesEqual(spkiDer.subarray(0, prefix.length), prefix)
    ) {
      point = spkiDer.slice(prefix.length);
    }
  }
  if (!point) {
    throw new CrosscheckError(
      "E_KEY_UNSUPPORTED",
      `The public key ${JSON.stringify(keyid)} is not an ECDSA P-256 SubjectPublicKeyInfo; only P-256 keys are supported besides Ed25519 verifier keys.`,
    );
  }
  let uncompressed: Uint8Array;
  try {
    uncompressed = p256.Point.fromBytes(point).toBytes(false);
  } catch {
    throw keyMalformed(`The public key ${JSON.stringify(keyid)} is not a point on P-256.`);
  }
  return { keyid, algorithm: "ecdsa-p256", publicKey: uncompressed };
}

/** An ECDSA P-256 key from a PEM `PUBLIC KEY` block. */
export function publicKeyFromPem(keyid: string, pem: string): PublicKey {
  const match =
    /^\s*-----BEGIN PUBLIC KEY-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END PUBLIC KEY-----\s*$/.exec(
      pem,
    );
  let der: Uint8Array | undefined;
  if (match) {
    try {
      der = fromBase64((match[1] as string).replace(/[\r\n]/g, ""));
    } catch {
      der = undefined;
    }
  }
  if (!der) {
    throw keyMalformed(
      `The public key ${JSON.stringify(keyid)} is not a PEM block "-----BEGIN PUBLIC KEY-----".`,
    );
  }
  return publicKeyFromSpki(keyid, der);
}

function verifySignature(key: PublicKey, message: Uint8Array, sig: Uint8Array): boolean {
  if (key.algorithm === "ed25519") return ed25519Verify(key.publicKey, message, sig);
  if (key.algorithm !== "ecdsa-p256") return false;
  // DER (sigstore, Go, OpenSSL) first when it looks like DER; 64 bytes may also be r||s.
  const formats: ("der" | "compact")[] = [];
  if (sig[0] === 0x30) formats.push("der");
  if (sig.length === 64) formats.push("compact");
  for (const format of formats) {
    try {
      if (p256.verify(sig, message, key.publicKey, { lowS: false, format })) return true;
    } catch {
      // Unparseable signature or key: not valid in this format.
    }
  }
  return false;
}

/**
 * Verifies every signature of `envelope` against `keys` (by keyid when the signature names one,
 * else against every key). Bad signatures are not errors: they simply do not count. Throws only
 * `E_ENVELOPE_MALFORMED` for an envelope whose fields cannot be decoded.
 */
export function verifyEnvelope(envelope: Envelope, keys: readonly PublicKey[]): VerifiedEnvelope {
  checkEnvelopeShape(envelope);
  const payload = decodeField(envelope.payload, "payload");
  const message = pae(envelope.payloadType, payload);
  const verifiedKeyids: string[] = [];
  const accepted = new Set<string>();
  // A key's material, so the same key listed under two keyids is still one key.
  const acceptedMaterial = new Set<string>();
  const seen = new Set<string>();
  for (const [i, signature] of envelope.signatures.entries()) {
    const sig = decodeField(signature.sig, `signature ${i + 1}`);
    const hint = signature.keyid === undefined || signature.keyid === "" ? null : signature.keyid;
    // Repeated identical signatures are repeated data, not more evidence.
    const id = `${hint ?? ""} ${signature.sig}`;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const key of keys) {
      if (hint !== null && key.keyid !== hint) continue;
      if (accepted.has(key.keyid)) continue;
      const material = `${key.algorithm}:${toHex(key.publicKey)}`;
      if (acceptedMaterial.has(material)) continue;
      if (verifySignature(key, message, sig)) {
        accepted.add(key.keyid);
        acceptedMaterial.add(material);
        verifiedKeyids.push(key.keyid);
        break; // one signature is by one key
      }
    }
  }
  return { payloadType: envelope.payloadType, payload, verifiedKeyids };
}

function checkEnvelopeShape(envelope: Envelope): void {
  if (
    !isJsonObject(envelope) ||
    typeof envelope.payloadType !== "string" ||
    typeof envelope.payload !== "string" ||
    !Array.isArray(envelope.signatures) ||
    envelope.signatures.length > MAX_ENVELOPE_SIGNATURES ||
    !envelope.signatures.every(
      (s) =>
        isJsonObject(s) &&
        typeof s.sig === "string" &&
        (s.keyid === undefined || typeof s.keyid === "string"),
    )
  ) {
    throw malformed(
      "The envelope is malformed: it needs a payloadType, a payload and a list of signatures.",
    );
  }
}

function decodeField(text: string, what: string): Uint8Array {
  const bytes = decodeCanonicalBase64(text);
  if (!bytes) throw malformed(`The envelope's ${what} is not canonical standard base64.`);
  return bytes;
}

const BASE64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
/** Character code → 6-bit value; 64 marks ASCII characters outside the alphabet. */
const BASE64_VALUES = (() => {
  const table = new Uint8Array(128).fill(64);
  for (let i = 0; i < BASE64_ALPHABET.length; i++) table[BASE64_ALPHABET.charCodeAt(i)] = i;
  return table;
})();

function base64Value(text: string, i: number): number {
  const c = text.charCodeAt(i);
  return c < 128 ? (BASE64_VALUES[c] as number) : 64;
}

/**
 * Decodes canonical padded standard base64 (whole groups of four, padding only at the end, zero
 * unused low bits), or returns undefined. One pass that checks as it decodes, because the
 * payload is decoded on every verification.
 */
function decodeCanonicalBase64(text: string): Uint8Array | undefined {
  if (text.length % 4 !== 0) return undefined;
  const pad = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  const full = pad === 0 ? text.length : text.length - 4;
  let invalid = 0;
  let o = 0;
  let i = 0;
  for (; i < full; i += 4) {
    const a = base64Value(text, i);
    const b = base64Value(text, i + 1);
    const c = base64Value(text, i + 2);
    const d = base64Value(text, i + 3);
    invalid |= a | b | c | d;
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = n >>> 16;
    out[o++] = (n >>> 8) & 255;
    out[o++] = n & 255;
  }
  if (pad > 0) {
    const a = base64Value(text, i);
    const b = base64Value(text, i + 1);
    const c = pad === 1 ? base64Value(text, i + 2) : 0;
    invalid |= a | b | c;
    // The last character's unused low bits must be zero: one spelling per byte string.
    if ((pad === 2 ? b & 15 : c & 3) !== 0) return undefined;
    out[o++] = (a << 2) | (b >>> 4);
    if (pad === 1) out[o] = ((b & 15) << 4) | (c >>> 2);
  }
  return (invalid & 64) === 0 ? out : undefined;
}

/**
 * Standard base64 of a standard or URL-safe base64 field (padded, canonical, one alphabet; the
 * same rule as the DSSE Go implementation, which tries both padded alphabets).
 */
function normaliseBase64(text: string, what: string): string {
  let std = text;
  if (/[-_]/.test(text)) {
    if (/[+/]/.test(text)) throw malformed(`The envelope's ${what} mixes two base64 alphabets.`);
    std = text.replace(/-/g, "+").replace(/_/g, "/");
  }
  if (!decodeCanonicalBase64(std))
    throw malformed(`The envelope's ${what} is not canonical base64.`);
  return std;
}

/**
 * Parses envelope JSON strictly: exactly `payloadType`, `payload` and `signatures` (each with
 * `sig` and an optional `keyid`), all strings, canonical base64, at most 1 MiB and 32 signatures.
 * Throws `E_ENVELOPE_MALFORMED` with what is wrong.
 */
export function parseEnvelope(text: string | Uint8Array): Envelope {
  let json: string;
  if (typeof text === "string") {
    // UTF-8 is never shorter than UTF-16 code units, so the first test bounds the work.
    if (text.length > MAX_ENVELOPE_SIZE) throw malformed("The envelope is larger than 1 MiB.");
    if (hasLoneSurrogate(text)) throw malformed("The envelope is not valid Unicode text.");
    // A UTF-16 code unit is at most 3 UTF-8 bytes: encode only when the size is in doubt.
    if (text.length * 3 > MAX_ENVELOPE_SIZE && utf8Encode(text).length > MAX_ENVELOPE_SIZE) {
      throw malformed("The envelope is larger than 1 MiB.");
    }
    json = text;
  } else if (text instanceof Uint8Array) {
    if (text.length > MAX_ENVELOPE_SIZE) throw malformed("The envelope is larger than 1 MiB.");
    try {
      json = utf8Decode(text);
    } catch {
      throw malformed("The envelope is not valid UTF-8.");
    }
  } else {
    throw malformed("An envelope is JSON text or its UTF-8 bytes.");
  }
  const parsed = parseStrictJson(json);
  if ("error" in parsed) throw malformed(`The envelope is malformed: ${parsed.error}.`);
  const value = parsed.value;
  if (!isJsonObject(value)) throw malformed("The envelope is not a JSON object.");
  for (const key of Object.keys(value)) {
    if (key !== "payloadType" && key !== "payload" && key !== "signatures") {
      throw malformed(`The envelope has an unexpected field ${JSON.stringify(key)}.`);
    }
  }
  const { payloadType, payload, signatures } = value;
  if (typeof payloadType !== "string") throw malformed("The envelope's payloadType is missing.");
  if (typeof payload !== "string") throw malformed("The envelope's payload is missing.");
  if (!Array.isArray(signatures)) throw malformed("The envelope's signatures are missing.");
  if (signatures.length > MAX_ENVELOPE_SIGNATURES) {
    throw malformed(`The envelope carries more than ${MAX_ENVELOPE_SIGNATURES} signatures.`);
  }
  const envelope: Envelope = {
    payloadType,
    payload: normaliseBase64(payload, "payload"),
    signatures: signatures.map((signature, i) => {
      const what = `signature ${i + 1}`;
      if (!isJsonObject(signature)) throw malformed(`The envelope's ${what} is not an object.`);
      for (const key of Object.keys(signature)) {
        if (key !== "keyid" && key !== "sig") {
          throw malformed(`The envelope's ${what} has an unexpected field ${JSON.stringify(key)}.`);
        }
      }
      if (typeof signature.sig !== "string") throw malformed(`The envelope's ${what} has no sig.`);
      const sig = normaliseBase64(signature.sig, what);
      if (signature.keyid === undefined) return { sig };
      if (typeof signature.keyid !== "string") {
        throw malformed(`The envelope's ${what} has a keyid that is not a string.`);
      }
      return { keyid: signature.keyid, sig };
    }),
  };
  return envelope;
}

/**
 * The envelope as compact JSON with its fields in a fixed order (payloadType, payload,
 * signatures[keyid, sig]). This exact text is what the transparency log stores.
 */
export function serializeEnvelope(envelope: Envelope): string {
  checkEnvelopeShape(envelope);
  const signatures = envelope.signatures.map((s) =>
    s.keyid === undefined
      ? `{"sig":${JSON.stringify(s.sig)}}`
      : `{"keyid":${JSON.stringify(s.keyid)},"sig":${JSON.stringify(s.sig)}}`,
  );
  return `{"payloadType":${JSON.stringify(envelope.payloadType)},"payload":${JSON.stringify(envelope.payload)},"signatures":[${signatures.join(",")}]}`;
}

// JSON.stringify escapes lone surrogates, so a serialised envelope always encodes as UTF-8.
function serializedSize(envelope: Envelope): number {
  return textEncoder.encode(serializeEnvelope(envelope)).length;
}

/** Lowercase hex SHA-256 of the UTF-8 of `serializeEnvelope(envelope)`: the envelope's name. */
export function envelopeDigest(envelope: Envelope): string {
  return toHex(sha256(textEncoder.encode(serializeEnvelope(envelope))));
}
