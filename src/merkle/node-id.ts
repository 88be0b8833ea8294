/**
 * Addresses of complete subtrees. Node (level, index) covers leaves [index·2^level,
 * (index+1)·2^level); it exists in a tree of size n once (index+1)·2^level <= n, and its hash never
 * changes after that. Leaves are level 0. Indices are plain numbers: exact up to 2^53.
 */

export interface NodeId {
  readonly level: number;
  readonly index: number;
}

/** The leaves [begin, end) covered by a node. */
export function nodeCoverage(id: NodeId): { begin: number; end: number } {
  const width = 2 ** id.level;
  return { begin: id.index * width, end: (id.index + 1) * width };
}

/**
 * The complete subtrees that make up the leaf range [begin, end), left to right, when begin is a
 * multiple of a power of two no smaller than end - begin (as at the right edge of a proof path).
 */
export function alignedRangeNodes(begin: number, end: number): NodeId[] {
  const ids: NodeId[] = [];
  let width = 1;
  let level = 0;
  while (width * 2 <= end - begin) {
    width *= 2;
    level++;
  }
  let pos = begin;
  for (; level >= 0; level--, width /= 2) {
    if (pos + width <= end) {
      ids.push({ level, index: pos / width });
      pos += width;
    }
  }
  return ids;
}
