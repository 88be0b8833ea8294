/**
 * One replica of a log that several `crosscheck serve` processes share through PostgreSQL
 * (issue 11). Exactly one replica sequences at a time: the holder of the lease `log:<origin>`
 * (`leader-lease.ts`). The lifecycle of an add, wherever it arrives:
 *
 * - on the lease holder: straight into its sequencer, as with one process; if the lease moves
 *   while the add waits (E_LOG_FENCED), it goes the follower's way below instead of failing.
 * - on any other replica: the entry is looked up (already in the log: answered at once), else
 *   queued in the database (`log_pending`, with a NOTIFY); the lease holder claims queued rows
 *   into its batches, and the integration that covers them deletes them in its own transaction.
 *   The adder waits until the entry's index is in the database (NOTIFY of the integration, or a
 *   poll if a notification was lost) and only then answers: acknowledged means durably integrated
 *   (Decision 25), whoever sequenced it.
 * - a lease holder that dies mid-batch: its transaction never committed, so the rows it claimed
 *   are still queued, and the next holder integrates them; an entry that did commit is found by
 *   its leaf hash and never sequenced twice.
 *
 * A replica that does not sequence follows the stored tree state on every notification, so its
 * reads (tiles, proofs) cover what the holder integrated; reads past its state refresh it first.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { CrosscheckError, isCrosscheckError } from "../errors/index.js";
import { leafHash } from "../merkle/index.js";
import type { PostgresDatabase } from "../store/index.js";
import { type Fence, LeaderLease } from "./leader-lease.js";
import { type AddResult, checkEntry, type Sequencer } from "./sequencer.js";
import type { LogEvent, LogReplication, LogStorage, TreeState } from "./storage/storage.js";

export interface ReplicaOptions {
  /** This process among the replicas; host, pid and a random part by default. */
  holder?: string;
  /** The sequencer lease's time to live without renewal (default 5 s). */
  leaseMs?: number;
  /** How long an add waits for another replica to integrate it (default 30 s). */
  addTimeoutMs?: number;
  /** How often a replica looks without being notified (lost notifications; default 1 s). */
  pollMs?: number;
  warn?: (message: string) => void;
}

export interface ReplicaHooks {
  /** This replica started or stopped sequencing the log. */
  onLeadership(leading: boolean): void;
  /** Another replica stored a newer cosigned checkpoint. */
  onCosigned(): void;
}

interface Waiter {
  resolve: (r: AddResult) => void;
  reject: (e: unknown) => void;
  timer: ReturnType<typeof setTimeout>;
}

const hexOf = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");

/** A replica's name: unique per process, and telling an operator which machine and process. */
export function replicaName(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
}

export class LogReplica {
  readonly holder: string;
  private readonly lease: LeaderLease;
  private readonly queue: LogReplication;
  private readonly addTimeoutMs: number;
  private readonly pollMs: number;
  private readonly waiting = new Map<string, { hash: Uint8Array; waiters: Waiter[] }>();
  private unlisten: (() => Promise<void>) | undefined;
  private poller: ReturnType<typeof setInterval> | undefined;
  private checking: Promise<void> | undefined;
  private checkAgain = false;
  private pulling: Promise<void> | undefined;
  private pullAgain = false;
  private refreshing: Promise<TreeState> | undefined;
  private closed = false;

  constructor(
    database: PostgresDatabase,
    private readonly storage: LogStorage,
    private readonly sequencer: Sequencer,
    private readonly maxBatch: number,
    private readonly hooks: ReplicaHooks,
    private readonly options: ReplicaOptions = {},
  ) {
    if (!storage.replication) {
      throw new CrosscheckError(
        "E_USAGE",
        "Several replicas of a log need a shared PostgreSQL database; SQLite is one process's.",
      );
    }
    this.queue = storage.replication;
    this.holder = options.holder ?? replicaName();
    this.addTimeoutMs = options.addTimeoutMs ?? 30_000;
    this.pollMs = options.pollMs ?? 1000;
    this.lease = new LeaderLease({
      database,
      name: `log:${sequencer.origin}`,
      holder: this.holder,
      ttlMs: options.leaseMs,
      warn: options.warn,
      onChange: (fence) => this.leadershipChanged(fence),
    });
  }

  /** Listens to the other replicas, then campaigns for the lease (and may win it at once). */
  async start(): Promise<void> {
    this.unlisten = await this.queue.listen((event) => this.onEvent(event));
    this.sequencer.subscribe(() => this.pull());
    this.poller = setInterval(() => {
      if (this.lease.fence) this.pull();
      if (this.waiting.size > 0) this.checkWaiters();
    }, this.pollMs);
    this.poller.unref?.();
    await this.lease.start();
  }

  /** The fence of this replica's lease, while it sequences the log. */
  fence(): Fence | undefined {
    return this.lease.fence;
  }

  get leading(): boolean {
    return this.lease.fence !== undefined;
  }

  /** Resolves once the entry is integrated and durable, whichever replica sequenced it. */
  async add(entry: Uint8Array): Promise<AddResult> {
    if (this.closed) throw closedError();
    if (this.leading) {
      try {
        return await this.sequencer.add(entry);
      } catch (err) {
        if (!isCrosscheckError(err, "E_LOG_FENCED")) throw err;
      }
    }
    return this.addThroughQueue(entry);
  }

  /** Adopts the stored tree state if it is newer (a replica that does not sequence). */
  refresh(): Promise<TreeState> {
    this.refreshing ??= (async () => {
      try {
        const state = await this.storage.readState();
        if (state) this.sequencer.follow(state);
        return this.sequencer.state;
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  /** Adds waiting in the database for the sequencing replica (for /metrics). */
  backlog(): Promise<{ entries: number; oldestSeconds: number }> {
    return this.queue.backlog();
  }

  /** Stops sequencing (the lease is released, so another replica takes over at once). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.poller) clearInterval(this.poller);
    await this.lease.close();
    await this.unlisten?.().catch(() => {});
    await this.pulling;
    await this.checking;
    for (const { waiters } of this.waiting.values()) {
      for (const w of waiters) {
        clearTimeout(w.timer);
        w.reject(closedError());
      }
    }
    this.waiting.clear();
  }

  private async addThroughQueue(entry: Uint8Array): Promise<AddResult> {
    if (this.closed) throw closedError();
    checkEntry(entry);
    const hash = leafHash(entry);
    const key = hexOf(hash);
    const known = (await this.storage.findIndexes([hash])).get(key);
    if (known !== undefined) {
      return { index: known, duplicate: true, state: await this.stateCovering(known) };
    }
    let mine: Waiter | undefined;
    const answer = new Promise<AddResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        const slot = this.waiting.get(key);
        if (slot) {
          slot.waiters = slot.waiters.filter((w) => w.timer !== timer);
          if (slot.waiters.length === 0) this.waiting.delete(key);
        }
        reject(
          new CrosscheckError(
            "E_LOG_TIMEOUT",
            `The entry is queued, but no replica integrated it within ${this.addTimeoutMs / 1000} s (is one sequencing the log?). Retry the add: it is answered from the log once integrated, never added twice.`,
          ),
        );
      }, this.addTimeoutMs);
      mine = { resolve, reject, timer };
      const slot = this.waiting.get(key) ?? { hash, waiters: [] };
      slot.waiters.push(mine);
      this.waiting.set(key, slot);
    });
    try {
      await this.queue.enqueue(entry);
    } catch (err) {
      // Only this add failed to queue; others waiting for the same entry queued it themselves.
      this.dropWaiter(key, mine as Waiter);
      (mine as Waiter).reject(err);
    }
    return answer;
  }

  /**
   * The stored state, once it covers `index` (an entry found in the log is under it). A refresh
   * already in flight may have read the state before the index was found; the one after it reads
   * again, and that read sees the integration that stored the index (state and index commit
   * together).
   */
  private async stateCovering(index: number): Promise<TreeState> {
    if (this.sequencer.state.size > index) return this.sequencer.state;
    const shared = await this.refresh();
    if (shared.size > index) return shared;
    const fresh = await this.refresh();
    if (fresh.size > index) return fresh;
    throw new CrosscheckError(
      "E_LOG_STORAGE",
      `The log's stored state (size ${fresh.size}) does not cover index ${index} found in it; retry the add.`,
    );
  }

  private dropWaiter(key: string, waiter: Waiter): void {
    clearTimeout(waiter.timer);
    const slot = this.waiting.get(key);
    if (!slot) return;
    slot.waiters = slot.waiters.filter((w) => w !== waiter);
    if (slot.waiters.length === 0) this.waiting.delete(key);
  }

  private onEvent(event: LogEvent): void {
    if (this.closed) return;
    if (event.kind === "queued") {
      this.pull();
      return;
    }
    if (event.kind === "cosigned") {
      this.hooks.onCosigned();
      return;
    }
    if (!this.leading && event.size > this.sequencer.state.size) {
      void this.refresh().catch(() => {});
    }
    if (this.waiting.size > 0) this.checkWaiters();
  }

  /** Answers queued adds whose entries are now in the log (one query for all of them). */
  private checkWaiters(): void {
    if (this.checking) {
      this.checkAgain = true;
      return;
    }
    this.checking = (async () => {
      const keys = [...this.waiting.keys()];
      const found = await this.storage.findIndexes(
        keys.map((k) => (this.waiting.get(k) as { hash: Uint8Array }).hash),
      );
      if (found.size === 0) return;
      // Read after the indexes: the state then covers every index found.
      const state = await this.stateCovering(Math.max(...found.values()));
      for (const [key, index] of found) {
        const slot = this.waiting.get(key);
        if (!slot) continue;
        this.waiting.delete(key);
        for (const w of slot.waiters) {
          clearTimeout(w.timer);
          w.resolve({ index, duplicate: false, state });
        }
      }
    })()
      .catch((err: unknown) =>
        this.options.warn?.(
          `log replica: looking up queued adds failed: ${(err as Error).message}`,
        ),
      )
      .finally(() => {
        this.checking = undefined;
        if (this.checkAgain) {
          this.checkAgain = false;
          this.checkWaiters();
        }
      });
  }

  /** The lease holder takes queued adds into its sequencer, a batch's worth at a time. */
  private pull(): void {
    if (this.closed || !this.lease.fence) return;
    if (this.pulling) {
      this.pullAgain = true;
      return;
    }
    this.pulling = (async () => {
      const room = this.maxBatch - this.sequencer.backlog;
      if (room <= 0) return; // the next integration's publish pulls again
      const rows = await this.queue.claim(room, this.sequencer.queuedInFlight);
      if (this.lease.fence) this.sequencer.addQueued(rows);
    })()
      .catch((err: unknown) =>
        this.options.warn?.(`log replica: claiming queued adds failed: ${(err as Error).message}`),
      )
      .finally(() => {
        this.pulling = undefined;
        if (this.pullAgain) {
          this.pullAgain = false;
          this.pull();
        }
      });
  }

  private leadershipChanged(fence: Fence | undefined): void {
    if (!fence) {
      this.hooks.onLeadership(false);
      return;
    }
    // Whatever the previous holder committed is in storage: start from there.
    this.sequencer.resync();
    this.pull();
    void this.refresh()
      .catch((err: unknown) =>
        this.options.warn?.(
          `log replica: reading the log's state failed: ${(err as Error).message}`,
        ),
      )
      .finally(() => {
        if (this.lease.fence === fence) this.hooks.onLeadership(true);
      });
  }
}

function closedError(): CrosscheckError {
  return new CrosscheckError("E_LOG_CLOSED", "The log is shutting down; retry the add later.");
}
