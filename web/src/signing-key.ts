/**
 * Signing in the page with a key the person imports (Decision 17: signing happens where the key
 * lives; the server holds no reviewer or vendor key). The key file is the one `crosscheck keygen`
 * writes — a C2SP signer key, or its passphrase-encrypted form (scrypt + AES-256-GCM, see
 * src/crypto/keyfile.ts) — read from a file input, never uploaded.
 *
 * The seed is imported into WebCrypto as a non-extractable Ed25519 key and the copy in JavaScript
 * memory is wiped: scripts of this page can then ask for signatures but cannot read the key. A
 * browser without Ed25519 in WebCrypto gets the same signatures from the portable implementation,
 * and the page says so. Either way the key lives only as long as the page.
 */
import { scryptAsync } from "@noble/hashes/scrypt.js";
import type { AsyncEnvelopeSigner } from "../../src/attest/index.js";
import {
  decodeSignerKey,
  ed25519Sign,
  ed25519Verify,
  fromBase64,
  NOTE_KEY_TYPE_ED25519,
  utf8Decode,
  utf8Encode,
} from "../../src/crypto/index.js";
import { CrosscheckError } from "../../src/errors/index.js";

export interface PageSigner extends AsyncEnvelopeSigner {
  /** The key's C2SP verifier key (`name+hash+base64`), to match against the trust policy. */
  verifierKey: string;
  /** "webcrypto" (non-extractable) or "portable" (the seed stays in this page's memory). */
  backend: "webcrypto" | "portable";
}

interface EncryptedKeyFile {
  format: "crosscheck-encrypted-key/v1";
  kdf: { name: "scrypt"; N: number; r: number; p: number; salt: string };
  cipher: "aes-256-gcm";
  nonce: string;
  ciphertext: string;
}

/** A key file's text is encrypted when it is our JSON format; then a passphrase is needed. */
export function isEncryptedKeyFile(text: string): boolean {
  return text.trimStart().startsWith("{");
}

/** Reads a key file's text (plain or encrypted) into a signer for envelopes. */
export async function importSigningKey(text: string, passphrase?: string): Promise<PageSigner> {
  const signerKey = isEncryptedKeyFile(text)
    ? await decryptKeyFile(text, passphrase)
    : (text.split("\n")[0]?.trim() ?? "");
  const material = decodeSignerKey(signerKey);
  if (material.keyType !== NOTE_KEY_TYPE_ED25519) {
    throw new CrosscheckError(
      "E_KEY_UNSUPPORTED",
      "This is a witness key (cosignature/v1); verdicts and releases are signed with an Ed25519 key.",
    );
  }
  const keyid = `${material.name}+${material.keyHash.toString(16).padStart(8, "0")}`;
  const webCrypto = await importIntoWebCrypto(material.seed);
  if (webCrypto) {
    material.seed.fill(0);
    const signer: PageSigner = {
      keyid,
      verifierKey: material.verifierKey,
      backend: "webcrypto",
      sign: async (message) =>
        new Uint8Array(
          await globalThis.crypto.subtle.sign("Ed25519", webCrypto, message as BufferSource),
        ),
    };
    // Prove the imported key is the one the file names before anything is signed with it.
    const probe = utf8Encode("crosscheck key import check");
    if (!ed25519Verify(material.publicKey, probe, await signer.sign(probe))) {
      throw new CrosscheckError(
        "E_KEY_MALFORMED",
        "The browser did not import this key faithfully.",
      );
    }
    return signer;
  }
  const seed = material.seed;
  return {
    keyid,
    verifierKey: material.verifierKey,
    backend: "portable",
    sign: async (message) => ed25519Sign(seed, message),
  };
}

/** RFC 8410 PKCS #8 wrapping of a 32-byte Ed25519 seed, the only form WebCrypto imports. */
const PKCS8_ED25519_PREFIX = [
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

async function importIntoWebCrypto(seed: Uint8Array): Promise<CryptoKey | undefined> {
  const der = new Uint8Array(PKCS8_ED25519_PREFIX.length + seed.length);
  der.set(PKCS8_ED25519_PREFIX);
  der.set(seed, PKCS8_ED25519_PREFIX.length);
  try {
    return await globalThis.crypto.subtle.importKey("pkcs8", der, "Ed25519", false, ["sign"]);
  } catch {
    return undefined; // no Ed25519 in this browser's WebCrypto
  } finally {
    der.fill(0);
  }
}

async function decryptKeyFile(text: string, passphrase: string | undefined): Promise<string> {
  let file: EncryptedKeyFile;
  try {
    file = JSON.parse(text) as EncryptedKeyFile;
  } catch {
    throw new CrosscheckError("E_KEY_MALFORMED", "The key file is neither a key nor valid JSON.");
  }
  const { kdf } = file;
  if (
    file.format !== "crosscheck-encrypted-key/v1" ||
    kdf?.name !== "scrypt" ||
    file.cipher !== "aes-256-gcm" ||
    !Number.isInteger(kdf.N) ||
    !Number.isInteger(kdf.r) ||
    !Number.isInteger(kdf.p) ||
    // The same bounds the CLI keeps: a key file must not make the page allocate gigabytes.
    kdf.N > 2 ** 20 ||
    kdf.r > 32 ||
    kdf.p > 16
  ) {
    throw new CrosscheckError("E_KEY_MALFORMED", "This is not a Crosscheck encrypted key file.");
  }
  if (!passphrase) {
    throw new CrosscheckError(
      "E_KEY_PASSPHRASE",
      "This key file is encrypted: enter its passphrase.",
    );
  }
  const key = await scryptAsync(utf8Encode(passphrase), fromBase64(kdf.salt), {
    N: kdf.N,
    r: kdf.r,
    p: kdf.p,
    dkLen: 32,
    maxmem: 256 * kdf.N * kdf.r + (1 << 20),
  });
  try {
    const aes = await globalThis.crypto.subtle.importKey("raw", key, "AES-GCM", false, ["decrypt"]);
    // WebCrypto takes the tag appended to the ciphertext, which is how the file stores it.
    const plain = await globalThis.crypto.subtle.decrypt(
      { name: "AES-GCM", iv: fromBase64(file.nonce) as BufferSource },
      aes,
      fromBase64(file.ciphertext) as BufferSource,
    );
    return utf8Decode(new Uint8Array(plain));
  } catch {
    throw new CrosscheckError(
      "E_KEY_PASSPHRASE",
      "Cannot decrypt the key file: the passphrase is wrong (or the file was altered).",
    );
  } finally {
    key.fill(0);
  }
}
