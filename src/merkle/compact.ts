/**
 * The compact range [0, size): the Merkle mountain range of the tree's right edge. Invariant: peaks
 * hold, left to right, the roots of the complete subtrees given by the set bits of `size` from the
 * highest down, so there are popcount(size) of them. Appending a leaf pushes it as a new peak and
 * merges the two rightmost peaks while they are the same height (as in binary increment); the root
 * folds the peaks right to left. Every node the merge creates is final: it never changes again,
 * which is what lets a log write its tiles as it goes.
 */
import { CrosscheckError } from "../errors/index.js";
import { EMPTY_ROOT, HASH_SIZE, nodeHash } from "./rfc6962.js";

/** Called with each complete node as it comes into existence, leaves included. */
export type NodeSink = (level: number, index: number, hash: Uint8Array) => void;

export class CompactRange {
  #size: number;
  readonly #peaks: Uint8Array[];

  constructor(size = 0, peaks: readonly Uint8Array[] = []) {
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new CrosscheckError(
        "E_COMPACT_RANGE",
        `A tree size must be a whole number from 0 to 2^53-1, got ${size}.`,
      );
    }
    const want = popcount(size);
    if (peaks.length !== want) {
      throw new CrosscheckError(
        "E_COMPACT_RANGE",
        `A tree of size ${size} has ${want} peaks, got ${peaks.length}.`,
      );
    }
    for (const peak of peaks) {
      if (peak.length !== HASH_SIZE) {
        throw new CrosscheckError(
          "E_COMPACT_RANGE",
          `A peak hash must be ${HASH_SIZE} bytes, got ${peak.length}.`,
        );
      }
    }
    this.#size = size;
    this.#peaks = peaks.map((p) => p.slice());
  }

  /** Number of leaves appended so far. */
  get size(): number {
    return this.#size;
  }

  /** A copy of the peak hashes, highest (leftmost) first. */
  get peaks(): Uint8Array[] {
    return this.#peaks.map((p) => p.slice());
  }

  /** Appends one leaf hash; `onNode` sees the leaf and every node the merge completes. */
  append(leafHash: Uint8Array, onNode?: NodeSink): void {
    if (leafHash.length !== HASH_SIZE) {
      throw new CrosscheckError(
        "E_COMPACT_RANGE",
        `A leaf hash must be ${HASH_SIZE} bytes, got ${leafHash.length}.`,
      );
    }
    if (this.#size >= Number.MAX_SAFE_INTEGER) {
      throw new CrosscheckError("E_COMPACT_RANGE", "The tree is full at 2^53-1 leaves.");
    }
    let hash: Uint8Array = leafHash.slice();
    let index = this.#size;
    let level = 0;
    onNode?.(level, index, hash);
    // Each trailing one bit of the old size is a peak of the new node's height: merge it.
    for (let s = this.#size; s % 2 === 1; s = (s - 1) / 2) {
      hash = nodeHash(this.#peaks.pop() as Uint8Array, hash);
      index = (index - 1) / 2;
      level++;
      onNode?.(level, index, hash);
    }
    this.#peaks.push(hash);
    this.#size++;
  }

  /** The Merkle tree hash of the leaves so far; EMPTY_ROOT when there are none. */
  root(): Uint8Array {
    const peaks = this.#peaks;
    if (peaks.length === 0) return EMPTY_ROOT.slice();
    let hash = peaks[peaks.length - 1] as Uint8Array;
    for (let i = peaks.length - 2; i >= 0; i--) hash = nodeHash(peaks[i] as Uint8Array, hash);
    return hash === peaks[peaks.length - 1] ? hash.slice() : hash;
  }
}

function popcount(n: number): number {
  let count = 0;
  for (let x = n; x > 0; x = Math.floor(x / 2)) count += x % 2;
  return count;
}
