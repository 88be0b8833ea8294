import { describe, expect, it } from "vitest";
import { isCrosscheckError } from "../errors/index.js";
import { CompactRange } from "./compact.js";
import { EMPTY_ROOT, leafHash, nodeHash, rootOf } from "./rfc6962.js";

const leaves = Array.from({ length: 70 }, (_, i) => leafHash(new Uint8Array([i, i])));

describe("CompactRange", () => {
  it("has the MTH root at every size, and the empty root when empty", () => {
    const range = new CompactRange();
    expect(range.root()).toEqual(EMPTY_ROOT);
    for (let i = 0; i < leaves.length; i++) {
      range.append(leaves[i] as Uint8Array);
      expect(range.size).toBe(i + 1);
      expect(range.root()).toEqual(rootOf(leaves.slice(0, i + 1)));
    }
  });

  it("reports the leaf and every node it completes, each once", () => {
    const seen: string[] = [];
    const hashes = new Map<string, Uint8Array>();
    const range = new CompactRange();
    for (const leaf of leaves.slice(0, 8)) {
      range.append(leaf, (level, index, hash) => {
        seen.push(`${level}/${index}`);
        hashes.set(`${level}/${index}`, hash);
      });
    }
    expect(seen).toEqual([
      "0/0",
      "0/1",
      "1/0",
      "0/2",
      "0/3",
      "1/1",
      "2/0",
      "0/4",
      "0/5",
      "1/2",
      "0/6",
      "0/7",
      "1/3",
      "2/1",
      "3/0",
    ]);
    expect(hashes.get("1/1")).toEqual(nodeHash(leaves[2] as Uint8Array, leaves[3] as Uint8Array));
    expect(hashes.get("3/0")).toEqual(rootOf(leaves.slice(0, 8)));
  });

  it("resumes from a size and its peaks", () => {
    const a = new CompactRange();
    for (const leaf of leaves.slice(0, 45)) a.append(leaf);
    expect(a.peaks).toHaveLength(4); // 45 = 32 + 8 + 4 + 1
    const b = new CompactRange(a.size, a.peaks);
    for (const leaf of leaves.slice(45)) {
      a.append(leaf);
      b.append(leaf);
    }
    expect(b.root()).toEqual(a.root());
    expect(b.root()).toEqual(rootOf(leaves));
  });

  it("refuses peaks that do not match the size", () => {
    const fail = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (err) {
        return isCrosscheckError(err) ? err.code : "other";
      }
      return undefined;
    };
    expect(fail(() => new CompactRange(3, [leaves[0] as Uint8Array]))).toBe("E_COMPACT_RANGE");
    expect(fail(() => new CompactRange(1, [new Uint8Array(5)]))).toBe("E_COMPACT_RANGE");
    expect(fail(() => new CompactRange(-1))).toBe("E_COMPACT_RANGE");
    expect(fail(() => new CompactRange().append(new Uint8Array(31)))).toBe("E_COMPACT_RANGE");
  });
});
