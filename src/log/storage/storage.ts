/**
 * The narrow interface between the sequencer and a database: the few operations integration and
 * the read API need, nothing more (Tessera's lesson). Two implementations, SQLite and PostgreSQL,
 * pass the same suite (`storage.test.ts`).
 *
 * Invariants every implementation keeps:
 * - `integrate` is one transaction that compares-and-sets the tree size: it writes the new state
 *   (size, root, right-edge peaks, signed checkpoint), the new entries' dedup rows, and every tile
 *   and entry bundle the batch touched, or nothing at all. So a signed checkpoint is never visible
 *   for a tree whose tiles are not, and a log never signs two roots for one size (Decision 2).
 * - Tiles and bundles are stored whole. A partial one is overwritten as it grows; every narrower
 *   partial of the same tile is a prefix of the stored bytes.
 * - The checkpoint history holds one row per published size, never one per entry: a log without
 *   witnesses records it in the integration's own transaction (`publishedAt`), a witnessed log
 *   when its quorum's cosignatures are stored (`writeCosigned`). A row is only ever updated with
 *   more cosignatures on the same root; its publication time stays the first one.
 */
import { CrosscheckError } from "../../errors/index.js";
import type { Fence } from "../leader-lease.js";

export interface TreeState {
  size: number;
  root: Uint8Array;
  /** The right edge of the tree (CompactRange peaks), so a restart needs no tile reads. */
  peaks: Uint8Array[];
  /** The signed checkpoint note for this size, exactly as served. */
  checkpoint: string;
}

export interface IntegrationWrite {
  /** The size this batch was built on; the write fails with E_LOG_CONFLICT if it moved. */
  previousSize: number;
  state: TreeState;
  /** Identity of each new entry (its leaf hash) and the index it was given. */
  dedup: { leafHash: Uint8Array; index: number }[];
  tiles: { level: number; index: number; data: Uint8Array }[];
  bundles: { index: number; data: Uint8Array }[];
  /**
   * Set when the new checkpoint is published as it commits (a log without witnesses): it is then
   * recorded in the checkpoint history at this time (RFC 3339), in the same transaction.
   */
  publishedAt?: string;
  /**
   * Several replicas: the writer's lease, checked (row locked) in the same transaction; a writer
   * whose lease moved on gets E_LOG_FENCED and writes nothing.
   */
  fence?: Fence;
  /** Several replicas: queued adds (`LogQueue` rows) this batch integrates, deleted with it. */
  dequeued?: number[];
}

/** A checkpoint the log published, as its history keeps it. */
export interface PublishedCheckpoint {
  size: number;
  root: Uint8Array;
  /** The note as served: the log's signature, then its witnesses' cosignatures if witnessed. */
  checkpoint: string;
  /** When this size was first published (RFC 3339). */
  publishedAt: string;
}

/** A page of the history, newest first: sizes below `before` (all when absent), at most `limit`. */
export interface CheckpointPage {
  before?: number;
  limit: number;
}

/** An add another replica accepted, waiting in the database for the sequencing replica. */
export interface QueuedEntry {
  id: number;
  entry: Uint8Array;
}

/** What happened to a log, as the database tells every replica (PostgreSQL LISTEN/NOTIFY). */
export type LogEvent =
  | { kind: "queued" }
  | { kind: "integrated"; size: number }
  | { kind: "cosigned"; size: number };

/**
 * The shared parts several replicas of one log need (PostgreSQL only): the queue of adds for the
 * sequencing replica, and notifications of what the others did.
 */
export interface LogReplication {
  enqueue(entry: Uint8Array): Promise<number>;
  /** The oldest queued adds, up to `limit`, leaving out those already taken (`exclude`). */
  claim(limit: number, exclude: ReadonlySet<number>): Promise<QueuedEntry[]>;
  /** Deletes queued rows whose entries turned out to be in the log already. */
  drop(ids: number[]): Promise<void>;
  /** Adds waiting in the queue, and how long the oldest has waited (for /metrics). */
  backlog(): Promise<{ entries: number; oldestSeconds: number }>;
  /** Calls `onEvent` for this log's events until the returned function is called. */
  listen(onEvent: (event: LogEvent) => void): Promise<() => Promise<void>>;
}

export interface LogStorage {
  readonly backend: "sqlite" | "postgres";
  /** Present where several replicas can share the log (PostgreSQL). */
  readonly replication?: LogReplication;
  /** The log's state, or undefined before its first integration. */
  readState(): Promise<TreeState | undefined>;
  /** Indexes of entries already in the log, by hex leaf hash. */
  findIndexes(leafHashes: Uint8Array[]): Promise<Map<string, number>>;
  integrate(write: IntegrationWrite): Promise<void>;
  /** The stored bytes of a hash tile (full, or the newest partial), if any. */
  readTile(level: number, index: number): Promise<Uint8Array | undefined>;
  readEntryBundle(index: number): Promise<Uint8Array | undefined>;
  /** The newest checkpoint its witness quorum cosigned, if any. */
  readCosigned(): Promise<string | undefined>;
  /**
   * Stores a cosigned checkpoint unless one of a larger size is already stored, and records it in
   * the checkpoint history (same transaction).
   */
  writeCosigned(published: PublishedCheckpoint): Promise<void>;
  /** Published checkpoints, newest first (see `CheckpointPage`). */
  readCheckpoints(page: CheckpointPage): Promise<PublishedCheckpoint[]>;
}

export function conflict(previousSize: number): CrosscheckError {
  return new CrosscheckError(
    "E_LOG_CONFLICT",
    `The log moved past size ${previousSize} under this writer: another process writes to the same log. Run one writer per log.`,
  );
}

export function fenced(fence: Fence): CrosscheckError {
  return new CrosscheckError(
    "E_LOG_FENCED",
    `This replica no longer holds the lease ${fence.lease} (token ${fence.token}): another replica sequences the log now. Retry the add; it is forwarded to that replica.`,
  );
}

export function encodePeaks(peaks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(peaks.length * 32);
  peaks.forEach((p, i) => {
    out.set(p, i * 32);
  });
  return out;
}

export function decodePeaks(bytes: Uint8Array): Uint8Array[] {
  const peaks: Uint8Array[] = [];
  for (let off = 0; off < bytes.length; off += 32) peaks.push(bytes.slice(off, off + 32));
  return peaks;
}
