// Every case of transparency-dev/merkle's testdata (../shared/vectors/merkle-testdata) must give
// its expected verdict: one test per file.
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { fromBase64 } from "../crypto/index.js";
import { isCrosscheckError } from "../errors/index.js";
import {
  verifyConsistency,
  verifyInclusion,
  verifySubtreeConsistency,
  verifySubtreeInclusion,
} from "./verify.js";

const ROOT = fileURLToPath(new URL("../../../shared/vectors/merkle-testdata/", import.meta.url));

interface Case {
  desc: string;
  wantErr: boolean;
  proof: string[] | null;
  leafIdx?: number;
  treeSize?: number;
  leafHash?: string;
  root?: string;
  size1?: number;
  size2?: number;
  root1?: string;
  root2?: string;
  start?: number;
  end?: number;
  size?: number;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? walk(`${dir}${e.name}/`)
      : e.name.endsWith(".json")
        ? [`${dir}${e.name}`]
        : [],
  );
}

const b = (s: string | undefined): Uint8Array => fromBase64(s ?? "");
const n = (x: number | undefined): number => x ?? Number.NaN;

function run(kind: string, c: Case): void {
  const proof = (c.proof ?? []).map(b);
  switch (kind) {
    case "inclusion":
      verifyInclusion(b(c.leafHash), n(c.leafIdx), n(c.treeSize), proof, b(c.root));
      return;
    case "consistency":
      verifyConsistency(n(c.size1), n(c.size2), proof, b(c.root1), b(c.root2));
      return;
    case "subtreeinclusion":
      verifySubtreeInclusion(
        b(c.leafHash),
        n(c.leafIdx),
        { start: n(c.start), end: n(c.end) },
        proof,
        b(c.root),
      );
      return;
    case "subtreeconsistency":
      verifySubtreeConsistency(
        { start: n(c.start), end: n(c.end) },
        n(c.size),
        proof,
        b(c.root1),
        b(c.root2),
      );
      return;
    default:
      throw new Error(`unknown case kind ${kind}`);
  }
}

const files = walk(ROOT).sort();

describe("transparency-dev/merkle testdata", () => {
  it("has all 518 cases", () => {
    expect(files).toHaveLength(518);
  });

  for (const file of files) {
    const name = file.slice(ROOT.length);
    const kind = name.split("/")[0] as string;
    const c = JSON.parse(readFileSync(file, "utf8")) as Case;
    it(`${name}: ${c.desc} → ${c.wantErr ? "refused" : "accepted"}`, () => {
      let error: unknown;
      try {
        run(kind, c);
      } catch (err) {
        error = err;
      }
      if (c.wantErr) {
        expect(isCrosscheckError(error), String(error)).toBe(true);
      } else {
        expect(error).toBeUndefined();
      }
    });
  }
});
