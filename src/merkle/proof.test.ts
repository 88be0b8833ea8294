import { describe, expect, it } from "vitest";
import { errorCode } from "../../test/support/error-code.js";
import { CompactRange } from "./compact.js";
import type { NodeId } from "./node-id.js";
import {
  consistencyNodes,
  consistencyProof,
  inclusionNodes,
  inclusionProof,
  rehash,
} from "./proof.js";
import { leafHash, rootOf } from "./rfc6962.js";
import {
  isValidSubtree,
  rootFromInclusionProof,
  verifyConsistency,
  verifyInclusion,
  verifySubtreeConsistency,
  verifySubtreeInclusion,
} from "./verify.js";

// A deterministic generator, so a failure names a reproducible case.
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const MAX = 300;
const leaves = Array.from({ length: MAX }, (_, i) =>
  leafHash(new TextEncoder().encode(`leaf ${i}`)),
);
const nodes = new Map<string, Uint8Array>();
const roots: Uint8Array[] = [rootOf([])];
const range = new CompactRange();
for (const leaf of leaves) {
  range.append(leaf, (level, index, hash) => nodes.set(`${level}/${index}`, hash));
  roots.push(range.root());
}
const nodeAt = (id: NodeId): Uint8Array => {
  const hash = nodes.get(`${id.level}/${id.index}`);
  if (hash === undefined) throw new Error(`no node ${id.level}/${id.index}`);
  return hash;
};

function flipped(proof: readonly Uint8Array[], rnd: () => number): Uint8Array[] {
  const copy = proof.map((h) => h.slice());
  const victim = copy[Math.floor(rnd() * copy.length)] as Uint8Array;
  const bit = Math.floor(rnd() * 256);
  victim[bit >> 3] = (victim[bit >> 3] as number) ^ (1 << (bit & 7));
  return copy;
}

describe("inclusion proofs", () => {
  it("verify for every leaf of random trees up to 300, and fail after any bit flip", () => {
    const rnd = random(1);
    for (let round = 0; round < 60; round++) {
      const size = 1 + Math.floor(rnd() * MAX);
      const root = roots[size] as Uint8Array;
      for (let index = 0; index < size; index++) {
        const proof = inclusionProof(index, size, nodeAt);
        verifyInclusion(leaves[index] as Uint8Array, index, size, proof, root);
        if (proof.length > 0) {
          expect(
            errorCode(() =>
              verifyInclusion(leaves[index] as Uint8Array, index, size, flipped(proof, rnd), root),
            ),
          ).toBe("E_PROOF_INVALID");
        }
        const other = (index + 1) % size;
        if (other !== index) {
          expect(
            errorCode(() => verifyInclusion(leaves[other] as Uint8Array, index, size, proof, root)),
          ).toBe("E_PROOF_INVALID");
        }
      }
    }
  });

  it("needs exactly one hash per level and one batch of complete nodes", () => {
    const { ids, begin, end } = inclusionNodes(5, 7);
    expect(ids).toEqual([
      { level: 0, index: 4 },
      { level: 0, index: 6 },
      { level: 2, index: 0 },
    ]);
    expect([begin, end]).toEqual([0, 0]);
    const ragged = inclusionNodes(0, 7);
    // The sibling of [0,4) is the ephemeral [4,7) = [6,7) ⊕ [4,6), lowest first.
    expect(ragged.ids).toEqual([
      { level: 0, index: 1 },
      { level: 1, index: 1 },
      { level: 0, index: 6 },
      { level: 1, index: 2 },
    ]);
    expect([ragged.begin, ragged.end]).toEqual([2, 4]);
    expect(rehash(ragged.ids.map(nodeAt), ragged)).toHaveLength(3);
  });

  it("refuses a leaf past the tree with a sentence", () => {
    expect(() => inclusionNodes(10, 8)).toThrow("Leaf index 10 is past the tree of size 8.");
    expect(errorCode(() => inclusionNodes(-1, 8))).toBe("E_PROOF_RANGE");
    expect(errorCode(() => inclusionNodes(0, 0))).toBe("E_PROOF_RANGE");
    expect(errorCode(() => rootFromInclusionProof(leaves[0] as Uint8Array, 8, 8, []))).toBe(
      "E_PROOF_RANGE",
    );
  });

  it("refuses a proof that is too short or too long", () => {
    const proof = inclusionProof(3, 9, nodeAt);
    const leaf = leaves[3] as Uint8Array;
    expect(
      errorCode(() => verifyInclusion(leaf, 3, 9, proof.slice(1), roots[9] as Uint8Array)),
    ).toBe("E_PROOF_MALFORMED");
    expect(
      errorCode(() => verifyInclusion(leaf, 3, 9, [...proof, leaf], roots[9] as Uint8Array)),
    ).toBe("E_PROOF_MALFORMED");
  });
});

describe("consistency proofs", () => {
  it("verify between random sizes up to 300, and fail after any bit flip", () => {
    const rnd = random(2);
    for (let round = 0; round < 3000; round++) {
      const size2 = 1 + Math.floor(rnd() * MAX);
      const size1 = 1 + Math.floor(rnd() * size2);
      const proof = consistencyProof(size1, size2, nodeAt);
      const [root1, root2] = [roots[size1] as Uint8Array, roots[size2] as Uint8Array];
      verifyConsistency(size1, size2, proof, root1, root2);
      if (proof.length > 0) {
        expect(
          errorCode(() => verifyConsistency(size1, size2, flipped(proof, rnd), root1, root2)),
        ).toBe("E_PROOF_INVALID");
      }
      if (size1 < size2) {
        expect(errorCode(() => verifyConsistency(size1, size2, proof, root2, root2))).toBeDefined();
      }
    }
  });

  it("is empty between equal sizes and refuses to start from the empty tree", () => {
    expect(consistencyNodes(5, 5).ids).toEqual([]);
    expect(errorCode(() => consistencyNodes(0, 5))).toBe("E_PROOF_RANGE");
    expect(() => consistencyNodes(6, 5)).toThrow(/larger than 5/);
  });
});

describe("subtree proofs", () => {
  it("knows which ranges are subtrees", () => {
    expect(isValidSubtree(0, 6)).toBe(true);
    expect(isValidSubtree(8, 13)).toBe(true);
    expect(isValidSubtree(4, 7)).toBe(true);
    expect(isValidSubtree(2, 5)).toBe(false);
    expect(isValidSubtree(1, 15)).toBe(false);
    expect(isValidSubtree(3, 3)).toBe(false);
  });

  it("verify a leaf of every subtree of random trees, and the subtree in the tree", () => {
    const rnd = random(3);
    for (let round = 0; round < 300; round++) {
      const size = 1 + Math.floor(rnd() * 64);
      const end = 1 + Math.floor(rnd() * size);
      for (let start = 0; start < end; start++) {
        if (!isValidSubtree(start, end)) continue;
        const hash = rootOf(leaves.slice(start, end));
        const index = start + Math.floor(rnd() * (end - start));
        const proof = subtreeInclusionReference(index, start, end);
        verifySubtreeInclusion(leaves[index] as Uint8Array, index, { start, end }, proof, hash);
        const consistency = subtreeConsistencyReference(start, end, 0, size, true);
        verifySubtreeConsistency(
          { start, end },
          size,
          consistency,
          hash,
          roots[size] as Uint8Array,
        );
        if (consistency.length > 0) {
          expect(
            errorCode(() =>
              verifySubtreeConsistency(
                { start, end },
                size,
                flipped(consistency, rnd),
                hash,
                roots[size] as Uint8Array,
              ),
            ),
          ).toBe("E_PROOF_INVALID");
        }
      }
    }
  });
});

// Reference subtree proofs, straight from the recursive definitions (MTC draft, §4.3–4.4).
function subtreeInclusionReference(index: number, start: number, end: number): Uint8Array[] {
  if (end - start === 1) return [];
  let k = 1;
  while (k * 2 < end - start) k *= 2;
  const mid = start + k;
  return index < mid
    ? [...subtreeInclusionReference(index, start, mid), rootOf(leaves.slice(mid, end))]
    : [...subtreeInclusionReference(index, mid, end), rootOf(leaves.slice(start, mid))];
}

function subtreeConsistencyReference(
  start: number,
  end: number,
  treeStart: number,
  treeEnd: number,
  known: boolean,
): Uint8Array[] {
  if (start === treeStart && end === treeEnd)
    return known ? [] : [rootOf(leaves.slice(start, end))];
  let k = 1;
  while (k * 2 < treeEnd - treeStart) k *= 2;
  const mid = treeStart + k;
  if (end <= mid) {
    return [
      ...subtreeConsistencyReference(start, end, treeStart, mid, known),
      rootOf(leaves.slice(mid, treeEnd)),
    ];
  }
  if (start >= mid) {
    return [
      ...subtreeConsistencyReference(start, end, mid, treeEnd, known),
      rootOf(leaves.slice(treeStart, mid)),
    ];
  }
  // The subtree straddles mid: it starts at treeStart and its left part is the whole left half.
  return [
    ...subtreeConsistencyReference(mid, end, mid, treeEnd, false),
    rootOf(leaves.slice(treeStart, mid)),
  ];
}
