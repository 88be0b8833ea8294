/**
 * C2SP tlog-tiles layout: path math and tile contents, in one place. A tile at level L holds up to
 * 256 consecutive hashes of tree level 8·L; tile N at level L covers leaves
 * [N·256^(L+1), (N+1)·256^(L+1)). The rightmost tile of a level is partial, with
 * floor(size / 256^L) mod 256 hashes, and is never hashed into the level above. Entry bundles are the
 * level-0 tiles' entries, each as a big-endian uint16 length and its bytes.
 *
 * Paths: `tile/<L>/<N>[.p/<W>]` and `tile/entries/<N>[.p/<W>]`; N is written in 3-digit groups,
 * every group but the last prefixed with `x` (1234067 → `x001/x234/067`); `.p/<W>` appears only
 * for partial widths 1..255. Exactly one spelling of each path is accepted.
 */
import { CrosscheckError } from "../errors/index.js";
import type { NodeId } from "./node-id.js";
import { HASH_SIZE, nodeHash } from "./rfc6962.js";

export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 256;
export const MAX_TILE_LEVEL = 63;
/** The largest entry an entry bundle can hold (its length is a uint16). */
export const MAX_ENTRY_SIZE = 65535;

/** A parsed tile path. */
export type TilePath =
  | { kind: "hash"; level: number; index: number; width: number }
  | { kind: "entries"; index: number; width: number };

/** `tile/<level>/<index>[.p/<width>]`. */
export function tilePath(level: number, index: number, width: number = TILE_WIDTH): string {
  if (!Number.isInteger(level) || level < 0 || level > MAX_TILE_LEVEL) {
    throw pathError(
      `A tile level must be a whole number from 0 to ${MAX_TILE_LEVEL}, got ${level}.`,
    );
  }
  return `tile/${level}/${indexWithWidth(index, width)}`;
}

/** `tile/entries/<index>[.p/<width>]`. */
export function entriesPath(index: number, width: number = TILE_WIDTH): string {
  return `tile/entries/${indexWithWidth(index, width)}`;
}

/** Parses a tile or entry bundle path (no leading slash), accepting only the canonical spelling. */
export function parseTilePath(path: string): TilePath {
  const parts = path.split("/");
  if (parts.length < 3 || parts[0] !== "tile") {
    throw pathError(
      `"${path}" is not a tile path: it must look like tile/<L>/<N> or tile/entries/<N>.`,
    );
  }
  const head = parts[1] as string;
  let rest = parts.slice(2);
  let width = TILE_WIDTH;
  const last = rest.length - 1;
  if (rest.length >= 2 && (rest[last - 1] as string).endsWith(".p")) {
    const w = rest[last] as string;
    if (!/^[1-9][0-9]{0,2}$/.test(w) || Number(w) >= TILE_WIDTH) {
      throw pathError(
        `"${path}" has partial width "${w}"; it must be 1 to ${TILE_WIDTH - 1} without leading zeros.`,
      );
    }
    width = Number(w);
    rest = rest.slice(0, last);
    rest[last - 1] = (rest[last - 1] as string).slice(0, -2);
  }
  const index = parseIndex(path, rest);
  if (head === "entries") return { kind: "entries", index, width };
  if (!/^(0|[1-9][0-9]?)$/.test(head) || Number(head) > MAX_TILE_LEVEL) {
    throw pathError(
      `"${path}" has tile level "${head}"; it must be 0 to ${MAX_TILE_LEVEL} without leading zeros.`,
    );
  }
  return { kind: "hash", level: Number(head), index, width };
}

/** Number of full tiles at `level` in a tree of `size`. */
export function fullTileCount(size: number, level: number): number {
  return Math.floor(size / TILE_WIDTH ** (level + 1));
}

/** Width of the partial tile at `level` in a tree of `size`; 0 when that level has none. */
export function partialWidth(size: number, level: number): number {
  return Math.floor(size / TILE_WIDTH ** level) % TILE_WIDTH;
}

/** Width of tile `index` at `level` in a tree of `size`: 256, the partial width, or 0 (absent). */
export function tileWidth(size: number, level: number, index: number): number {
  const full = fullTileCount(size, level);
  if (index < full) return TILE_WIDTH;
  return index === full ? partialWidth(size, level) : 0;
}

/** Where a tree node lives: tile (tileLevel, tileIndex), at (subLevel, subIndex) inside it. */
export interface TileCoordinates {
  tileLevel: number;
  tileIndex: number;
  /** Height of the node above the tile's stored hashes, 0..7; 0 means it is stored as is. */
  subLevel: number;
  /** Index of the node among the tile's nodes of height subLevel. */
  subIndex: number;
}

/** The tile holding (or holding the children of) a node, and the node's place in it. */
export function tileForNode(id: NodeId): TileCoordinates {
  const tileLevel = Math.floor(id.level / TILE_HEIGHT);
  const subLevel = id.level % TILE_HEIGHT;
  const perTile = 2 ** (TILE_HEIGHT - subLevel);
  return {
    tileLevel,
    tileIndex: Math.floor(id.index / perTile),
    subLevel,
    subIndex: id.index % perTile,
  };
}

/**
 * The hash of the complete node at (subLevel, subIndex) inside a tile, from the tile's stored
 * hashes: subLevel 0 is a stored hash, higher levels are hashed up from 2^subLevel of them.
 */
export function tileNodeHash(tile: Uint8Array, subLevel: number, subIndex: number): Uint8Array {
  if (tile.length % HASH_SIZE !== 0) {
    throw new CrosscheckError(
      "E_TILE_MALFORMED",
      `A tile is a sequence of ${HASH_SIZE}-byte hashes; ${tile.length} bytes is not.`,
    );
  }
  if (!Number.isInteger(subLevel) || subLevel < 0 || subLevel > TILE_HEIGHT) {
    throw new CrosscheckError(
      "E_TILE_MALFORMED",
      `Sub-level ${subLevel} is not 0 to ${TILE_HEIGHT}.`,
    );
  }
  const count = 2 ** subLevel;
  const first = subIndex * count;
  if (!Number.isInteger(subIndex) || subIndex < 0 || (first + count) * HASH_SIZE > tile.length) {
    throw new CrosscheckError(
      "E_TILE_MALFORMED",
      `A tile of ${tile.length / HASH_SIZE} hashes has no complete node ${subIndex} at sub-level ${subLevel}.`,
    );
  }
  const level: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const at = (first + i) * HASH_SIZE;
    level.push(tile.subarray(at, at + HASH_SIZE));
  }
  for (let n = count; n > 1; n /= 2) {
    for (let i = 0; i < n / 2; i++) {
      level[i] = nodeHash(level[2 * i] as Uint8Array, level[2 * i + 1] as Uint8Array);
    }
  }
  return (level[0] as Uint8Array).slice();
}

/** Entry bundle bytes: each entry as a big-endian uint16 length followed by its bytes. */
export function encodeEntryBundle(entries: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const [i, entry] of entries.entries()) {
    if (entry.length > MAX_ENTRY_SIZE) {
      throw new CrosscheckError(
        "E_ENTRY_TOO_LARGE",
        `Entry ${i} is ${entry.length} bytes; an entry bundle holds at most ${MAX_ENTRY_SIZE}.`,
      );
    }
    total += 2 + entry.length;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const entry of entries) {
    out[at] = entry.length >>> 8;
    out[at + 1] = entry.length & 0xff;
    out.set(entry, at + 2);
    at += 2 + entry.length;
  }
  return out;
}

/** The entries of an entry bundle; truncation or trailing bytes are `E_BUNDLE_MALFORMED`. */
export function decodeEntryBundle(bytes: Uint8Array): Uint8Array[] {
  const entries: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + 2 > bytes.length) {
      throw bundleError(`The bundle ends inside the length of entry ${entries.length}.`);
    }
    const length = ((bytes[at] as number) << 8) | (bytes[at + 1] as number);
    if (at + 2 + length > bytes.length) {
      throw bundleError(
        `Entry ${entries.length} claims ${length} bytes, but only ${bytes.length - at - 2} remain.`,
      );
    }
    entries.push(bytes.slice(at + 2, at + 2 + length));
    at += 2 + length;
  }
  return entries;
}

function indexWithWidth(index: number, width: number): string {
  if (!Number.isSafeInteger(index) || index < 0) {
    throw pathError(`A tile index must be a whole number from 0 to 2^53-1, got ${index}.`);
  }
  if (!Number.isInteger(width) || width < 1 || width > TILE_WIDTH) {
    throw pathError(`A tile width must be 1 to ${TILE_WIDTH}, got ${width}.`);
  }
  const n = encodeIndex(index);
  return width === TILE_WIDTH ? n : `${n}.p/${width}`;
}

function encodeIndex(index: number): string {
  let digits = String(index);
  digits = digits.padStart(Math.ceil(digits.length / 3) * 3, "0");
  const groups: string[] = [];
  for (let i = 0; i < digits.length; i += 3) groups.push(digits.slice(i, i + 3));
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join("/");
}

function parseIndex(path: string, groups: readonly string[]): number {
  const lastGroup = groups.length - 1;
  for (const [i, group] of groups.entries()) {
    const pattern = i < lastGroup ? /^x[0-9]{3}$/ : /^[0-9]{3}$/;
    if (!pattern.test(group)) {
      throw pathError(
        `"${path}" has index part "${group}"; the index is 3-digit groups, all but the last prefixed with x.`,
      );
    }
  }
  const digits = groups.map((g) => g.replace("x", "")).join("");
  const index = Number(digits);
  if (!Number.isSafeInteger(index)) {
    throw pathError(`"${path}" has an index beyond 2^53-1.`);
  }
  const canonical = encodeIndex(index);
  if (canonical !== groups.join("/")) {
    throw pathError(`"${path}" spells index ${index} with extra zero groups; write ${canonical}.`);
  }
  return index;
}

function pathError(message: string): CrosscheckError {
  return new CrosscheckError("E_TILE_PATH", message);
}

function bundleError(message: string): CrosscheckError {
  return new CrosscheckError("E_BUNDLE_MALFORMED", message);
}
