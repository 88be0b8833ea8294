/**
 * Proof generation over complete-subtree nodes (transparency-dev/merkle's proof.Nodes, RFC 6962
 * §2.1.1–2.1.2 order). A proof lists, from the bottom up, the sibling of every node on the path from
 * the proven node to the root. Each sibling is a complete node except at most one, the "ephemeral"
 * node on the tree's ragged right edge: its hash is rebuilt from the complete nodes of its range,
 * which the ids list holds at [begin, end) lowest level first, folded right to left by `rehash`.
 * So a store fetches `ids` in one batch, then `rehash` computes the proof synchronously.
 *
 * A consistency proof from size1 to size2 is the inclusion proof, in the tree of size2, of the
 * largest complete node ending at size1, preceded by that node unless it is the whole size1 tree.
 */
import { CrosscheckError } from "../errors/index.js";
import { alignedRangeNodes, type NodeId } from "./node-id.js";
import { nodeHash } from "./rfc6962.js";

export interface ProofNodes {
  /** The complete nodes whose hashes the proof needs, in proof order. */
  readonly ids: NodeId[];
  /** ids[begin..end) fold into one ephemeral node; begin === end when there is none. */
  readonly begin: number;
  readonly end: number;
}

/** Nodes needed to prove that leaf `index` is in the tree of `size` leaves. */
export function inclusionNodes(index: number, size: number): ProofNodes {
  checkCount("tree size", size);
  checkCount("leaf index", index);
  if (index >= size) {
    throw new CrosscheckError(
      "E_PROOF_RANGE",
      `Leaf index ${index} is past the tree of size ${size}.`,
    );
  }
  return pathNodes(0, index, size);
}

/** Nodes needed to prove that the tree of size1 is a prefix of the tree of size2. */
export function consistencyNodes(size1: number, size2: number): ProofNodes {
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
  if (size1 === size2) return { ids: [], begin: 0, end: 0 };

  // The largest complete node ending at size1: size1 = k·2^level with k odd.
  let level = 0;
  let k = size1;
  while (k % 2 === 0) {
    k /= 2;
    level++;
  }
  const index = k - 1;
  const path = pathNodes(level, index, size2);
  if (index === 0) return path; // the node is the whole size1 tree, which the verifier knows
  const shift = path.begin < path.end ? 1 : 0;
  return {
    ids: [{ level, index }, ...path.ids],
    begin: path.begin + shift,
    end: path.end + shift,
  };
}

/** Folds the ephemeral range of `hashes` (one per `nodes.ids`, same order) into the proof. */
export function rehash(hashes: readonly Uint8Array[], nodes: ProofNodes): Uint8Array[] {
  if (hashes.length !== nodes.ids.length) {
    throw new CrosscheckError(
      "E_PROOF_MALFORMED",
      `Got ${hashes.length} node hashes for a proof that needs ${nodes.ids.length}.`,
    );
  }
  if (nodes.end - nodes.begin < 2) return hashes.slice();
  const proof = hashes.slice(0, nodes.begin);
  let ephemeral = hashes[nodes.begin] as Uint8Array;
  for (let i = nodes.begin + 1; i < nodes.end; i++) {
    ephemeral = nodeHash(hashes[i] as Uint8Array, ephemeral);
  }
  proof.push(ephemeral);
  for (let i = nodes.end; i < hashes.length; i++) proof.push(hashes[i] as Uint8Array);
  return proof;
}

/** The inclusion proof of leaf `index` in the tree of `size`, reading nodes from `nodeAt`. */
export function inclusionProof(
  index: number,
  size: number,
  nodeAt: (id: NodeId) => Uint8Array,
): Uint8Array[] {
  const nodes = inclusionNodes(index, size);
  return rehash(nodes.ids.map(nodeAt), nodes);
}

/** The consistency proof from size1 to size2, reading nodes from `nodeAt`. */
export function consistencyProof(
  size1: number,
  size2: number,
  nodeAt: (id: NodeId) => Uint8Array,
): Uint8Array[] {
  const nodes = consistencyNodes(size1, size2);
  return rehash(nodes.ids.map(nodeAt), nodes);
}

/**
 * Siblings on the path from the complete node (level, index) up to the root of the tree of `size`.
 * A left sibling is always complete; a right sibling is complete, absent (the node is promoted
 * unchanged), or partial: the ephemeral node, expanded into its complete parts lowest first.
 */
function pathNodes(level: number, index: number, size: number): ProofNodes {
  const ids: NodeId[] = [];
  let begin = 0;
  let end = 0;
  let width = 2 ** level;
  for (let i = index; !(i === 0 && width >= size); i = Math.floor(i / 2), level++, width *= 2) {
    if (i % 2 === 1) {
      ids.push({ level, index: i - 1 });
      continue;
    }
    const siblingBegin = (i + 1) * width;
    if (siblingBegin + width <= size) {
      ids.push({ level, index: i + 1 });
    } else if (siblingBegin < size) {
      const parts = alignedRangeNodes(siblingBegin, size).reverse();
      if (parts.length > 1) {
        begin = ids.length;
        end = begin + parts.length;
      }
      ids.push(...parts);
    }
  }
  return { ids, begin, end };
}

function checkCount(what: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new CrosscheckError(
      "E_PROOF_RANGE",
      `The ${what} must be a whole number from 0 to 2^53-1, got ${n}.`,
    );
  }
}
