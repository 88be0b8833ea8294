/**
 * Private key files (Decision 1). Node-only; exported from ./node.ts.
 *
 * A key file holds one signer key (`PRIVATE+KEY+name+hash+key`) and is created with mode 0600,
 * never over an existing file. Plain: the key text and "\n". With a passphrase, a JSON document:
 *
 *   {"format":"crosscheck-encrypted-key/v1",
 *    "kdf":{"name":"scrypt","N":32768,"r":8,"p":1,"salt":b64},
 *    "cipher":"aes-256-gcm","nonce":b64,"ciphertext":b64(encrypted key text || 16-byte tag)}
 *
 * Every field feeds the key or the tag, so any change to the file fails as a wrong passphrase.
 * Messages name the file and what to do; they never include key material.
 */
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { CrosscheckError } from "../errors/index.js";
import { fromBase64, toBase64, utf8Decode, utf8Encode } from "./encoding.js";
import { decodeSignerKey, type NoteSigner, parseSignerKey } from "./note.js";

const FORMAT = "crosscheck-encrypted-key/v1";
const SCRYPT = { N: 32768, r: 8, p: 1 } as const;
// Bounds on parameters read from a file, so a crafted file cannot demand gigabytes or hours.
const SCRYPT_MAX = { N: 1 << 20, r: 32, p: 16 } as const;
const SALT_LENGTH = 16;
const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;
const MAX_KEY_FILE_SIZE = 64 * 1024;

export interface KeyFileOptions {
  passphrase?: string;
}

interface EncryptedKeyFile {
  format: typeof FORMAT;
  kdf: { name: "scrypt"; N: number; r: number; p: number; salt: string };
  cipher: "aes-256-gcm";
  nonce: string;
  ciphertext: string;
}

function deriveKey(passphrase: string, salt: Uint8Array, N: number, r: number, p: number): Buffer {
  // scrypt needs 128·N·r bytes; Node's default maxmem (32 MiB) is exactly too small for N=2^15.
  return scryptSync(utf8Encode(passphrase), salt, 32, { N, r, p, maxmem: 256 * N * r + (1 << 20) });
}

function ioCode(err: unknown): string | undefined {
  return err instanceof Error && "code" in err && typeof err.code === "string"
    ? err.code
    : undefined;
}

/**
 * Writes a signer key to a new file at `path` with mode 0600, encrypted when a passphrase is
 * given. Refuses to overwrite (`E_KEY_EXISTS`) and to write anything but a valid signer key.
 */
export function writeKeyFile(
  path: string,
  signerKeyText: string,
  options: KeyFileOptions = {},
): void {
  decodeSignerKey(signerKeyText);
  let content: string;
  if (options.passphrase !== undefined) {
    if (options.passphrase === "") {
      throw new CrosscheckError("E_KEY_PASSPHRASE", "The passphrase is empty; give one or none.");
    }
    const salt = randomBytes(SALT_LENGTH);
    const nonce = randomBytes(NONCE_LENGTH);
    const key = deriveKey(options.passphrase, salt, SCRYPT.N, SCRYPT.r, SCRYPT.p);
    const cipher = createCipheriv("aes-256-gcm", key, nonce);
    const ciphertext = Buffer.concat([
      cipher.update(utf8Encode(signerKeyText)),
      cipher.final(),
      cipher.getAuthTag(),
    ]);
    const file: EncryptedKeyFile = {
      format: FORMAT,
      kdf: { name: "scrypt", ...SCRYPT, salt: toBase64(salt) },
      cipher: "aes-256-gcm",
      nonce: toBase64(nonce),
      ciphertext: toBase64(ciphertext),
    };
    content = `${JSON.stringify(file)}\n`;
  } else {
    content = `${signerKeyText}\n`;
  }
  try {
    // "wx": create or fail, so an existing key is never replaced by accident.
    writeFileSync(path, content, { mode: 0o600, flag: "wx" });
  } catch (err) {
    if (ioCode(err) === "EEXIST") {
      throw new CrosscheckError(
        "E_KEY_EXISTS",
        `A key file already exists at ${path}; it was left untouched. Remove it first or choose another path.`,
      );
    }
    throw new CrosscheckError(
      "E_KEY_UNWRITABLE",
      `Cannot write the key file ${path}: ${err instanceof Error ? err.message : String(err)}.`,
      { cause: err },
    );
  }
}

/** Reads a key file and returns the signer key text it holds, decrypting it if needed. */
export function readKeyFile(path: string, options: KeyFileOptions = {}): string {
  const bytes = readBounded(path);
  let text: string;
  try {
    text = utf8Decode(bytes);
  } catch {
    throw malformed(path, "it is not text");
  }
  const key = text.trimStart().startsWith("{")
    ? decrypt(path, parseEncrypted(path, text), options.passphrase)
    : text.trim(); // keys hold no white space; editors may add some around them
  try {
    decodeSignerKey(key);
  } catch (err) {
    // The underlying message never quotes the key, so it is safe to pass on.
    const reason = err instanceof Error ? err.message : String(err);
    throw new CrosscheckError(
      "E_KEY_MALFORMED",
      `The key file ${path} holds no valid signer key. ${reason}`,
    );
  }
  return key;
}

/** Reads a key file and parses it into an Ed25519 note signer. */
export function readSignerKeyFile(
  path: string,
  options: KeyFileOptions = {},
): NoteSigner & { verifierKey: string } {
  return parseSignerKey(readKeyFile(path, options));
}

function readBounded(path: string): Uint8Array {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    if (ioCode(err) === "ENOENT") {
      throw new CrosscheckError(
        "E_KEY_MISSING",
        `No key file at ${path}. Create one with \`crosscheck keygen\`, or give the path of an existing key.`,
        { cause: err },
      );
    }
    throw new CrosscheckError(
      "E_KEY_UNREADABLE",
      `Cannot read the key file ${path}: ${err instanceof Error ? err.message : String(err)}. Check its permissions.`,
      { cause: err },
    );
  }
  if (bytes.length > MAX_KEY_FILE_SIZE) throw malformed(path, "it is far too large for a key file");
  return bytes;
}

function malformed(path: string, why: string): CrosscheckError {
  return new CrosscheckError(
    "E_KEY_MALFORMED",
    `The key file ${path} is not a Crosscheck key file: ${why}.`,
  );
}

function isPositiveInteger(value: unknown, max: number): value is number {
  return typeof value === "number" && Number.isInteger(value) && value > 0 && value <= max;
}

function parseEncrypted(path: string, text: string): EncryptedKeyFile {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw malformed(path, "it starts like JSON but is not valid JSON");
  }
  if (typeof doc !== "object" || doc === null) throw malformed(path, "it is not a JSON object");
  const file = doc as Partial<EncryptedKeyFile>;
  if (file.format !== FORMAT) throw malformed(path, `its format is not ${FORMAT}`);
  const kdf = file.kdf;
  if (
    typeof kdf !== "object" ||
    kdf === null ||
    kdf.name !== "scrypt" ||
    !isPositiveInteger(kdf.N, SCRYPT_MAX.N) ||
    (kdf.N & (kdf.N - 1)) !== 0 ||
    !isPositiveInteger(kdf.r, SCRYPT_MAX.r) ||
    !isPositiveInteger(kdf.p, SCRYPT_MAX.p) ||
    typeof kdf.salt !== "string"
  ) {
    throw malformed(path, "its kdf is not scrypt with sensible parameters");
  }
  if (file.cipher !== "aes-256-gcm") throw malformed(path, "its cipher is not aes-256-gcm");
  if (typeof file.nonce !== "string" || typeof file.ciphertext !== "string") {
    throw malformed(path, "it lacks the nonce or the ciphertext");
  }
  return file as EncryptedKeyFile;
}

function decrypt(path: string, file: EncryptedKeyFile, passphrase: string | undefined): string {
  if (passphrase === undefined || passphrase === "") {
    throw new CrosscheckError(
      "E_KEY_PASSPHRASE",
      `The key file ${path} is encrypted: give its passphrase.`,
    );
  }
  let salt: Uint8Array;
  let nonce: Uint8Array;
  let sealed: Uint8Array;
  try {
    salt = fromBase64(file.kdf.salt);
    nonce = fromBase64(file.nonce);
    sealed = fromBase64(file.ciphertext);
  } catch {
    throw malformed(path, "its salt, nonce or ciphertext is not valid base64");
  }
  if (nonce.length !== NONCE_LENGTH || sealed.length <= TAG_LENGTH) {
    throw malformed(path, "its nonce or ciphertext has the wrong length");
  }
  const key = deriveKey(passphrase, salt, file.kdf.N, file.kdf.r, file.kdf.p);
  const decipher = createDecipheriv("aes-256-gcm", key, nonce);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_LENGTH));
  try {
    const plain = Buffer.concat([
      decipher.update(sealed.subarray(0, sealed.length - TAG_LENGTH)),
      decipher.final(),
    ]);
    return utf8Decode(plain);
  } catch {
    throw new CrosscheckError(
      "E_KEY_PASSPHRASE",
      `Cannot decrypt the key file ${path}: the passphrase is wrong (or the file was altered).`,
    );
  }
}
