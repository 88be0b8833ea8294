/**
 * SHA-256 behind a one-function seam. The default is @noble/hashes, which runs anywhere
 * (browser, Node, workers); servers call `installNodeCrypto()` (./node.ts) to swap in node:crypto,
 * which is about 1.7× faster on the 65-byte inputs of Merkle interior nodes.
 *
 * `sha256` is the hot path of every proof and tree hash, so it is a plain call through one
 * module-level binding: no options, no copies, no validation beyond what the implementation does.
 */
import { sha256 as nobleSha256Impl } from "@noble/hashes/sha2.js";

/** Returns a fresh 32-byte array (on a plain ArrayBuffer, so it can go straight to WebCrypto). */
export type Sha256Function = (data: Uint8Array) => Uint8Array<ArrayBuffer>;

/** The portable default implementation, exported so benchmarks and tests can compare backends. */
export const nobleSha256: Sha256Function = nobleSha256Impl;

let impl: Sha256Function = nobleSha256;

/** SHA-256 of `data`: 32 bytes, owned by the caller. */
export function sha256(data: Uint8Array): Uint8Array<ArrayBuffer> {
  return impl(data);
}

/** Replaces the SHA-256 implementation for the whole process (or page). */
export function useSha256(implementation: Sha256Function): void {
  impl = implementation;
}
