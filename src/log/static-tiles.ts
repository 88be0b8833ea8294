import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseNote } from "../crypto/index.js";
import { CrosscheckError } from "../errors/index.js";
import {
  entriesPath,
  fullTileCount,
  parseCheckpoint,
  partialWidth,
  TILE_WIDTH,
  tilePath,
} from "../merkle/index.js";
import { syncDirectory, writeFileDurably } from "../store/index.js";

/** Where the bytes come from: the published tree's tiles and bundles. */
export interface TileReader {
  tile(level: number, index: number, width: number): Promise<Uint8Array>;
  entryBundle(index: number, width: number): Promise<Uint8Array>;
}

/** How long partial tiles stay after their full tile was written (the partial cache time). */
const RETIRE_AFTER_MS = 60_000;

export class StaticTiles {
  private size: number;
  private note: string | undefined;
  private latest: string | undefined;
  private running: Promise<void> | undefined;
  private readonly retired: { path: string; at: number }[] = [];

  private constructor(
    readonly dir: string,
    private readonly origin: string,
    private readonly reader: TileReader,
    private readonly warn: (message: string) => void,
    private readonly writing: () => boolean,
    existing: string | undefined,
  ) {
    this.note = existing;
    this.size = existing === undefined ? 0 : sizeOf(existing);
  }

  /**
   * Opens DIR (made if missing). A checkpoint already there must be this log's (its origin); its
   * size is how far the directory is, by the order of writes above. `writing` says whether this
   * process may write now (replicas: while it holds the sequencer lease); it is asked before
   * every file, and last right before the checkpoint is compared and renamed, so a replica that
   * lost the lease stops mid-way instead of racing the one that took it over.
   */
  static open(
    dir: string,
    origin: string,
    reader: TileReader,
    warn: (message: string) => void,
    writing: () => boolean = () => true,
  ): StaticTiles {
    mkdirSync(join(dir, "tile"), { recursive: true });
    const path = join(dir, "checkpoint");
    const existing = existsSync(path) ? readFileSync(path, "utf8") : undefined;
    if (existing !== undefined) {
      let found: string;
      try {
        found = parseCheckpoint(parseNote(existing).text).origin;
      } catch (err) {
        throw new CrosscheckError(
          "E_TILES_DIR",
          `${path} is not a checkpoint (${(err as Error).message}); give --tiles-dir an empty folder or this log's own.`,
        );
      }
      if (found !== origin) {
        throw new CrosscheckError(
          "E_TILES_DIR",
          `${dir} holds the tiles of the log ${found}, not ${origin}; give each log its own --tiles-dir.`,
        );
      }
    }
    return new StaticTiles(dir, origin, reader, warn, writing, existing);
  }

  /** Writes `note` and the data it covers, after whatever is being written now (newest wins). */
  publish(note: string): void {
    this.latest = note;
    this.running ??= this.drain();
  }

  /** Forgets what waits to be written (this replica stopped sequencing); a write under way stops at its next file. */
  stop(): void {
    this.latest = undefined;
  }

  /** Resolves once everything handed to `publish` is written (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    try {
      while (this.latest !== undefined) {
        const note = this.latest;
        this.latest = undefined;
        await this.write(note).catch((err: unknown) => {
          this.warn(`tiles directory ${this.dir}: ${(err as Error).message}`);
        });
      }
    } finally {
      this.running = undefined;
    }
  }

  private async write(note: string): Promise<void> {
    const checkpoint = parseCheckpoint(parseNote(note).text);
    if (checkpoint.origin !== this.origin) {
      throw new CrosscheckError("E_TILES_DIR", `A checkpoint of ${checkpoint.origin} was offered.`);
    }
    const size = checkpoint.size;
    if (size < this.size || note === this.note) return;
    const from = this.size;
    const touched = new Set<string>();
    for (let level = 0; Math.floor(size / TILE_WIDTH ** level) > 0; level++) {
      for (let index = fullTileCount(from, level); index < fullTileCount(size, level); index++) {
        await this.writeOnce(
          tilePath(level, index),
          () => this.reader.tile(level, index, TILE_WIDTH),
          touched,
        );
        this.retire(`${tilePath(level, index)}.p`);
        if (level === 0) {
          await this.writeOnce(
            entriesPath(index),
            () => this.reader.entryBundle(index, TILE_WIDTH),
            touched,
          );
          this.retire(`${entriesPath(index)}.p`);
        }
      }
      const width = partialWidth(size, level);
      if (width > 0) {
        const index = fullTileCount(size, level);
        await this.writeOnce(
          tilePath(level, index, width),
          () => this.reader.tile(level, index, width),
          touched,
        );
        if (level === 0) {
          await this.writeOnce(
            entriesPath(index, width),
            () => this.reader.entryBundle(index, width),
            touched,
          );
        }
      }
    }
    for (const dir of touched) syncDirectory(dir);
    // From here to the rename nothing awaits: the lease check, the comparison with what another
    // writer (a replica that sequenced before) may have written further, and the write are one
    // step of this process. Never go back.
    this.mayWrite();
    const path = join(this.dir, "checkpoint");
    const current = existsSync(path) ? readFileSync(path, "utf8") : undefined;
    if (current !== undefined && current !== this.note && sizeOf(current) > size) {
      this.note = current;
      this.size = sizeOf(current);
      return;
    }
    writeFileDurably(path, note);
    this.note = note;
    this.size = size;
    this.removeRetired();
  }

  /** Writes the file at `relative` unless it exists (every file here is written whole, once). */
  private async writeOnce(
    relative: string,
    read: () => Promise<Uint8Array>,
    touched: Set<string>,
  ): Promise<void> {
    const path = join(this.dir, relative);
    if (existsSync(path)) return;
    const data = await read();
    this.mayWrite();
    mkdirSync(dirname(path), { recursive: true });
    writeFileDurably(path, data, { syncDirectory: false });
    touched.add(dirname(path));
  }

  private mayWrite(): void {
    if (!this.writing()) {
      throw new CrosscheckError(
        "E_LOG_FENCED",
        "This replica no longer sequences the log; the one that does writes the tiles directory now.",
      );
    }
  }

  private retire(relative: string): void {
    const path = join(this.dir, relative);
    if (existsSync(path)) this.retired.push({ path, at: Date.now() });
  }

  private removeRetired(): void {
    const now = Date.now();
    while (
      this.retired.length > 0 &&
      now - (this.retired[0] as { at: number }).at > RETIRE_AFTER_MS
    ) {
      rmSync((this.retired.shift() as { path: string }).path, { recursive: true, force: true });
    }
  }
}

function sizeOf(note: string): number {
  return parseCheckpoint(parseNote(note).text).size;
}
