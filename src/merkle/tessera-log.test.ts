// Agreement with the tiny log Tessera's POSIX storage wrote (../shared/vectors/tessera-log).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { toBase64, utf8Encode } from "../crypto/index.js";
import { parseCheckpoint } from "./checkpoint.js";
import { CompactRange } from "./compact.js";
import { leafHash, rootOf } from "./rfc6962.js";
import {
  decodeEntryBundle,
  encodeEntryBundle,
  entriesPath,
  tileNodeHash,
  tilePath,
} from "./tiles.js";

const LOG = new URL("../../../shared/vectors/tessera-log/", import.meta.url);
const WORDS =
  "one two three four five six seven eit nain ten ileven twelf threeten fourten fivten".split(" ");
const read = (path: string): Uint8Array => new Uint8Array(readFileSync(new URL(path, LOG)));
const leaves = WORDS.map((w) => leafHash(utf8Encode(w)));

describe("Tessera POSIX log vectors", () => {
  for (let size = 1; size <= WORDS.length; size++) {
    it(`matches the level-0 tile, entry bundle and checkpoint at size ${size}`, () => {
      const tile = read(tilePath(0, 0, size));
      expect(tile).toEqual(concat(leaves.slice(0, size)));
      const bundle = read(entriesPath(0, size));
      expect(decodeEntryBundle(bundle).map((e) => new TextDecoder().decode(e))).toEqual(
        WORDS.slice(0, size),
      );
      expect(encodeEntryBundle(WORDS.slice(0, size).map(utf8Encode))).toEqual(bundle);

      const body = new TextDecoder().decode(read(`checkpoint.${size}`)).split("\n\n")[0];
      const cp = parseCheckpoint(`${body}\n`);
      expect(cp.origin).toBe("example.com/log/testdata");
      expect(cp.size).toBe(size);
      expect(toBase64(rootOf(leaves.slice(0, size)))).toBe(toBase64(cp.root));
    });
  }

  it("has the empty root in checkpoint.0 and the final root in checkpoint", () => {
    const cp0 = parseCheckpoint(
      `${new TextDecoder().decode(read("checkpoint.0")).split("\n\n")[0]}\n`,
    );
    expect(cp0.root).toEqual(rootOf([]));
    const latest = parseCheckpoint(
      `${new TextDecoder().decode(read("checkpoint")).split("\n\n")[0]}\n`,
    );
    const range = new CompactRange();
    for (const leaf of leaves) range.append(leaf);
    expect(latest.size).toBe(15);
    expect(latest.root).toEqual(range.root());
  });

  it("computes complete nodes from the tile's hashes", () => {
    const tile = read(tilePath(0, 0, 15));
    expect(tileNodeHash(tile, 3, 0)).toEqual(rootOf(leaves.slice(0, 8)));
    expect(tileNodeHash(tile, 2, 2)).toEqual(rootOf(leaves.slice(8, 12)));
    expect(tileNodeHash(tile, 0, 14)).toEqual(leaves[14]);
    expect(() => tileNodeHash(tile, 1, 7)).toThrow(/no complete node/);
  });
});

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
