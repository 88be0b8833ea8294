import { describe, expect, it } from "vitest";
import { errorCode } from "../../test/support/error-code.js";
import { leafHash, rootOf } from "./rfc6962.js";
import {
  decodeEntryBundle,
  encodeEntryBundle,
  entriesPath,
  fullTileCount,
  MAX_ENTRY_SIZE,
  parseTilePath,
  partialWidth,
  tileForNode,
  tileNodeHash,
  tilePath,
  tileWidth,
} from "./tiles.js";

describe("tile paths", () => {
  it("writes indices in x-prefixed 3-digit groups, width only when partial", () => {
    expect(tilePath(0, 1234067)).toBe("tile/0/x001/x234/067");
    expect(tilePath(2, 0, 17)).toBe("tile/2/000.p/17");
    expect(tilePath(1, 1000)).toBe("tile/1/x001/000");
    expect(entriesPath(5, 256)).toBe("tile/entries/005");
    expect(entriesPath(999, 3)).toBe("tile/entries/999.p/3");
  });

  it("parses what it writes", () => {
    for (const [level, index, width] of [
      [0, 0, 256],
      [3, 1234067, 1],
      [63, 999, 255],
      [1, 2 ** 53 - 1, 256],
    ] as const) {
      expect(parseTilePath(tilePath(level, index, width))).toEqual({
        kind: "hash",
        level,
        index,
        width,
      });
      expect(parseTilePath(entriesPath(index, width))).toEqual({ kind: "entries", index, width });
    }
  });

  it("refuses every non-canonical spelling with a sentence", () => {
    for (const bad of [
      "tile/0/1",
      "tile/0/0001",
      "tile/0/x000/001",
      "tile/0/001/x234",
      "tile/0/x1/234",
      "tile/0/000.p/256",
      "tile/0/000.p/0",
      "tile/0/000.p/007",
      "tile/0/000.p/300",
      "tile/0/000.p",
      "tile/64/000",
      "tile/01/000",
      "tile/-1/000",
      "tile/entries/12a",
      "tile/entries",
      "tiles/0/000",
      "/tile/0/000",
      "tile/0/000/",
      "tile/0/x001/x002/x003/x004/x005/x006/007",
      "",
    ]) {
      expect(
        errorCode(() => parseTilePath(bad)),
        bad,
      ).toBe("E_TILE_PATH");
    }
    expect(() => parseTilePath("tile/0/x000/001")).toThrow(/write 001/);
    expect(errorCode(() => tilePath(64, 0))).toBe("E_TILE_PATH");
    expect(errorCode(() => tilePath(0, 0, 0))).toBe("E_TILE_PATH");
    expect(errorCode(() => entriesPath(-1))).toBe("E_TILE_PATH");
  });
});

describe("tile math", () => {
  it("counts the tiles of a tree of 70,000 as the spec does", () => {
    expect(fullTileCount(70000, 0)).toBe(273);
    expect(partialWidth(70000, 0)).toBe(112);
    expect(fullTileCount(70000, 1)).toBe(1);
    expect(partialWidth(70000, 1)).toBe(17);
    expect(partialWidth(70000, 2)).toBe(1);
    expect(partialWidth(256, 0)).toBe(0);
    expect(partialWidth(256, 1)).toBe(1);
    expect(tileWidth(70000, 0, 272)).toBe(256);
    expect(tileWidth(70000, 0, 273)).toBe(112);
    expect(tileWidth(70000, 0, 274)).toBe(0);
  });

  it("places nodes in tiles", () => {
    expect(tileForNode({ level: 0, index: 300 })).toEqual({
      tileLevel: 0,
      tileIndex: 1,
      subLevel: 0,
      subIndex: 44,
    });
    expect(tileForNode({ level: 8, index: 3 })).toEqual({
      tileLevel: 1,
      tileIndex: 0,
      subLevel: 0,
      subIndex: 3,
    });
    expect(tileForNode({ level: 3, index: 33 })).toEqual({
      tileLevel: 0,
      tileIndex: 1,
      subLevel: 3,
      subIndex: 1,
    });
  });

  it("hashes complete nodes up from a tile's hashes", () => {
    const leaves = Array.from({ length: 256 }, (_, i) => leafHash(new Uint8Array([i])));
    const tile = new Uint8Array(256 * 32);
    for (const [i, l] of leaves.entries()) tile.set(l, i * 32);
    expect(tileNodeHash(tile, 8, 0)).toEqual(rootOf(leaves));
    expect(tileNodeHash(tile, 4, 3)).toEqual(rootOf(leaves.slice(48, 64)));
    expect(errorCode(() => tileNodeHash(tile.subarray(0, 33), 0, 0))).toBe("E_TILE_MALFORMED");
  });
});

describe("entry bundles", () => {
  it("round-trips entries of every size up to the maximum", () => {
    const entries = [
      new Uint8Array(0),
      new Uint8Array([1, 2, 3]),
      new Uint8Array(MAX_ENTRY_SIZE).fill(7),
    ];
    const bytes = encodeEntryBundle(entries);
    expect(bytes.slice(0, 7)).toEqual(new Uint8Array([0, 0, 0, 3, 1, 2, 3]));
    expect(decodeEntryBundle(bytes)).toEqual(entries);
    expect(decodeEntryBundle(new Uint8Array(0))).toEqual([]);
  });

  it("refuses oversized entries, truncation and trailing bytes", () => {
    expect(errorCode(() => encodeEntryBundle([new Uint8Array(MAX_ENTRY_SIZE + 1)]))).toBe(
      "E_ENTRY_TOO_LARGE",
    );
    expect(errorCode(() => decodeEntryBundle(new Uint8Array([0, 3, 1, 2])))).toBe(
      "E_BUNDLE_MALFORMED",
    );
    expect(errorCode(() => decodeEntryBundle(new Uint8Array([0, 1, 1, 0])))).toBe(
      "E_BUNDLE_MALFORMED",
    );
  });
});
