/**
 * The mutable right edge of a log's tiles and entry bundles: at each tile level the rightmost,
 * partial tile, and the rightmost partial entry bundle. Everything left of the edge is full and
 * immutable. A batch works on a clone, so a failed write leaves the published edge untouched.
 */
import { CrosscheckError } from "../errors/index.js";
import { decodeEntryBundle, TILE_WIDTH } from "../merkle/index.js";

const HASH = 32;

interface EdgeTile {
  level: number;
  index: number;
  width: number;
  data: Uint8Array;
}

export class EdgeTiles {
  private constructor(
    private readonly tiles: (EdgeTile | undefined)[],
    private readonly changed = new Set<EdgeTile>(),
  ) {}

  static async load(
    size: number,
    readTile: (level: number, index: number) => Promise<Uint8Array | undefined>,
  ): Promise<EdgeTiles> {
    const tiles: (EdgeTile | undefined)[] = [];
    for (let level = 0, nodes = size; nodes > 0; level++, nodes = Math.floor(nodes / TILE_WIDTH)) {
      const width = nodes % TILE_WIDTH;
      if (width === 0) continue;
      const index = Math.floor(nodes / TILE_WIDTH);
      // Storage may already hold a wider tile (another writer moved on): its prefix is ours.
      const stored = await readTile(level, index);
      if (!stored || stored.length < width * HASH) {
        throw corrupt(`tile ${level}/${index} should hold ${width} hashes at size ${size}`);
      }
      const data = new Uint8Array(TILE_WIDTH * HASH);
      data.set(stored.subarray(0, width * HASH));
      tiles[level] = { level, index, width, data };
    }
    return new EdgeTiles(tiles);
  }

  clone(): EdgeTiles {
    return new EdgeTiles(this.tiles.map((t) => t && { ...t, data: t.data.slice() }));
  }

  /** Records the hash of node `nodeIndex` on tile level `level` (tree level 8·level). */
  put(level: number, nodeIndex: number, hash: Uint8Array): void {
    const index = Math.floor(nodeIndex / TILE_WIDTH);
    const position = nodeIndex % TILE_WIDTH;
    let tile = this.tiles[level];
    if (!tile || tile.index !== index) {
      tile = { level, index, width: 0, data: new Uint8Array(TILE_WIDTH * HASH) };
      this.tiles[level] = tile;
    }
    if (position !== tile.width) {
      throw corrupt(`node ${nodeIndex} at tile level ${level} arrived out of order`);
    }
    tile.data.set(hash, position * HASH);
    tile.width++;
    this.changed.add(tile);
  }

  /** The first `width` hashes of tile (level, index) if it is the partial tile at this edge. */
  read(level: number, index: number, width: number): Uint8Array | undefined {
    const tile = this.tiles[level];
    if (!tile || tile.index !== index || tile.width < width) return undefined;
    return tile.data.subarray(0, width * HASH);
  }

  /** The tiles this batch wrote, whole: full ones for the last time, partial ones as they stand. */
  touched(): { level: number; index: number; data: Uint8Array }[] {
    return [...this.changed].map((t) => ({
      level: t.level,
      index: t.index,
      data: t.data.slice(0, t.width * HASH),
    }));
  }

  /** This edge, as the published one after its batch committed. */
  settled(): EdgeTiles {
    this.changed.clear();
    return this;
  }
}

interface EdgeBundle {
  index: number;
  entries: Uint8Array[];
}

export class EntryBundles {
  private constructor(
    private current: EdgeBundle | undefined,
    private readonly changed = new Set<EdgeBundle>(),
  ) {}

  static async load(
    size: number,
    readBundle: (index: number) => Promise<Uint8Array | undefined>,
  ): Promise<EntryBundles> {
    const width = size % TILE_WIDTH;
    if (width === 0) return new EntryBundles(undefined);
    const index = Math.floor(size / TILE_WIDTH);
    const stored = await readBundle(index);
    const entries = stored ? decodeEntryBundle(stored) : [];
    if (entries.length < width) {
      throw corrupt(`entry bundle ${index} should hold ${width} entries at size ${size}`);
    }
    return new EntryBundles({ index, entries: entries.slice(0, width) });
  }

  clone(): EntryBundles {
    return new EntryBundles(
      this.current && { ...this.current, entries: [...this.current.entries] },
    );
  }

  put(entryIndex: number, entry: Uint8Array): void {
    const index = Math.floor(entryIndex / TILE_WIDTH);
    if (!this.current || this.current.index !== index) this.current = { index, entries: [] };
    if (entryIndex % TILE_WIDTH !== this.current.entries.length) {
      throw corrupt(`entry ${entryIndex} arrived out of order`);
    }
    this.current.entries.push(entry);
    this.changed.add(this.current);
  }

  touched(): EdgeBundle[] {
    return [...this.changed];
  }

  settled(): EntryBundles {
    this.changed.clear();
    return this;
  }
}

function corrupt(what: string): CrosscheckError {
  return new CrosscheckError(
    "E_LOG_CORRUPT",
    `The log's storage is inconsistent: ${what}. The database was changed outside the log; restore it from a backup.`,
  );
}
