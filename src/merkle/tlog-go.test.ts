// Byte-for-byte agreement with Go's golang.org/x/mod/sumdb/tlog (../shared/vectors/tlog-go.json).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fromBase64, toBase64 } from "../crypto/index.js";
import { CompactRange } from "./compact.js";
import type { NodeId } from "./node-id.js";
import { consistencyProof, inclusionProof } from "./proof.js";
import { leafHash, rootOf } from "./rfc6962.js";
import { verifyConsistency, verifyInclusion } from "./verify.js";

interface Vectors {
  entries: { data_b64: string; leaf_hash_b64: string }[];
  roots: { size: number; root_b64: string }[];
  inclusion: { size: number; index: number; proof_b64: string[] }[];
  consistency: { old_size: number; new_size: number; proof_b64: string[] }[];
}

const vectors = JSON.parse(
  readFileSync(new URL("../../../shared/vectors/tlog-go.json", import.meta.url), "utf8"),
) as Vectors;

// Build the whole tree once, recording every complete node as the log would see it.
const nodes = new Map<string, Uint8Array>();
const leaves: Uint8Array[] = [];
const rootsBySize = new Map<number, string>();
const range = new CompactRange();
for (const entry of vectors.entries) {
  const leaf = leafHash(fromBase64(entry.data_b64));
  leaves.push(leaf);
  range.append(leaf, (level, index, hash) => nodes.set(`${level}/${index}`, hash));
  rootsBySize.set(range.size, toBase64(range.root()));
}
const nodeAt = (id: NodeId): Uint8Array => {
  const hash = nodes.get(`${id.level}/${id.index}`);
  if (hash === undefined) throw new Error(`node ${id.level}/${id.index} was never created`);
  return hash;
};
const rootAt = (size: number): Uint8Array => fromBase64(rootsBySize.get(size) ?? "");

describe("Go sumdb/tlog vectors", () => {
  it("hashes every entry to Go's leaf hash", () => {
    expect(vectors.entries).toHaveLength(600);
    for (const [i, entry] of vectors.entries.entries()) {
      expect(toBase64(leaves[i] as Uint8Array), `entry ${i}`).toBe(entry.leaf_hash_b64);
    }
  });

  it("reaches Go's root at every size, by compact range and by the MTH definition", () => {
    expect(vectors.roots.length).toBeGreaterThan(0);
    for (const { size, root_b64 } of vectors.roots) {
      expect(rootsBySize.get(size), `compact range at ${size}`).toBe(root_b64);
      expect(toBase64(rootOf(leaves.slice(0, size))), `rootOf at ${size}`).toBe(root_b64);
    }
  });

  it("generates Go's inclusion proofs byte for byte, and they verify", () => {
    expect(vectors.inclusion).toHaveLength(200);
    for (const { size, index, proof_b64 } of vectors.inclusion) {
      const proof = inclusionProof(index, size, nodeAt);
      expect(proof.map(toBase64), `leaf ${index} in ${size}`).toEqual(proof_b64);
      verifyInclusion(leaves[index] as Uint8Array, index, size, proof, rootAt(size));
    }
  });

  it("generates Go's consistency proofs byte for byte, and they verify", () => {
    expect(vectors.consistency).toHaveLength(200);
    for (const { old_size, new_size, proof_b64 } of vectors.consistency) {
      const proof = consistencyProof(old_size, new_size, nodeAt);
      expect(proof.map(toBase64), `${old_size} → ${new_size}`).toEqual(proof_b64);
      verifyConsistency(old_size, new_size, proof, rootAt(old_size), rootAt(new_size));
    }
  });
});
