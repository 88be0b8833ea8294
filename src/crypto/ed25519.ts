/**
 * Ed25519 (RFC 8032) on raw bytes: 32-byte seeds (the private key as RFC 8032 defines it),
 * 32-byte public keys, 64-byte signatures. Signing is deterministic, so every backend must give
 * identical bytes for the same seed and message; the tests check that.
 *
 * The default backend is @noble/curves (browser-safe). Servers swap in node:crypto with
 * `installNodeCrypto()` from ./node.ts. Verification uses the strict RFC 8032 rules (noble's
 * `zip215: false`: canonical encodings only), as Go's crypto/ed25519 and OpenSSL do, so the
 * browser and the server agree on which signatures are valid.
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { CrosscheckError } from "../errors/index.js";

export const ED25519_SEED_LENGTH = 32;
export const ED25519_PUBLIC_KEY_LENGTH = 32;
export const ED25519_SIGNATURE_LENGTH = 64;

/**
 * What a backend provides. Callers of this module validate lengths first, so a backend may assume
 * a 32-byte seed, a 32-byte public key and a 64-byte signature; `verify` may throw on inputs it
 * cannot parse (e.g. a public key that is not a curve point), which counts as "invalid".
 */
export interface Ed25519Backend {
  publicKey(seed: Uint8Array): Uint8Array<ArrayBuffer>;
  sign(seed: Uint8Array, msg: Uint8Array): Uint8Array<ArrayBuffer>;
  verify(publicKey: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean;
}

/** The portable default backend, exported so benchmarks and tests can compare backends. */
export const nobleEd25519: Ed25519Backend = {
  publicKey: (seed) => ed25519.getPublicKey(seed),
  sign: (seed, msg) => ed25519.sign(msg, seed),
  verify: (publicKey, msg, sig) => ed25519.verify(sig, msg, publicKey, { zip215: false }),
};

let backend: Ed25519Backend = nobleEd25519;

/** Replaces the Ed25519 backend for the whole process (or page). */
export function useEd25519(implementation: Ed25519Backend): void {
  backend = implementation;
}

/** A fresh 32-byte seed from the platform's CSPRNG. */
export function generateEd25519Seed(): Uint8Array<ArrayBuffer> {
  return globalThis.crypto.getRandomValues(new Uint8Array(ED25519_SEED_LENGTH));
}

export function ed25519PublicKey(seed: Uint8Array): Uint8Array<ArrayBuffer> {
  checkSeed(seed);
  return backend.publicKey(seed);
}

/** The 64-byte signature of `msg` under `seed`. */
export function ed25519Sign(seed: Uint8Array, msg: Uint8Array): Uint8Array<ArrayBuffer> {
  checkSeed(seed);
  return backend.sign(seed, msg);
}

/** True only for a valid signature; any malformed input gives false, never an exception. */
export function ed25519Verify(publicKey: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  if (
    !(publicKey instanceof Uint8Array) ||
    !(msg instanceof Uint8Array) ||
    !(sig instanceof Uint8Array) ||
    publicKey.length !== ED25519_PUBLIC_KEY_LENGTH ||
    sig.length !== ED25519_SIGNATURE_LENGTH
  ) {
    return false;
  }
  try {
    return backend.verify(publicKey, msg, sig);
  } catch {
    return false;
  }
}

function checkSeed(seed: Uint8Array): void {
  if (!(seed instanceof Uint8Array) || seed.length !== ED25519_SEED_LENGTH) {
    // Say only the length: the bytes are secret.
    throw new CrosscheckError(
      "E_KEY_MALFORMED",
      `An Ed25519 private key (seed) is ${ED25519_SEED_LENGTH} bytes; this one is not.`,
    );
  }
}
