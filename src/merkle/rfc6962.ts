/**
 * RFC 6962 / RFC 9162 §2.1 hashing. A leaf is SHA-256(0x00 ‖ entry), an interior node is
 * SHA-256(0x01 ‖ left ‖ right), and the tree of n > 1 leaves splits at k, the largest power of two
 * smaller than n: MTH(D[n]) = node(MTH(D[0:k]), MTH(D[k:n])). The empty tree hashes to SHA-256("").
 * The prefixes keep a leaf from ever being mistaken for a node (no second-preimage trick).
 */
import { sha256 } from "../crypto/index.js";
import { CrosscheckError } from "../errors/index.js";

/** Size in bytes of every hash in the tree. */
export const HASH_SIZE = 32;

/** MTH of the empty tree: SHA-256 of the empty string. */
export const EMPTY_ROOT: Uint8Array = sha256(new Uint8Array(0));

/** SHA-256(0x00 ‖ entry). */
export function leafHash(entry: Uint8Array): Uint8Array {
  const buf = new Uint8Array(1 + entry.length);
  buf.set(entry, 1);
  return sha256(buf);
}

// nodeHash is the hot path of every proof: one buffer, reused. Safe because sha256 is synchronous
// and keeps no reference to its input.
const nodeBuffer = new Uint8Array(1 + 2 * HASH_SIZE);
nodeBuffer[0] = 0x01;

/** SHA-256(0x01 ‖ left ‖ right); both children must be 32-byte hashes. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  if (left.length !== HASH_SIZE || right.length !== HASH_SIZE) {
    throw new CrosscheckError(
      "E_PROOF_MALFORMED",
      `A Merkle node hash must be ${HASH_SIZE} bytes, got ${left.length} and ${right.length}.`,
    );
  }
  nodeBuffer.set(left, 1);
  nodeBuffer.set(right, 1 + HASH_SIZE);
  return sha256(nodeBuffer);
}

/** The Merkle tree hash of the given leaf hashes, straight from the definition. */
export function rootOf(leafHashes: readonly Uint8Array[]): Uint8Array {
  if (leafHashes.length === 0) return EMPTY_ROOT;
  return subtreeRoot(leafHashes, 0, leafHashes.length);
}

function subtreeRoot(leaves: readonly Uint8Array[], begin: number, end: number): Uint8Array {
  const n = end - begin;
  if (n === 1) return leaves[begin] as Uint8Array;
  let k = 1;
  while (k * 2 < n) k *= 2;
  return nodeHash(subtreeRoot(leaves, begin, begin + k), subtreeRoot(leaves, begin + k, end));
}
