/**
 * C2SP tlog-cosignature, Ed25519 `cosignature/v1`: a witness's note signature on a checkpoint.
 *
 * Key ID: SHA-256(name || "\n" || 0x04 || public key)[:4] (a signed-note key of type 0x04).
 * Signature: u64 big-endian POSIX timestamp || Ed25519 signature over
 *   "cosignature/v1\n" || "time " || decimal timestamp || "\n" || checkpoint note body.
 * Meaning: as of that time, this is the largest consistent tree the witness has seen for the log.
 * The timestamp is what gives checkpoints their freshness (Decision 5).
 */
import {
  decodeSignerKey,
  ed25519Sign,
  ed25519Verify,
  NOTE_KEY_TYPE_COSIGNATURE_V1,
  type NoteSigner,
  type ParsedVerifierKey,
  parseNote,
  parseVerifierKey,
  signNote,
  utf8Encode,
} from "../crypto/index.js";
import { CrosscheckError } from "../errors/index.js";

const TIMESTAMP_BYTES = 8;
const SIGNATURE_BYTES = TIMESTAMP_BYTES + 64;
const MAX_TIMESTAMP = 2n ** 63n - 1n;

/** The message a cosignature signs: header, time line, then the checkpoint body. */
export function cosignatureMessage(body: Uint8Array, timestamp: number): Uint8Array {
  const header = utf8Encode(`cosignature/v1\ntime ${timestamp}\n`);
  const message = new Uint8Array(header.length + body.length);
  message.set(header);
  message.set(body, header.length);
  return message;
}

/** A note signer that cosigns as a witness; `now` gives POSIX seconds. */
export function cosignatureSigner(
  signerKeyText: string,
  now: () => number = () => Math.floor(Date.now() / 1000),
): NoteSigner & { verifierKey: string } {
  const key = decodeSignerKey(signerKeyText);
  if (key.keyType !== NOTE_KEY_TYPE_COSIGNATURE_V1) {
    throw new CrosscheckError(
      "E_KEY_UNSUPPORTED",
      `The key for ${JSON.stringify(key.name)} is not a cosignature/v1 witness key; make one with \`crosscheck keygen --type witness\`.`,
    );
  }
  return {
    name: key.name,
    keyHash: key.keyHash,
    verifierKey: key.verifierKey,
    sign(body) {
      const timestamp = now();
      if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
        throw new CrosscheckError(
          "E_COSIGNATURE_TIME",
          `A cosignature time must be POSIX seconds, got ${timestamp}.`,
        );
      }
      const signature = new Uint8Array(SIGNATURE_BYTES);
      new DataView(signature.buffer).setBigUint64(0, BigInt(timestamp), false);
      signature.set(ed25519Sign(key.seed, cosignatureMessage(body, timestamp)), TIMESTAMP_BYTES);
      return signature;
    },
  };
}

/** The time a cosignature claims, in POSIX seconds, or undefined if it is not a v1 signature. */
export function cosignatureTime(signature: Uint8Array): number | undefined {
  if (signature.length !== SIGNATURE_BYTES) return undefined;
  const t = new DataView(signature.buffer, signature.byteOffset, TIMESTAMP_BYTES).getBigUint64(
    0,
    false,
  );
  return t > MAX_TIMESTAMP || t > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(t);
}

/** A verifier for a witness's `cosignature/v1` vkey (type 0x04). */
export function cosignatureVerifier(vkey: string): ParsedVerifierKey {
  const verifier = parseVerifierKey(vkey, {
    verify: (publicKey, body, signature) => {
      const timestamp = cosignatureTime(signature);
      if (timestamp === undefined) return false;
      return ed25519Verify(
        publicKey,
        cosignatureMessage(body, timestamp),
        signature.subarray(TIMESTAMP_BYTES),
      );
    },
  });
  if (verifier.keyType !== NOTE_KEY_TYPE_COSIGNATURE_V1) {
    throw new CrosscheckError(
      "E_KEY_UNSUPPORTED",
      `The witness key for ${JSON.stringify(verifier.name)} is not a cosignature/v1 key (type 0x04).`,
    );
  }
  return verifier;
}

/** Appends cosignature lines by `cosigners` to a signed note (the log's signature stays first). */
export function addCosignatures(note: string, cosigners: NoteSigner[]): string {
  const { text } = parseNote(note);
  return note + signNote(text, cosigners).slice(text.length + 1);
}
