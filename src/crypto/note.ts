/**
 * C2SP signed notes (https://c2sp.org/signed-note), byte-compatible with Go's
 * golang.org/x/mod/sumdb/note.
 *
 *   note      = text "\n" signature-line+          (text is non-empty and ends in "\n")
 *   signature = "— " name " " base64(keyHash[4] || sig) "\n"      (em dash U+2014, then a space)
 *   keyHash   = big-endian uint32 of SHA-256(name || "\n" || keyType || publicKey)[:4]
 *   vkey      = name "+" hex8(keyHash) "+" base64(keyType || publicKey)
 *   skey      = "PRIVATE+KEY+" name "+" hex8(keyHash) "+" base64(keyType || seed)
 *
 * A note is valid UTF-8 with no control characters but newline. Names are non-empty and hold no
 * "+" and no Unicode white space. Key type 0x01 is Ed25519 over the note text. Key type 0x04 is a
 * C2SP tlog-cosignature (cosignature/v1) witness key: its keys parse here, but its signatures
 * sign a different message, so its verification is supplied by the cosignature code through
 * `parseVerifierKey(vkey, { verify })`.
 *
 * Error messages never quote a private key, nor any part of a string that may be one.
 */
import { CrosscheckError } from "../errors/index.js";
import {
  ED25519_PUBLIC_KEY_LENGTH,
  ED25519_SEED_LENGTH,
  ed25519PublicKey,
  ed25519Sign,
  ed25519Verify,
  generateEd25519Seed,
} from "./ed25519.js";
import { fromBase64, hasLoneSurrogate, toBase64, utf8Decode, utf8Encode } from "./encoding.js";
import { sha256 } from "./sha256.js";

export const NOTE_KEY_TYPE_ED25519 = 0x01;
export const NOTE_KEY_TYPE_COSIGNATURE_V1 = 0x04;

/** Notes larger than this are refused unread (every input has a size bound, Decision 14). */
export const MAX_NOTE_SIZE = 1 << 20;
/** Same bound as Go's note.Open: parsing stops being cheap long before a real note gets here. */
export const MAX_NOTE_SIGNATURES = 100;

export interface NoteVerifier {
  name: string;
  keyHash: number;
  verify(msg: Uint8Array, sig: Uint8Array): boolean;
}

export interface NoteSigner {
  name: string;
  keyHash: number;
  sign(msg: Uint8Array): Uint8Array;
}

export interface ParsedVerifierKey extends NoteVerifier {
  keyType: number;
  publicKey: Uint8Array;
  /** The verifier key exactly as given. */
  text: string;
}

/** A type-specific signature check: `sig` is what follows the 4-byte key hash in the note. */
export type NoteSignatureCheck = (
  publicKey: Uint8Array,
  msg: Uint8Array,
  sig: Uint8Array,
) => boolean;

export interface NoteSignature {
  name: string;
  keyHash: number;
  /** The signature bytes after the 4-byte key hash. */
  signature: Uint8Array;
}

export interface OpenedNote {
  text: string;
  signatures: (NoteSignature & { verified: boolean })[];
}

/** Everything a signer key holds. `seed` is secret: never log or serialise this object. */
export interface SignerKeyMaterial {
  name: string;
  keyHash: number;
  keyType: number;
  seed: Uint8Array;
  publicKey: Uint8Array;
  verifierKey: string;
}

/** Key types whose keys we can parse; both are Ed25519 key pairs underneath. */
const KEY_TYPE_LABELS: ReadonlyMap<number, string> = new Map([
  [NOTE_KEY_TYPE_ED25519, "Ed25519"],
  [NOTE_KEY_TYPE_COSIGNATURE_V1, "cosignature/v1"],
]);

const SIGNATURE_PREFIX = "— ";
const PRIVATE_KEY_PREFIX = "PRIVATE+KEY+";

// Go's unicode.IsSpace: ASCII white space, NEL, NBSP and the Unicode White_Space characters.
// (JavaScript's \s differs: it lacks U+0085 and adds U+FEFF.)
const UNICODE_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;
// Control characters a note may not contain: everything below U+0020 except newline.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const NOTE_CONTROL = /[\u0000-\u0009\u000b-\u001f]/;

/** A valid key name, as Go's note package defines it. */
export function isValidNoteKeyName(name: string): boolean {
  return name !== "" && !name.includes("+") && !UNICODE_SPACE.test(name) && !hasLoneSurrogate(name);
}

/** The 32-bit key ID: big-endian first 4 bytes of SHA-256(name || "\n" || keyType || publicKey). */
export function noteKeyHash(name: string, keyTypeAndPublicKey: Uint8Array): number {
  const nameBytes = utf8Encode(name);
  const input = new Uint8Array(nameBytes.length + 1 + keyTypeAndPublicKey.length);
  input.set(nameBytes, 0);
  input[nameBytes.length] = 0x0a;
  input.set(keyTypeAndPublicKey, nameBytes.length + 1);
  const digest = sha256(input);
  return new DataView(digest.buffer, digest.byteOffset, 4).getUint32(0, false);
}

function hex8(keyHash: number): string {
  return keyHash.toString(16).padStart(8, "0");
}

function prefixed(keyType: number, key: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + key.length);
  out[0] = keyType;
  out.set(key, 1);
  return out;
}

/**
 * Splits `name+hash+base64` (the shape shared by verifier keys and, after the PRIVATE+KEY+
 * prefix, signer keys). The name holds no "+"; base64 may, so only the first two "+" split.
 */
function splitKey(text: string): { name: string; hash: string; key: string } | undefined {
  const first = text.indexOf("+");
  if (first < 0) return undefined;
  const second = text.indexOf("+", first + 1);
  if (second < 0) return undefined;
  return {
    name: text.slice(0, first),
    hash: text.slice(first + 1, second),
    key: text.slice(second + 1),
  };
}

function decodeKeyBytes(key64: string): Uint8Array | undefined {
  try {
    return fromBase64(key64);
  } catch {
    return undefined;
  }
}

function keyMalformed(message: string): CrosscheckError {
  return new CrosscheckError("E_KEY_MALFORMED", message);
}

function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

/**
 * Parses a verifier key `name+hash+base64(type||pub)`. Ed25519 keys verify note signatures
 * directly; for other parseable types (cosignature/v1) pass the type's `verify`.
 */
export function parseVerifierKey(
  vkey: string,
  options: { verify?: NoteSignatureCheck } = {},
): ParsedVerifierKey {
  const parts = typeof vkey === "string" ? splitKey(vkey) : undefined;
  if (!parts) {
    throw keyMalformed(
      "This is not a verifier key: expected name+hash+key, e.g. example.com/log+1a2b3c4d+AQ….",
    );
  }
  const { name, hash, key } = parts;
  if (!isValidNoteKeyName(name)) {
    throw keyMalformed(
      `The verifier key's name ${quote(name)} is invalid: it must be non-empty, without "+" or white space.`,
    );
  }
  if (!/^[0-9a-fA-F]{8}$/.test(hash)) {
    throw keyMalformed(
      `The verifier key for ${quote(name)} has no 8-digit hex key hash after its name.`,
    );
  }
  const typed = decodeKeyBytes(key);
  if (!typed || typed.length === 0) {
    throw keyMalformed(
      `The verifier key for ${quote(name)} does not end in valid base64 key bytes (nothing may follow them, not even white space).`,
    );
  }
  const keyType = typed[0] as number;
  const label = KEY_TYPE_LABELS.get(keyType);
  if (!label) {
    throw new CrosscheckError(
      "E_KEY_UNSUPPORTED",
      `The verifier key for ${quote(name)} has key type 0x${keyType.toString(16).padStart(2, "0")}; supported are 0x01 (Ed25519) and 0x04 (cosignature/v1).`,
    );
  }
  const publicKey = typed.slice(1);
  if (publicKey.length !== ED25519_PUBLIC_KEY_LENGTH) {
    throw keyMalformed(
      `The ${label} verifier key for ${quote(name)} holds ${publicKey.length} key bytes; it must hold ${ED25519_PUBLIC_KEY_LENGTH}.`,
    );
  }
  const keyHash = Number.parseInt(hash, 16);
  if (noteKeyHash(name, typed) !== keyHash) {
    throw keyMalformed(
      `The verifier key for ${quote(name)} is inconsistent: its key hash ${hash} does not match its name and key.`,
    );
  }
  return {
    name,
    keyHash,
    keyType,
    publicKey,
    text: vkey,
    verify: verifyFor(keyType, publicKey, options.verify),
  };
}

function verifyFor(
  keyType: number,
  publicKey: Uint8Array,
  check: NoteSignatureCheck | undefined,
): (msg: Uint8Array, sig: Uint8Array) => boolean {
  if (check) return (msg, sig) => check(publicKey, msg, sig);
  if (keyType === NOTE_KEY_TYPE_ED25519) return (msg, sig) => ed25519Verify(publicKey, msg, sig);
  // Refuse loudly rather than report "invalid signature": a cosignature/v1 signature is over a
  // different message, and answering false here would wrongly accuse the witness.
  return () => {
    throw new CrosscheckError(
      "E_KEY_UNSUPPORTED",
      "A cosignature/v1 key was used to verify a note without the cosignature verifier; parse it with the cosignature code instead.",
    );
  };
}

/**
 * Decodes a signer key `PRIVATE+KEY+name+hash+base64(type||seed)` of type 0x01 or 0x04 and checks
 * that its key hash matches the public key derived from the seed.
 */
export function decodeSignerKey(skey: string): SignerKeyMaterial {
  // Nothing from `skey` goes into a message: a mangled key may put secret bytes anywhere.
  const parts =
    typeof skey === "string" && skey.startsWith(PRIVATE_KEY_PREFIX)
      ? splitKey(skey.slice(PRIVATE_KEY_PREFIX.length))
      : undefined;
  if (!parts) throw keyMalformed("This is not a signer key: expected PRIVATE+KEY+name+hash+key.");
  const { name, hash, key } = parts;
  if (!isValidNoteKeyName(name)) {
    throw keyMalformed(
      'The signer key\'s name is invalid: it must be non-empty, without "+" or white space.',
    );
  }
  if (!/^[0-9a-fA-F]{8}$/.test(hash)) {
    throw keyMalformed("The signer key has no 8-digit hex key hash after its name.");
  }
  const typed = decodeKeyBytes(key);
  if (!typed || typed.length === 0) {
    throw keyMalformed(
      "The signer key does not end in valid base64 key bytes (nothing may follow them, not even white space).",
    );
  }
  const keyType = typed[0] as number;
  if (!KEY_TYPE_LABELS.has(keyType)) {
    throw new CrosscheckError(
      "E_KEY_UNSUPPORTED",
      `The signer key has key type 0x${keyType.toString(16).padStart(2, "0")}; supported are 0x01 (Ed25519) and 0x04 (cosignature/v1).`,
    );
  }
  const seed = typed.slice(1);
  if (seed.length !== ED25519_SEED_LENGTH) {
    throw keyMalformed(
      `The signer key holds the wrong number of key bytes (expected ${ED25519_SEED_LENGTH}).`,
    );
  }
  const publicKey = ed25519PublicKey(seed);
  const typedPublic = prefixed(keyType, publicKey);
  const keyHash = Number.parseInt(hash, 16);
  // The hash names the public key, which only the seed reveals: check it after deriving.
  if (noteKeyHash(name, typedPublic) !== keyHash) {
    throw keyMalformed(
      "The signer key is inconsistent: its key hash does not match its name and key.",
    );
  }
  return {
    name,
    keyHash,
    keyType,
    seed,
    publicKey,
    verifierKey: `${name}+${hex8(keyHash)}+${toBase64(typedPublic)}`,
  };
}

/** Parses an Ed25519 (0x01) signer key into a note signer; the seed stays inside `sign`. */
export function parseSignerKey(skey: string): NoteSigner & { verifierKey: string } {
  const { name, keyHash, keyType, seed, verifierKey } = decodeSignerKey(skey);
  if (keyType !== NOTE_KEY_TYPE_ED25519) {
    throw new CrosscheckError(
      "E_KEY_UNSUPPORTED",
      `The signer key for ${quote(name)} is a cosignature/v1 witness key: it signs cosignatures, not notes.`,
    );
  }
  return { name, keyHash, verifierKey, sign: (msg) => ed25519Sign(seed, msg) };
}

/**
 * Generates a key pair named `name`: Ed25519 (0x01) by default, or a cosignature/v1 witness key
 * (0x04), which is an Ed25519 key pair with its own key hash.
 */
export function generateNoteKey(
  name: string,
  keyType: number = NOTE_KEY_TYPE_ED25519,
): { signerKey: string; verifierKey: string } {
  if (!isValidNoteKeyName(name)) {
    throw keyMalformed(
      `The key name ${quote(String(name))} is invalid: it must be non-empty, without "+" or white space.`,
    );
  }
  if (!KEY_TYPE_LABELS.has(keyType)) {
    throw new CrosscheckError(
      "E_KEY_UNSUPPORTED",
      `Cannot generate keys of type ${keyType}; supported are 0x01 (Ed25519) and 0x04 (cosignature/v1).`,
    );
  }
  const seed = generateEd25519Seed();
  const typedPublic = prefixed(keyType, ed25519PublicKey(seed));
  const hash = hex8(noteKeyHash(name, typedPublic));
  return {
    signerKey: `${PRIVATE_KEY_PREFIX}${name}+${hash}+${toBase64(prefixed(keyType, seed))}`,
    verifierKey: `${name}+${hash}+${toBase64(typedPublic)}`,
  };
}

function noteMalformed(message: string): CrosscheckError {
  return new CrosscheckError("E_NOTE_MALFORMED", message);
}

/** Checks what the spec demands of note text; returns its UTF-8 bytes (the signed message). */
function noteTextBytes(text: string): Uint8Array {
  if (typeof text !== "string" || text === "") throw noteMalformed("The note text is empty.");
  if (!text.endsWith("\n")) throw noteMalformed("The note text must end with a newline.");
  if (hasLoneSurrogate(text)) throw noteMalformed("The note text is not valid Unicode text.");
  if (NOTE_CONTROL.test(text)) {
    throw noteMalformed("The note text contains a control character other than newline.");
  }
  return utf8Encode(text);
}

/**
 * Signs `text` with each signer, in order: `text + "\n" + "— name base64(hash||sig)\n"…`.
 * Output is byte-identical to Go's note.Sign for the same keys.
 */
export function signNote(text: string, signers: NoteSigner[]): string {
  const msg = noteTextBytes(text);
  if (signers.length === 0) throw noteMalformed("A signed note needs at least one signer.");
  if (signers.length > MAX_NOTE_SIGNATURES) {
    throw noteMalformed(`A note may carry at most ${MAX_NOTE_SIGNATURES} signatures.`);
  }
  let out = `${text}\n`;
  for (const signer of signers) {
    const { name, keyHash } = signer;
    if (!isValidNoteKeyName(name) || NOTE_CONTROL.test(name)) {
      throw keyMalformed(`The signer name ${quote(String(name))} cannot appear in a note.`);
    }
    if (!Number.isInteger(keyHash) || keyHash < 0 || keyHash > 0xffffffff) {
      throw keyMalformed(`The signer ${quote(name)} has a key hash that is not a 32-bit number.`);
    }
    const sig = signer.sign(msg);
    if (sig.length === 0)
      throw keyMalformed(`The signer ${quote(name)} produced an empty signature.`);
    const line = new Uint8Array(4 + sig.length);
    new DataView(line.buffer).setUint32(0, keyHash, false);
    line.set(sig, 4);
    out += `${SIGNATURE_PREFIX}${name} ${toBase64(line)}\n`;
  }
  if (out.length > MAX_NOTE_SIZE || utf8Encode(out).length > MAX_NOTE_SIZE) {
    throw noteMalformed("The signed note would be larger than 1 MiB.");
  }
  return out;
}

/**
 * Parses a signed note without verifying anything: the text and every signature line, in order.
 * Throws `E_NOTE_MALFORMED` for anything the spec does not allow.
 */
export function parseNote(note: string | Uint8Array): {
  text: string;
  signatures: NoteSignature[];
} {
  const whole = noteString(note);
  if (NOTE_CONTROL.test(whole)) {
    throw noteMalformed("The note contains a control character other than newline.");
  }
  // The text may itself hold blank lines: the separator is the last one (as in Go).
  const split = whole.lastIndexOf("\n\n");
  if (split < 0) throw noteMalformed("The note has no blank line before its signatures.");
  const text = whole.slice(0, split + 1);
  const block = whole.slice(split + 2);
  if (block === "" || !block.endsWith("\n")) {
    throw noteMalformed("The note's signature block is empty or does not end with a newline.");
  }
  const lines = block.slice(0, -1).split("\n");
  if (lines.length > MAX_NOTE_SIGNATURES) {
    throw noteMalformed(`The note has more than ${MAX_NOTE_SIGNATURES} signatures.`);
  }
  const signatures = lines.map((line, i) => parseSignatureLine(line, i + 1));
  return { text, signatures };
}

function noteString(note: string | Uint8Array): string {
  if (typeof note === "string") {
    // UTF-8 is never shorter than UTF-16 code units, so the first test bounds the work.
    if (note.length > MAX_NOTE_SIZE) throw noteMalformed("The note is larger than 1 MiB.");
    if (hasLoneSurrogate(note)) throw noteMalformed("The note is not valid Unicode text.");
    if (utf8Encode(note).length > MAX_NOTE_SIZE)
      throw noteMalformed("The note is larger than 1 MiB.");
    return note;
  }
  if (!(note instanceof Uint8Array)) throw noteMalformed("A note is text or bytes.");
  if (note.length > MAX_NOTE_SIZE) throw noteMalformed("The note is larger than 1 MiB.");
  try {
    return utf8Decode(note);
  } catch {
    throw noteMalformed("The note is not valid UTF-8.");
  }
}

function parseSignatureLine(line: string, number: number): NoteSignature {
  if (!line.startsWith(SIGNATURE_PREFIX)) {
    throw noteMalformed(`Signature line ${number} does not start with "— " (em dash, space).`);
  }
  const rest = line.slice(SIGNATURE_PREFIX.length);
  const space = rest.indexOf(" ");
  const name = space < 0 ? rest : rest.slice(0, space);
  const b64 = space < 0 ? "" : rest.slice(space + 1);
  if (!isValidNoteKeyName(name))
    throw noteMalformed(`Signature line ${number} has an invalid key name.`);
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(b64);
  } catch {
    throw noteMalformed(
      `Signature line ${number} (${quote(name)}) is not followed by valid base64.`,
    );
  }
  // A key hash and at least one signature byte.
  if (bytes.length < 5)
    throw noteMalformed(`Signature line ${number} (${quote(name)}) is too short.`);
  return {
    name,
    keyHash: new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, false),
    signature: bytes.slice(4),
  };
}

/**
 * Opens a signed note: parses it, verifies every signature whose (name, key hash) matches one of
 * `verifiers`, and requires at least one of them. Unknown signatures are kept, unverified.
 *
 * Stricter than Go in one respect: Go verifies only the first signature per known key; here every
 * signature by a known key must verify, as the spec recommends.
 *
 * Throws `E_NOTE_MALFORMED`, `E_NOTE_SIGNATURE` (a known key's signature is invalid) or
 * `E_NOTE_UNVERIFIED` (no signature by any of `verifiers`).
 */
export function openNote(note: string | Uint8Array, verifiers: NoteVerifier[]): OpenedNote {
  const parsed = parseNote(note);
  const msg = utf8Encode(parsed.text);
  const signatures: OpenedNote["signatures"] = [];
  const seen = new Set<string>();
  let verifiedCount = 0;
  for (const sig of parsed.signatures) {
    // Identical lines are repeated data, not more evidence: keep one (as Go does).
    const id = `${sig.name} ${sig.keyHash} ${toBase64(sig.signature)}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const verifier = verifiers.find((v) => v.name === sig.name && v.keyHash === sig.keyHash);
    if (!verifier) {
      signatures.push({ ...sig, verified: false });
      continue;
    }
    if (!verifier.verify(msg, sig.signature)) {
      throw new CrosscheckError(
        "E_NOTE_SIGNATURE",
        `The signature by ${quote(sig.name)} (key ${hex8(sig.keyHash)}) does not verify: the note was altered or not signed by that key.`,
      );
    }
    verifiedCount++;
    signatures.push({ ...sig, verified: true });
  }
  if (verifiedCount === 0) {
    const expected = verifiers.map((v) => `${v.name}+${hex8(v.keyHash)}`).join(", ");
    throw new CrosscheckError(
      "E_NOTE_UNVERIFIED",
      verifiers.length === 0
        ? "The note cannot be trusted: no verifier keys were given."
        : `The note is not signed by any trusted key (expected one of: ${expected}).`,
    );
  }
  return { text: parsed.text, signatures };
}
