/**
 * A transparency log as a service: the sequencer for writes, and the C2SP tlog-tiles reads
 * (checkpoint, hash tiles, entry bundles) and proofs over what it has published. Reads never see a
 * tile beyond the published checkpoint, and full tiles, being immutable, are cached.
 *
 * With `replicas` (PostgreSQL), several processes serve one log and one of them sequences it
 * (`replica.ts`); with `tilesDir`, the sequencing process also writes the published log as static
 * files (`static-tiles.ts`).
 */
import { type NoteSigner, parseSignerKey } from "../crypto/index.js";
import { CrosscheckError } from "../errors/index.js";
import { parseCheckpoint, TILE_WIDTH, tileWidth } from "../merkle/index.js";
import { type Database, migrate } from "../store/index.js";
import { proveConsistency, proveInclusion, type TileSource } from "./proofs.js";
import { LogReplica, type ReplicaOptions } from "./replica.js";
import { type AddResult, emptyTreeState, Sequencer } from "./sequencer.js";
import { StaticTiles } from "./static-tiles.js";
import { openPostgresLogStorage } from "./storage/postgres.js";
import { openSqliteLogStorage } from "./storage/sqlite.js";
import type {
  CheckpointPage,
  LogStorage,
  PublishedCheckpoint,
  TreeState,
} from "./storage/storage.js";

export interface OpenLogOptions {
  database: Database;
  /** The log's private key (C2SP signer key text) or a signer; its name is the log's origin. */
  signer: NoteSigner | string;
  maxBatch?: number;
  /** Full tiles kept in memory for reads and proofs (8 KiB each). */
  tileCacheSize?: number;
  /**
   * Serve only checkpoints a witness quorum cosigned (fail closed): `/checkpoint` is the newest
   * one handed to `publishCosigned`, and nothing before the first.
   */
  witnessed?: boolean;
  /** The clock that stamps published checkpoints in the history. */
  now?: () => Date;
  /**
   * Several processes serve this log from one PostgreSQL database: one sequences it at a time
   * (a lease with a fencing token), the others queue their adds for it. Ignored on SQLite, which
   * is one process's database.
   */
  replicas?: ReplicaOptions;
  /** Also write the published log to this folder in the C2SP layout, for a static web server. */
  tilesDir?: string;
  /** Problems the log survives (a witness, the tiles directory); standard error by default. */
  warn?: (message: string) => void;
}

const HASH = 32;

export class TransparencyLog {
  readonly origin: string;
  readonly verifierKey: string;
  readonly storage: LogStorage;
  private readonly sequencer: Sequencer;
  private readonly fullTiles: TileCache;
  private readonly witnessed: boolean;
  private readonly now: () => Date;
  private cosigned: { size: number; note: string } | undefined;
  private replica: LogReplica | undefined;
  private staticTiles: StaticTiles | undefined;
  private readonly leadershipListeners = new Set<(leading: boolean) => void>();

  private constructor(
    storage: LogStorage,
    sequencer: Sequencer,
    verifierKey: string,
    cacheSize: number,
    witnessed: boolean,
    cosigned: string | undefined,
    now: () => Date,
  ) {
    this.witnessed = witnessed;
    this.now = now;
    this.cosigned = cosigned === undefined ? undefined : { size: sizeOf(cosigned), note: cosigned };
    this.storage = storage;
    this.sequencer = sequencer;
    this.origin = sequencer.origin;
    this.verifierKey = verifierKey;
    this.fullTiles = new TileCache(cacheSize);
  }

  /** Migrates the database, binds (or creates) the log named by the key, and loads its state. */
  static async open(options: OpenLogOptions): Promise<TransparencyLog> {
    const { storage, signer, verifierKey } = await openLogStorage(options);
    const now = options.now ?? (() => new Date());
    const witnessed = options.witnessed ?? false;
    const warn = options.warn ?? ((message: string) => process.stderr.write(`${message}\n`));
    const replicated = options.replicas !== undefined && options.database.kind === "postgres";
    let replica: LogReplica | undefined;
    const sequencer = await Sequencer.start({
      storage,
      signer,
      maxBatch: options.maxBatch,
      // Without witnesses every signed checkpoint is published, so it is recorded as it commits.
      recordCheckpoints: witnessed ? undefined : now,
      fence: replicated ? () => replica?.fence() : undefined,
    });
    const log = new TransparencyLog(
      storage,
      sequencer,
      verifierKey,
      options.tileCacheSize ?? 8192,
      witnessed,
      await storage.readCosigned(),
      now,
    );
    if (options.tilesDir) {
      log.staticTiles = StaticTiles.open(
        options.tilesDir,
        log.origin,
        log,
        warn,
        () => log.leading,
      );
      // Unwitnessed, every signed checkpoint is published: each goes to the directory too.
      if (!witnessed) sequencer.subscribe((state) => log.mirror(state.checkpoint));
    }
    if (replicated && options.database.kind === "postgres") {
      replica = new LogReplica(
        options.database,
        storage,
        sequencer,
        options.maxBatch ?? 4096,
        {
          onLeadership: (leading) => log.leadershipChanged(leading),
          onCosigned: () => void log.reloadCosigned().catch(() => {}),
        },
        { warn, ...options.replicas },
      );
      log.replica = replica;
      await replica.start();
    } else {
      log.leadershipChanged(true);
    }
    return log;
  }

  /**
   * Whether this process sequences the log: always with one process; with replicas, while it
   * holds the sequencer lease. Work only one replica may do (cosigning rounds, the tiles
   * directory, a gateway's audit outbox) follows it.
   */
  get leading(): boolean {
    return this.replica ? this.replica.leading : true;
  }

  /**
   * Calls `listener` with true when this process starts sequencing the log (at once if it does
   * now) and false when it stops. Returns the unsubscribe function.
   */
  onLeadership(listener: (leading: boolean) => void): () => void {
    this.leadershipListeners.add(listener);
    if (this.leading) listener(true);
    return () => this.leadershipListeners.delete(listener);
  }

  /** Adds accepted but not integrated yet, here and (replicas) queued for the sequencer. */
  async backlog(): Promise<{ entries: number; oldestSeconds: number }> {
    const queued = this.replica ? await this.replica.backlog() : { entries: 0, oldestSeconds: 0 };
    return {
      entries: queued.entries + this.sequencer.backlog,
      oldestSeconds: queued.oldestSeconds,
    };
  }

  /** Resolves once the tiles directory holds everything published so far (tests, shutdown). */
  async staticTilesIdle(): Promise<void> {
    await this.staticTiles?.idle();
  }

  private leadershipChanged(leading: boolean): void {
    if (leading) {
      // Catch the tiles directory up with what this (or the previous) sequencer published.
      const note = this.witnessed ? this.cosigned?.note : this.sequencer.state.checkpoint;
      if (note) this.mirror(note);
    } else {
      this.staticTiles?.stop();
    }
    for (const listener of this.leadershipListeners) listener(leading);
  }

  /** The sequencing replica writes the tiles directory; the others leave it to it. */
  private mirror(note: string): void {
    if (this.staticTiles && this.leading) this.staticTiles.publish(note);
  }

  /** Adopts a newer cosigned checkpoint another replica stored. */
  private async reloadCosigned(): Promise<void> {
    const note = await this.storage.readCosigned();
    if (note !== undefined) this.adoptCosigned(note);
  }

  private adoptCosigned(note: string): void {
    const size = sizeOf(note);
    if (
      !this.cosigned ||
      this.cosigned.size < size ||
      (this.cosigned.size === size && this.cosigned.note.length < note.length)
    ) {
      this.cosigned = { size, note };
    }
  }

  get state(): TreeState {
    return this.sequencer.state;
  }

  /**
   * The checkpoint to serve: the newest cosigned one when the log is witnessed (E_NOT_WITNESSED
   * before its quorum first cosigned one), else the newest signed one.
   */
  checkpoint(): string {
    if (!this.witnessed) return this.sequencer.state.checkpoint;
    if (!this.cosigned) {
      throw new CrosscheckError(
        "E_NOT_WITNESSED",
        "The log has no checkpoint cosigned by its witness quorum yet; retry shortly.",
      );
    }
    return this.cosigned.note;
  }

  /**
   * The checkpoint to serve, as `checkpoint()`; with replicas it is read from the database, so
   * a client going from one replica to another never sees the log go back.
   */
  async readCheckpoint(): Promise<string> {
    if (this.replica) {
      if (this.witnessed) await this.reloadCosigned();
      else if (!this.leading) await this.replica.refresh();
    }
    return this.checkpoint();
  }

  /** The newest signed checkpoint, witnessed or not: what witnesses are asked to cosign. */
  latestCheckpoint(): string {
    return this.sequencer.state.checkpoint;
  }

  /**
   * Records a checkpoint its witness quorum cosigned, and in the checkpoint history; an older one
   * than the current is ignored, and the current one again (the collector's retries) is no write.
   */
  async publishCosigned(note: string): Promise<void> {
    const { size, root } = checkpointOf(note);
    if (this.cosigned && (this.cosigned.size > size || this.cosigned.note === note)) return;
    await this.storage.writeCosigned({
      size,
      root,
      checkpoint: note,
      publishedAt: this.now().toISOString(),
    });
    if (!this.cosigned || this.cosigned.size <= size) this.cosigned = { size, note };
    this.mirror(note);
  }

  /**
   * Published checkpoints, newest first, from the history: what the quorum cosigned when the
   * log is witnessed, else every checkpoint it signed. Page with `before` = the last size seen.
   */
  checkpoints(page: CheckpointPage): Promise<PublishedCheckpoint[]> {
    return this.storage.readCheckpoints(page);
  }

  /** Calls `listener` with every newly published tree state. */
  subscribe(listener: (state: TreeState) => void): () => void {
    return this.sequencer.subscribe(listener);
  }

  add(entry: Uint8Array): Promise<AddResult> {
    return this.replica ? this.replica.add(entry) : this.sequencer.add(entry);
  }

  /**
   * The published size, at least `size` if the database has it: a replica that does not sequence
   * may lag the one that does by a notification, and a client may hold that one's checkpoint.
   */
  private async sizeCovering(size: number): Promise<number> {
    if (size > this.state.size && this.replica && !this.leading) await this.replica.refresh();
    return this.state.size;
  }

  /** Hash tile (level, index) at `width` (256 = full), or E_TILE_NOT_FOUND past the tree. */
  async tile(level: number, index: number, width: number): Promise<Uint8Array> {
    let size = this.state.size;
    if (width > tileWidth(size, level, index)) {
      size = await this.sizeCovering(
        index * TILE_WIDTH ** (level + 1) + width * TILE_WIDTH ** level,
      );
    }
    if (width > tileWidth(size, level, index)) throw notFound("tile", level, index, width, size);
    const cached =
      width === TILE_WIDTH
        ? this.fullTiles.get(level, index)
        : this.sequencer.edgeTile(level, index, width);
    if (cached) return cached;
    const stored = await this.storage.readTile(level, index);
    if (!stored || stored.length < width * HASH) {
      throw new CrosscheckError("E_LOG_CORRUPT", `Tile ${level}/${index} is missing from storage.`);
    }
    const data = stored.subarray(0, width * HASH);
    if (width === TILE_WIDTH) this.fullTiles.set(level, index, data);
    return data;
  }

  /** The first `width` entries of entry bundle `index`, encoded as C2SP tlog-tiles says. */
  async entryBundle(index: number, width: number): Promise<Uint8Array> {
    let size = this.state.size;
    if (width > tileWidth(size, 0, index))
      size = await this.sizeCovering(index * TILE_WIDTH + width);
    if (width > tileWidth(size, 0, index)) throw notFound("entries", 0, index, width, size);
    const stored = await this.storage.readEntryBundle(index);
    if (!stored)
      throw new CrosscheckError("E_LOG_CORRUPT", `Entry bundle ${index} is missing from storage.`);
    const prefix = prefixOfBundle(stored, width);
    if (!prefix)
      throw new CrosscheckError("E_LOG_CORRUPT", `Entry bundle ${index} is truncated in storage.`);
    return prefix;
  }

  /** Reads tiles of the published tree, for proofs. */
  readonly tileSource: TileSource = (level, index, width) => this.tile(level, index, width);

  async inclusionProof(index: number, size = this.state.size): Promise<Uint8Array[]> {
    await this.sizeCovering(size);
    this.checkSize(size);
    return proveInclusion(this.tileSource, index, size);
  }

  async consistencyProof(size1: number, size2 = this.state.size): Promise<Uint8Array[]> {
    await this.sizeCovering(size2);
    this.checkSize(size2);
    return proveConsistency(this.tileSource, size1, size2);
  }

  async close(): Promise<void> {
    // What was accepted here is integrated, and the tiles directory written, while this replica
    // still holds the lease; then the lease is released, so another replica takes over at once.
    await this.sequencer.close();
    await this.staticTiles?.idle();
    await this.replica?.close();
  }

  private checkSize(size: number): void {
    if (!Number.isSafeInteger(size) || size < 0 || size > this.state.size) {
      throw new CrosscheckError(
        "E_PROOF_RANGE",
        `The tree size ${size} is past this log's size ${this.state.size}.`,
      );
    }
  }
}

/**
 * Migrates the database and binds (or creates) the log named by the key: its storage, without a
 * sequencer. `TransparencyLog.open` starts from here; bulk loads (`bulkAppend`) write to it.
 */
export async function openLogStorage(options: Pick<OpenLogOptions, "database" | "signer">) {
  const signer =
    typeof options.signer === "string" ? parseSignerKey(options.signer) : options.signer;
  const verifierKey = "verifierKey" in signer ? String(signer.verifierKey) : "";
  if (!verifierKey) {
    throw new CrosscheckError("E_KEY_MALFORMED", "The log's signer carries no verifier key.");
  }
  await migrate(options.database);
  const bind = { origin: signer.name, verifierKey, initialState: () => emptyTreeState(signer) };
  const storage: LogStorage =
    options.database.kind === "sqlite"
      ? openSqliteLogStorage(options.database, bind)
      : await openPostgresLogStorage(options.database, bind);
  return { storage, signer, verifierKey };
}

function notFound(kind: string, level: number, index: number, width: number, size: number) {
  const what = kind === "entries" ? `entry bundle ${index}` : `tile ${level}/${index}`;
  return new CrosscheckError(
    "E_TILE_NOT_FOUND",
    `The log has no ${what} of width ${width}: its tree has ${size} entries.`,
  );
}

/** The bytes of the first `width` entries: records are length-prefixed, so walk the prefixes. */
function prefixOfBundle(bundle: Uint8Array, width: number): Uint8Array | undefined {
  let offset = 0;
  for (let i = 0; i < width; i++) {
    if (offset + 2 > bundle.length) return undefined;
    offset += 2 + (((bundle[offset] as number) << 8) | (bundle[offset + 1] as number));
  }
  return offset <= bundle.length ? bundle.subarray(0, offset) : undefined;
}

/** A small LRU of immutable full tiles. */
class TileCache {
  private readonly map = new Map<string, Uint8Array>();
  constructor(private readonly capacity: number) {}
  get(level: number, index: number): Uint8Array | undefined {
    const key = `${level}/${index}`;
    const hit = this.map.get(key);
    if (hit) {
      this.map.delete(key);
      this.map.set(key, hit);
    }
    return hit;
  }
  set(level: number, index: number, data: Uint8Array): void {
    this.map.set(`${level}/${index}`, data);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as string);
  }
}

function checkpointOf(note: string) {
  return parseCheckpoint(note.slice(0, note.indexOf("\n\n") + 1));
}

function sizeOf(note: string): number {
  return checkpointOf(note).size;
}
