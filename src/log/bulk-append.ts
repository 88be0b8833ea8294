/**
 * Appends many new entries to a log's storage directly, in large batches: what the sequencer
 * would write for the same entries in the same order (the same right-edge classes, the same
 * `integrate` transaction with its size compare-and-set, dedup rows, tiles, bundles and signed
 * checkpoint), minus the per-entry promise and lookup that an online add needs. It is for loading
 * fixtures and imports, run while no sequencer writes to the log.
 *
 * The caller promises the entries are new and distinct: there is no dedup lookup, and a repeat
 * fails the batch on the dedup table's key, writing nothing of it.
 */
import type { NoteSigner } from "../crypto/index.js";
import { CompactRange, encodeEntryBundle, leafHash, TILE_HEIGHT } from "../merkle/index.js";
import { checkEntry, loadRightEdge, signTreeState } from "./sequencer.js";
import type { LogStorage, TreeState } from "./storage/storage.js";

export interface BulkAppendOptions {
  storage: LogStorage;
  /** The log's key: each batch ends in a checkpoint signed with it. */
  signer: NoteSigner;
  /** The entries, in log order. */
  entries: Iterable<Uint8Array>;
  /** Entries per transaction (each one a signed checkpoint). */
  batchSize?: number;
  /**
   * Publication time of each batch's checkpoint in the history; leave it out for a witnessed log,
   * whose history is what its quorum cosigns.
   */
  publishedAt?: (state: TreeState) => Date;
  /** Called after each batch commits (e.g. to have its checkpoint cosigned); awaited. */
  onBatch?: (state: TreeState) => void | Promise<void>;
}

/** Appends every entry; resolves to the final state. */
export async function bulkAppend(options: BulkAppendOptions): Promise<TreeState> {
  const { storage, signer } = options;
  const batchSize = options.batchSize ?? 65_536;
  let { state, edge, bundles } = await loadRightEdge(storage);
  const range = new CompactRange(state.size, state.peaks);
  let dedup: { leafHash: Uint8Array; index: number }[] = [];

  const commit = async () => {
    const next = signTreeState(signer, range);
    await storage.integrate({
      previousSize: state.size,
      state: next,
      dedup,
      tiles: edge.touched(),
      bundles: bundles
        .touched()
        .map((b) => ({ index: b.index, data: encodeEntryBundle(b.entries) })),
      publishedAt: options.publishedAt?.(next).toISOString(),
    });
    state = next;
    edge = edge.settled();
    bundles = bundles.settled();
    dedup = [];
    await options.onBatch?.(state);
    // A batch is seconds of synchronous work: let timers and I/O of the process run in between.
    await new Promise((resolve) => setTimeout(resolve, 0));
  };

  for (const entry of options.entries) {
    checkEntry(entry);
    const hash = leafHash(entry);
    const index = range.size;
    range.append(hash, (level, nodeIndex, node) => {
      if (level % TILE_HEIGHT === 0) edge.put(level / TILE_HEIGHT, nodeIndex, node);
    });
    bundles.put(index, entry);
    dedup.push({ leafHash: hash, index });
    if (dedup.length >= batchSize) await commit();
  }
  if (dedup.length > 0) await commit();
  return state;
}
