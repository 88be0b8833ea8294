/**
 * Pure Merkle-log formats and math: RFC 6962 hashing, proof generation and verification (including
 * subtree proofs), compact ranges, C2SP tlog-tiles paths and bundles, checkpoints and tlog-proof.
 * No I/O, no clocks: runs the same in Node and in the browser.
 */
export { type Checkpoint, formatCheckpoint, parseCheckpoint } from "./checkpoint.js";
export { CompactRange, type NodeSink } from "./compact.js";
export {
  addCosignatures,
  cosignatureMessage,
  cosignatureSigner,
  cosignatureTime,
  cosignatureVerifier,
} from "./cosignature.js";
export { alignedRangeNodes, type NodeId, nodeCoverage } from "./node-id.js";
export {
  consistencyNodes,
  consistencyProof,
  inclusionNodes,
  inclusionProof,
  type ProofNodes,
  rehash,
} from "./proof.js";
export { EMPTY_ROOT, HASH_SIZE, leafHash, nodeHash, rootOf } from "./rfc6962.js";
export {
  decodeEntryBundle,
  encodeEntryBundle,
  entriesPath,
  fullTileCount,
  MAX_ENTRY_SIZE,
  MAX_TILE_LEVEL,
  parseTilePath,
  partialWidth,
  TILE_HEIGHT,
  TILE_WIDTH,
  type TileCoordinates,
  type TilePath,
  tileForNode,
  tileNodeHash,
  tilePath,
  tileWidth,
} from "./tiles.js";
export {
  formatTlogProof,
  parseTlogProof,
  TLOG_PROOF_HEADER,
  type TlogProof,
} from "./tlog-proof.js";
export {
  isValidSubtree,
  rootFromConsistencyProof,
  rootFromInclusionProof,
  type Subtree,
  verifyConsistency,
  verifyInclusion,
  verifySubtreeConsistency,
  verifySubtreeInclusion,
} from "./verify.js";
