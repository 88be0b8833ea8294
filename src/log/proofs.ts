/**
 * Proofs read from tiles. The Merkle math is pure (`merkle`); this module only decides which tiles
 * hold the nodes a proof needs, fetches each once through a `TileSource` (storage on the server,
 * HTTP in a client), and hands the hashes back to the math.
 */
import {
  consistencyNodes,
  EMPTY_ROOT,
  inclusionNodes,
  type NodeId,
  nodeHash,
  rehash,
  tileForNode,
  tileNodeHash,
  tileWidth,
} from "../merkle/index.js";

/** The hashes of tile (level, index) at `width`; rejects if the tile cannot be had. */
export type TileSource = (level: number, index: number, width: number) => Promise<Uint8Array>;

/** The hash of every complete node in `ids`, each tile fetched once. */
export async function readNodeHashes(
  ids: readonly NodeId[],
  size: number,
  source: TileSource,
): Promise<Uint8Array[]> {
  const places = ids.map((id) => tileForNode(id));
  const tiles = new Map<string, Promise<Uint8Array>>();
  for (const p of places) {
    const key = `${p.tileLevel}/${p.tileIndex}`;
    if (!tiles.has(key)) {
      tiles.set(key, source(p.tileLevel, p.tileIndex, tileWidth(size, p.tileLevel, p.tileIndex)));
    }
  }
  const out: Uint8Array[] = [];
  for (const p of places) {
    const tile = await (tiles.get(`${p.tileLevel}/${p.tileIndex}`) as Promise<Uint8Array>);
    out.push(tileNodeHash(tile, p.subLevel, p.subIndex));
  }
  return out;
}

export async function proveInclusion(
  source: TileSource,
  index: number,
  size: number,
): Promise<Uint8Array[]> {
  const nodes = inclusionNodes(index, size);
  return rehash(await readNodeHashes(nodes.ids, size, source), nodes);
}

export async function proveConsistency(
  source: TileSource,
  size1: number,
  size2: number,
): Promise<Uint8Array[]> {
  const nodes = consistencyNodes(size1, size2);
  return rehash(await readNodeHashes(nodes.ids, size2, source), nodes);
}

/** The leaf hash of entry `index`, read from its level-0 tile. */
export async function readLeafHash(
  source: TileSource,
  index: number,
  size: number,
): Promise<Uint8Array> {
  const [hash] = await readNodeHashes([{ level: 0, index }], size, source);
  return hash as Uint8Array;
}

/**
 * The root of the first `size1` leaves as the tiles of the tree of `size2` hold them: the peaks of
 * [0, size1), folded right to left. Compared with a checkpoint of size `size1`, it shows whether
 * the larger tree really extends that checkpoint (split-view evidence needs exactly this).
 */
export async function prefixRoot(
  source: TileSource,
  size1: number,
  size2: number,
): Promise<Uint8Array> {
  if (size1 === 0) return EMPTY_ROOT;
  const peaks: NodeId[] = [];
  for (let level = 52, start = 0; level >= 0; level--) {
    const width = 2 ** level;
    if (start + width <= size1) {
      peaks.push({ level, index: start / width });
      start += width;
    }
  }
  const hashes = await readNodeHashes(peaks, size2, source);
  let root = hashes[hashes.length - 1] as Uint8Array;
  for (let i = hashes.length - 2; i >= 0; i--) root = nodeHash(hashes[i] as Uint8Array, root);
  return root;
}
