/**
 * Proof verification: RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency), both as special
 * cases of the subtree consistency proof of Merkle Tree Certificates (draft-davidben-tls-merkle-
 * tree-certs, appendix B; C2SP tlog-witness `sign-subtree`).
 *
 * A subtree [start, end) is valid when start < end and start is a multiple of the smallest power of
 * two >= end - start: it is then a node of the tree hash computation of any tree of size >= end
 * (complete, or a left-balanced right edge). Three numbers walk up the tree one bit per level:
 * fn = start, sn = end - 1 (the subtree's left and right edges) and tn = size - 1 (the tree's right
 * edge). The proof starts at the highest node on the subtree's right edge that is also a node of the
 * big tree (omitted when that node is the subtree itself), then gives one sibling per level until
 * tn reaches 0. Left siblings fold into both the subtree hash and the root; right siblings only into
 * the root. The recomputed subtree hash must equal the given one, the recomputed root the root.
 *
 * Inclusion of leaf i in a tree of size n is the subtree [i, i+1); consistency from size m to n is
 * the subtree [0, m). Roots are compared as bytes: a root that is not 32 bytes simply never matches.
 */
import { CrosscheckError } from "../errors/index.js";
import { EMPTY_ROOT, HASH_SIZE, nodeHash } from "./rfc6962.js";

/** The leaves [start, end) of a subtree. */
export interface Subtree {
  readonly start: number;
  readonly end: number;
}

/** True when [start, end) is a subtree that Merkle tree hashing ever computes. */
export function isValidSubtree(start: number, end: number): boolean {
  if (!isCount(start) || !isCount(end) || start >= end) return false;
  let width = 1;
  while (width < end - start) width *= 2;
  return start % width === 0;
}

/** Checks that `proof` proves leaf `index` (hashed to `leafHash`) is in the tree of `size`, `root`. */
export function verifyInclusion(
  leafHash: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  const computed = rootFromInclusionProof(leafHash, index, size, proof);
  if (!bytesEqual(computed, root)) {
    throw invalid(
      `The inclusion proof of leaf ${index} does not lead to the root of size ${size}.`,
    );
  }
}

/** The root of the tree of `size` that `proof` implies for leaf `index` hashed to `leafHash`. */
export function rootFromInclusionProof(
  leafHash: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
): Uint8Array {
  checkCount("leaf index", index);
  checkCount("tree size", size);
  if (index >= size) {
    throw new CrosscheckError(
      "E_PROOF_RANGE",
      `Leaf index ${index} is past the tree of size ${size}.`,
    );
  }
  checkHash("leaf hash", leafHash);
  return evaluate(index, index + 1, size, leafHash, proof);
}

/** Checks that `proof` shows the tree (size1, root1) is a prefix of the tree (size2, root2). */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): void {
  const computed = rootFromConsistencyProof(size1, size2, proof, root1);
  if (!bytesEqual(computed, root2)) {
    throw invalid(`The consistency proof does not lead to the root of size ${size2}.`);
  }
}

/** The root of the tree of size2 that `proof` implies, after checking it against root1. */
export function rootFromConsistencyProof(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
): Uint8Array {
  checkCount("tree size", size1);
  checkCount("tree size", size2);
  if (size1 > size2) {
    throw new CrosscheckError(
      "E_PROOF_RANGE",
      `Tree size ${size1} is larger than ${size2}; a consistency proof goes from the smaller tree.`,
    );
  }
  if (size1 === 0) {
    throw new CrosscheckError(
      "E_PROOF_RANGE",
      "A consistency proof from the empty tree proves nothing; start from size 1 or more.",
    );
  }
  return evaluate(0, size1, size2, root1, proof);
}

/** Checks that leaf `index` (hashed to `leafHash`) is in `subtree`, whose hash is `subtreeHash`. */
export function verifySubtreeInclusion(
  leafHash: Uint8Array,
  index: number,
  subtree: Subtree,
  proof: readonly Uint8Array[],
  subtreeHash: Uint8Array,
): void {
  const { start, end } = subtree;
  checkSubtree(start, end);
  checkCount("leaf index", index);
  if (index < start || index >= end) {
    throw new CrosscheckError(
      "E_PROOF_RANGE",
      `Leaf index ${index} is outside the subtree [${start}, ${end}).`,
    );
  }
  checkHash("leaf hash", leafHash);
  const computed = evaluate(index - start, index - start + 1, end - start, leafHash, proof);
  if (!bytesEqual(computed, subtreeHash)) {
    throw invalid(`The inclusion proof of leaf ${index} does not lead to the subtree's hash.`);
  }
}

/**
 * Checks that `subtree`, with hash `subtreeHash`, is part of the tree of `size` with `root`. The
 * empty subtree [k, k) is part of every tree of size >= k: its hash must be the empty root and its
 * proof empty.
 */
export function verifySubtreeConsistency(
  subtree: Subtree,
  size: number,
  proof: readonly Uint8Array[],
  subtreeHash: Uint8Array,
  root: Uint8Array,
): void {
  const { start, end } = subtree;
  checkCount("tree size", size);
  if (start === end && isCount(start)) {
    if (end > size) throw pastTree(start, end, size);
    if (proof.length !== 0) {
      throw malformed("A proof for an empty subtree must be empty.");
    }
    if (!bytesEqual(subtreeHash, EMPTY_ROOT)) {
      throw invalid("An empty subtree must have the hash of the empty tree.");
    }
    return;
  }
  checkSubtree(start, end);
  if (end > size) throw pastTree(start, end, size);
  const computed = evaluate(start, end, size, subtreeHash, proof);
  if (!bytesEqual(computed, root)) {
    throw invalid(`The subtree consistency proof does not lead to the root of size ${size}.`);
  }
}

/**
 * The heart of every verification (see the top of this file). Preconditions: [start, end) is a
 * valid subtree and end <= size. Returns the computed root after checking the computed subtree hash
 * against `node`.
 */
function evaluate(
  start: number,
  end: number,
  size: number,
  node: Uint8Array,
  proof: readonly Uint8Array[],
): Uint8Array {
  for (let i = 0; i < proof.length; i++) {
    const length = (proof[i] as Uint8Array).length;
    if (length !== HASH_SIZE) {
      throw malformed(`Proof hash ${i} is ${length} bytes; every hash must be ${HASH_SIZE}.`);
    }
  }
  let fn = start;
  let sn = end - 1;
  let tn = size - 1;
  if (sn === tn) {
    while (fn !== sn) {
      fn = half(fn);
      sn = half(sn);
      tn = half(tn);
    }
  } else {
    while (fn !== sn && sn % 2 === 1) {
      fn = half(fn);
      sn = half(sn);
      tn = half(tn);
    }
  }

  let p = 0;
  let subtreeHash = node;
  if (fn !== sn) {
    if (proof.length === 0) throw malformed("The proof is empty, but this subtree needs one.");
    subtreeHash = proof[0] as Uint8Array;
    p = 1;
  }
  let rootHash = subtreeHash;
  for (; p < proof.length; p++) {
    if (tn === 0)
      throw malformed(`The proof has ${count(proof.length)}, more than this tree needs.`);
    const sibling = proof[p] as Uint8Array;
    if (sn % 2 === 1 || sn === tn) {
      if (fn < sn) subtreeHash = nodeHash(sibling, subtreeHash);
      rootHash = nodeHash(sibling, rootHash);
      while (sn % 2 === 0) {
        fn = half(fn);
        sn = half(sn);
        tn = half(tn);
      }
    } else {
      rootHash = nodeHash(rootHash, sibling);
    }
    fn = half(fn);
    sn = half(sn);
    tn = half(tn);
  }
  if (tn !== 0)
    throw malformed(`The proof has ${count(proof.length)}, fewer than this tree needs.`);
  if (!bytesEqual(subtreeHash, node)) {
    throw invalid(`The proof does not match the hash of the leaves [${start}, ${end}).`);
  }
  return rootHash;
}

function count(hashes: number): string {
  return hashes === 1 ? "1 hash" : `${hashes} hashes`;
}

function half(n: number): number {
  return Math.floor(n / 2);
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function isCount(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

function checkCount(what: string, n: number): void {
  if (!isCount(n)) {
    throw new CrosscheckError(
      "E_PROOF_RANGE",
      `The ${what} must be a whole number from 0 to 2^53-1, got ${n}.`,
    );
  }
}

function checkSubtree(start: number, end: number): void {
  if (!isValidSubtree(start, end)) {
    throw new CrosscheckError(
      "E_PROOF_RANGE",
      `[${start}, ${end}) is not a subtree: it needs start < end, with start a multiple of the ` +
        "smallest power of two at least end - start.",
    );
  }
}

function checkHash(what: string, hash: Uint8Array): void {
  if (hash.length !== HASH_SIZE) {
    throw malformed(`The ${what} is ${hash.length} bytes; it must be ${HASH_SIZE}.`);
  }
}

function pastTree(start: number, end: number, size: number): CrosscheckError {
  return new CrosscheckError(
    "E_PROOF_RANGE",
    `The subtree [${start}, ${end}) is past the tree of size ${size}.`,
  );
}

function malformed(message: string): CrosscheckError {
  return new CrosscheckError("E_PROOF_MALFORMED", message);
}

function invalid(message: string): CrosscheckError {
  return new CrosscheckError("E_PROOF_INVALID", message);
}
