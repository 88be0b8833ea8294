/**
 * Whether a larger tree extends a smaller one, judged from the larger tree's tiles, and the
 * split-view evidence (Decision 9) when it does not. Conclusive only when the log's own tiles
 * produce a proof that verifies into the larger checkpoint and shows a different prefix: a proof
 * that fails to verify at all proves nothing, and is reported as such.
 */
import { bytesEqual } from "../crypto/index.js";
import { isCrosscheckError } from "../errors/index.js";
import { prefixRoot, proveConsistency, type TileSource } from "../log/index.js";
import { type Checkpoint, EMPTY_ROOT, verifyConsistency } from "../merkle/index.js";
import {
  inconsistencyEvidence,
  type SplitViewEvidence,
  sameSizeEvidence,
} from "../witness/index.js";

export interface SignedCheckpoint {
  note: string;
  checkpoint: Checkpoint;
}

export type ConsistencyResult =
  | { status: "consistent" }
  | { status: "split-view"; evidence: SplitViewEvidence; reason: string }
  /** The tiles could not be read, or do not prove the larger checkpoint: nothing is proved. */
  | { status: "unproven"; reason: string };

/** Judges `small` (size ≤) against `large`, reading `large`'s tree through `tiles`. */
export async function judgeConsistency(
  small: SignedCheckpoint,
  large: SignedCheckpoint,
  tiles: TileSource | undefined,
): Promise<ConsistencyResult> {
  const a = small.checkpoint;
  const b = large.checkpoint;
  if (a.size === b.size) {
    if (bytesEqual(a.root, b.root)) return { status: "consistent" };
    return {
      status: "split-view",
      evidence: sameSizeEvidence(small.note, large.note),
      reason: `the log signed two different roots for size ${a.size}`,
    };
  }
  if (a.size > b.size) throw new Error("judgeConsistency: the smaller checkpoint comes first");
  if (a.size === 0) {
    return bytesEqual(a.root, EMPTY_ROOT)
      ? { status: "consistent" }
      : {
          status: "unproven",
          reason: "the checkpoint of size 0 has a root other than the empty tree's",
        };
  }
  if (!tiles) {
    return {
      status: "unproven",
      reason: `checkpoints of sizes ${a.size} and ${b.size} need a consistency proof from the log's tiles, and no log was given`,
    };
  }
  let proof: Uint8Array[];
  try {
    proof = await proveConsistency(tiles, a.size, b.size);
  } catch (err) {
    if (!isCrosscheckError(err)) throw err;
    return {
      status: "unproven",
      reason: `the log could not serve the tiles of its tree of size ${b.size} (${err.message})`,
    };
  }
  try {
    verifyConsistency(a.size, b.size, proof, a.root, b.root);
    return { status: "consistent" };
  } catch {
    // Not consistent as served: find out whether the tiles prove the larger tree at all.
  }
  let prefix: Uint8Array;
  try {
    prefix = await prefixRoot(tiles, a.size, b.size);
    verifyConsistency(a.size, b.size, proof, prefix, b.root);
  } catch (err) {
    if (!isCrosscheckError(err)) throw err;
    return {
      status: "unproven",
      reason: `the log's tiles do not produce a consistency proof that verifies into its checkpoint of size ${b.size}: they belong to another tree than the one that checkpoint commits to, so whether size ${b.size} extends size ${a.size} cannot be proved from this log`,
    };
  }
  if (bytesEqual(prefix, a.root)) return { status: "consistent" };
  return {
    status: "split-view",
    evidence: inconsistencyEvidence(small.note, large.note, prefix, proof),
    reason: `the log's tree of size ${b.size} does not extend the tree of size ${a.size} it also signed`,
  };
}
