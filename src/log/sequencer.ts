/**
 * The append lifecycle of a log, top to bottom: accept → batch → sequence → integrate → publish.
 *
 * - accept: `add(entry)` checks the entry, hashes it, and parks it in `pending`, keyed by its leaf
 *   hash; concurrent adds of the same bytes share one slot.
 * - batch: one integration runs at a time; whatever arrived meanwhile forms the next batch (group
 *   commit: batches grow with load, latency stays one integration when idle).
 * - sequence: entries already in the log (found by leaf hash in storage) keep their index; new ones
 *   get the next indexes, in arrival order.
 * - integrate: the batch's leaves go through the right edge of the tree (CompactRange), which
 *   yields every complete node; nodes on levels 0, 8, 16, … are the hashes stored in tiles. One
 *   storage transaction compares-and-sets the size and writes state, dedup rows, tiles, bundles and
 *   the signed checkpoint.
 * - publish: only after that commit does the in-memory state move and do waiters learn their index.
 *   An index handed out is therefore durable, and a checkpoint is served only once persisted.
 *
 * If a write fails, the batch's adds are rejected and the next batch reloads state from storage
 * first: after an ambiguous commit (connection lost during COMMIT) the tree is whatever storage
 * says, never what this process guessed.
 *
 * With several replicas (`replica.ts`) only the lease holder sequences: each integration carries
 * its fencing token (`fence`), and a batch also takes in adds other replicas queued in the
 * database (`addQueued`), whose rows the integration deletes in its own transaction. A replica
 * that does not sequence follows the stored state (`follow`) and reloads it all before it leads.
 */
import { bytesEqual, type NoteSigner, signNote } from "../crypto/index.js";
import { CrosscheckError, isCrosscheckError } from "../errors/index.js";
import {
  CompactRange,
  EMPTY_ROOT,
  encodeEntryBundle,
  formatCheckpoint,
  leafHash,
  MAX_ENTRY_SIZE,
  TILE_HEIGHT,
} from "../merkle/index.js";
import type { Fence } from "./leader-lease.js";
import { EdgeTiles, EntryBundles } from "./right-edge.js";
import type { LogStorage, QueuedEntry, TreeState } from "./storage/storage.js";

export interface SequencerOptions {
  storage: LogStorage;
  /** The log's key; its name is the checkpoint origin. */
  signer: NoteSigner;
  /** Most entries integrated in one transaction. */
  maxBatch?: number;
  /**
   * For a log without witnesses, whose every signed checkpoint is published as it commits: the
   * clock that stamps each one in the checkpoint history (written in the batch's transaction).
   * A witnessed log leaves it out and records what its quorum cosigned instead.
   */
  recordCheckpoints?: () => Date;
  /**
   * Several replicas: this process's lease on the log, checked in every integration transaction;
   * undefined while it does not hold it, and then it integrates nothing (E_LOG_FENCED).
   */
  fence?: () => Fence | undefined;
}

export interface AddResult {
  index: number;
  /** True when the entry was already in the log (or added twice in one batch). */
  duplicate: boolean;
  /** The state published by the integration that covered this entry. */
  state: TreeState;
}

interface Pending {
  entry: Uint8Array;
  leafHash: Uint8Array;
  waiters: { resolve: (r: AddResult) => void; reject: (e: unknown) => void }[];
  /** Rows of the replicas' queue holding these bytes (their adders wait on the database). */
  queued: number[];
}

const MAX_CONFLICT_RETRIES = 8;

const hexOf = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");

export class Sequencer {
  readonly origin: string;
  private readonly storage: LogStorage;
  private readonly signer: NoteSigner;
  private readonly maxBatch: number;
  private readonly recordCheckpoints: (() => Date) | undefined;
  private readonly fence: (() => Fence | undefined) | undefined;
  private published: TreeState;
  private edge: EdgeTiles;
  private bundles: EntryBundles;
  private pending = new Map<string, Pending>();
  /** Queue rows taken in (pending or in the batch being integrated): not to be claimed again. */
  private readonly queuedIds = new Set<number>();
  private batchSize = 0;
  private readonly listeners = new Set<(state: TreeState) => void>();
  private running: Promise<void> | undefined;
  private stale = false;
  private closed = false;

  private constructor(
    options: SequencerOptions,
    state: TreeState,
    edge: EdgeTiles,
    bundles: EntryBundles,
  ) {
    this.storage = options.storage;
    this.signer = options.signer;
    this.origin = options.signer.name;
    this.maxBatch = options.maxBatch ?? 4096;
    this.recordCheckpoints = options.recordCheckpoints;
    this.fence = options.fence;
    this.published = state;
    this.edge = edge;
    this.bundles = bundles;
  }

  /** Loads the log's state and right edge from storage; the storage must be bound already. */
  static async start(options: SequencerOptions): Promise<Sequencer> {
    const { state, edge, bundles } = await loadRightEdge(options.storage);
    return new Sequencer(options, state, edge, bundles);
  }

  /** The newest integrated state: its checkpoint is what `/checkpoint` serves. */
  get state(): TreeState {
    return this.published;
  }

  /**
   * The first `width` hashes of a tile at the published right edge, from memory; undefined when
   * the tile is not there (full, or older), and it must be read from storage.
   */
  edgeTile(level: number, index: number, width: number): Uint8Array | undefined {
    return this.edge.read(level, index, width);
  }

  /** Calls `listener` with every newly published state (e.g. to ask witnesses to cosign it). */
  subscribe(listener: (state: TreeState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once the entry is integrated and durable, with its index. */
  add(entry: Uint8Array): Promise<AddResult> {
    if (this.closed) {
      return Promise.reject(
        new CrosscheckError("E_LOG_CLOSED", "The log is shutting down; retry the add later."),
      );
    }
    checkEntry(entry);
    const hash = leafHash(entry);
    const key = hexOf(hash);
    return new Promise<AddResult>((resolve, reject) => {
      const slot = this.pending.get(key);
      if (slot) slot.waiters.push({ resolve, reject });
      else
        this.pending.set(key, {
          entry,
          leafHash: hash,
          waiters: [{ resolve, reject }],
          queued: [],
        });
      this.running ??= this.drain();
    });
  }

  /**
   * Takes in adds other replicas queued in the database; their adders learn the index from the
   * database once the batch commits (which also deletes the rows).
   */
  addQueued(rows: readonly QueuedEntry[]): void {
    if (this.closed) return;
    for (const { id, entry } of rows) {
      if (this.queuedIds.has(id)) continue;
      this.queuedIds.add(id);
      const hash = leafHash(entry);
      const key = hexOf(hash);
      const slot = this.pending.get(key);
      if (slot) slot.queued.push(id);
      else this.pending.set(key, { entry, leafHash: hash, waiters: [], queued: [id] });
    }
    if (this.pending.size > 0) this.running ??= this.drain();
  }

  /** Queue rows taken in and not yet integrated or given up. */
  get queuedInFlight(): ReadonlySet<number> {
    return this.queuedIds;
  }

  /** Adds accepted here and not yet integrated (waiting, or in the batch being integrated). */
  get backlog(): number {
    return this.pending.size + this.batchSize;
  }

  /**
   * A replica that does not sequence: adopts a newer state another replica stored. The right edge
   * is left as it was (a stale edge only misses tiles, which are then read from storage), and the
   * next batch, if this replica comes to lead, reloads everything first.
   */
  follow(state: TreeState): void {
    if (state.size <= this.published.size) return;
    this.published = state;
    this.stale = true;
  }

  /** Reload everything from storage before the next batch (e.g. on becoming the lease holder). */
  resync(): void {
    this.stale = true;
  }

  /** Stops accepting adds and waits until everything accepted is integrated (or has failed). */
  async close(): Promise<void> {
    this.closed = true;
    await this.running;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.size > 0) {
        // Let the event loop take in the adds that arrived meanwhile, so they join this batch:
        // SQLite's synchronous driver would otherwise commit every request on its own.
        await new Promise<void>((resolve) => setImmediate(resolve));
        const batch: Pending[] = [];
        for (const [key, p] of this.pending) {
          batch.push(p);
          this.pending.delete(key);
          if (batch.length >= this.maxBatch) break;
        }
        this.batchSize = batch.length;
        try {
          await this.integrateOrReject(batch);
        } finally {
          this.batchSize = 0;
          // Integrated rows are gone from the queue; rows of a failed batch stay there, for
          // whichever replica sequences next to claim again.
          for (const p of batch) for (const id of p.queued) this.queuedIds.delete(id);
        }
      }
    } finally {
      this.running = undefined;
    }
  }

  private async integrateOrReject(batch: Pending[]): Promise<void> {
    try {
      if (this.stale) await this.reload();
      for (let attempt = 1; ; attempt++) {
        try {
          await this.integrate(batch);
          break;
        } catch (err) {
          // Another writer moved the log: adopt its tree and sequence this batch on top of it.
          if (!isCrosscheckError(err, "E_LOG_CONFLICT") || attempt >= MAX_CONFLICT_RETRIES)
            throw err;
          await this.reload();
        }
      }
    } catch (err) {
      this.stale = true;
      const error =
        err instanceof CrosscheckError
          ? err
          : new CrosscheckError(
              "E_LOG_STORAGE",
              `The log could not store this batch (${(err as Error).message}); nothing from it was integrated. Retry the add.`,
              { cause: err },
            );
      for (const p of batch) for (const w of p.waiters) w.reject(error);
    }
  }

  private async reload(): Promise<void> {
    const { state, edge, bundles } = await loadRightEdge(this.storage);
    this.published = state;
    this.edge = edge;
    this.bundles = bundles;
    this.stale = false;
  }

  /** The lease to present, when several replicas share the log; E_LOG_FENCED when not held. */
  private currentFence(): Fence | undefined {
    if (!this.fence) return undefined;
    const fence = this.fence();
    if (!fence) {
      throw new CrosscheckError(
        "E_LOG_FENCED",
        "This replica does not sequence the log at the moment; retry the add (another replica sequences it).",
      );
    }
    return fence;
  }

  private async integrate(batch: Pending[]): Promise<void> {
    const fence = this.currentFence();
    const known = await this.storage.findIndexes(batch.map((p) => p.leafHash));
    const previous = this.published;
    const range = new CompactRange(previous.size, previous.peaks);
    const edge = this.edge.clone();
    const bundles = this.bundles.clone();
    const dedup: { leafHash: Uint8Array; index: number }[] = [];
    const indexes: { index: number; duplicate: boolean }[] = [];

    for (const p of batch) {
      const existing = known.get(hexOf(p.leafHash));
      if (existing !== undefined) {
        indexes.push({ index: existing, duplicate: true });
        continue;
      }
      const index = range.size;
      range.append(p.leafHash, (level, nodeIndex, hash) => {
        if (level % TILE_HEIGHT === 0) edge.put(level / TILE_HEIGHT, nodeIndex, hash);
      });
      bundles.put(index, p.entry);
      dedup.push({ leafHash: p.leafHash, index });
      indexes.push({ index, duplicate: false });
    }

    let state = previous;
    const dequeued = batch.flatMap((p) => p.queued);
    if (dedup.length === 0 && dequeued.length > 0) {
      // Every queued add was in the log already: their adders find them there.
      await this.storage.replication?.drop(dequeued);
    }
    if (dedup.length > 0) {
      state = signTreeState(this.signer, range);
      await this.storage.integrate({
        previousSize: previous.size,
        state,
        dedup,
        tiles: edge.touched(),
        bundles: bundles
          .touched()
          .map((b) => ({ index: b.index, data: encodeEntryBundle(b.entries) })),
        publishedAt: this.recordCheckpoints?.().toISOString(),
        ...(fence ? { fence, dequeued } : {}),
      });
      this.published = state;
      this.edge = edge.settled();
      this.bundles = bundles.settled();
      for (const listener of this.listeners) listener(state);
    }
    batch.forEach((p, i) => {
      const r = indexes[i] as { index: number; duplicate: boolean };
      // Every waiter beyond the first on one slot added the same bytes twice in this batch.
      p.waiters.forEach((w, k) => {
        w.resolve({ ...r, duplicate: r.duplicate || k > 0, state });
      });
    });
  }
}

/** The state of the tree `range` holds, with its checkpoint signed by the log's key. */
export function signTreeState(signer: NoteSigner, range: CompactRange): TreeState {
  const root = range.root();
  const body = formatCheckpoint({ origin: signer.name, size: range.size, root, extensions: [] });
  return { size: range.size, root, peaks: range.peaks, checkpoint: signNote(body, [signer]) };
}

/** The signed empty tree: the state a new log is created with. */
export function emptyTreeState(signer: NoteSigner): TreeState {
  const body = formatCheckpoint({ origin: signer.name, size: 0, root: EMPTY_ROOT, extensions: [] });
  return { size: 0, root: EMPTY_ROOT, peaks: [], checkpoint: signNote(body, [signer]) };
}

export function checkEntry(entry: Uint8Array): void {
  if (entry.length === 0) {
    throw new CrosscheckError(
      "E_ENTRY_EMPTY",
      "The entry is empty; send the entry's bytes as the body.",
    );
  }
  if (entry.length > MAX_ENTRY_SIZE) {
    throw new CrosscheckError(
      "E_ENTRY_TOO_LARGE",
      `The entry has ${entry.length} bytes; a log entry holds at most ${MAX_ENTRY_SIZE}. Log the digest of larger documents instead.`,
    );
  }
}

/** The stored state and the partial tiles and bundle at its right edge, checked against its root. */
export async function loadRightEdge(storage: LogStorage) {
  const state = await storage.readState();
  if (!state) {
    throw new CrosscheckError(
      "E_LOG_UNBOUND",
      "The log's storage holds no log yet; bind it first.",
    );
  }
  const range = new CompactRange(state.size, state.peaks);
  if (!bytesEqual(range.root(), state.root)) {
    throw new CrosscheckError(
      "E_LOG_CORRUPT",
      `The stored right edge of the tree does not hash to the stored root at size ${state.size}; the database was changed outside the log.`,
    );
  }
  const edge = await EdgeTiles.load(state.size, (level, index) => storage.readTile(level, index));
  const bundles = await EntryBundles.load(state.size, (index) => storage.readEntryBundle(index));
  return { state, edge, bundles };
}
