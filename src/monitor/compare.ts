/**
 * Endpoint gossip (Decision 9): two checkpoints that endpoints saw, proved consistent or shown to
 * be a split view. Equal sizes need nothing but the log's key; different sizes need a consistency
 * proof, read from the log's tiles for the larger tree.
 */
import { CrosscheckError, isCrosscheckError } from "../errors/index.js";
import { type LogClient, openCheckpoint } from "../log/index.js";
import type { SplitViewEvidence } from "../witness/index.js";
import { judgeConsistency, type SignedCheckpoint } from "./consistency.js";

export interface CompareOptions {
  /** The log's verifier key (`name+hash+key`). */
  verifierKey: string;
  /** The log to read a consistency proof from, when the sizes differ. */
  client?: LogClient;
}

export type CompareResult =
  | { status: "consistent"; sizes: [number, number]; message: string }
  | { status: "split-view"; sizes: [number, number]; evidence: SplitViewEvidence; message: string }
  /** Nothing proved either way: `message` says precisely why. */
  | { status: "unproven"; sizes: [number, number]; message: string };

/**
 * Compares two signed checkpoint notes of one log. Both must verify with `verifierKey`
 * (`E_CHECKPOINT_*` / `E_NOTE_*` otherwise, naming which one).
 */
export async function compareCheckpoints(
  a: string,
  b: string,
  options: CompareOptions,
): Promise<CompareResult> {
  const open = (note: string, which: string): SignedCheckpoint => {
    try {
      return { note, checkpoint: openCheckpoint(note, options.verifierKey) };
    } catch (err) {
      if (!isCrosscheckError(err)) throw err;
      throw new CrosscheckError(err.code, `Checkpoint ${which}: ${err.message}`, { cause: err });
    }
  };
  const first = open(a, "A");
  const second = open(b, "B");
  const sizes: [number, number] = [first.checkpoint.size, second.checkpoint.size];
  const [small, large] =
    first.checkpoint.size <= second.checkpoint.size ? [first, second] : [second, first];
  const s = small.checkpoint.size;
  const l = large.checkpoint.size;
  if (s !== l && s > 0 && !options.client) {
    throw new CrosscheckError(
      "E_COMPARE_NEEDS_LOG",
      `The checkpoints have sizes ${sizes[0]} and ${sizes[1]}: proving them consistent needs a consistency proof from the log's tiles. Give the log's URL (--log).`,
    );
  }
  const judged = await judgeConsistency(small, large, options.client?.tileSource);
  const origin = small.checkpoint.origin;
  switch (judged.status) {
    case "consistent":
      return {
        status: "consistent",
        sizes,
        message:
          s === l
            ? `Both checkpoints are ${origin}'s tree of size ${s} with the same root: consistent.`
            : `${origin}'s tree of size ${l} extends its tree of size ${s}: consistent.`,
      };
    case "split-view":
      return {
        status: "split-view",
        sizes,
        evidence: judged.evidence,
        message: `Split view: ${judged.reason}.`,
      };
    default:
      return {
        status: "unproven",
        sizes,
        message: `Not conclusive: ${judged.reason}.`,
      };
  }
}
