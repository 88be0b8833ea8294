/**
 * Release versions (Decision 12): dot-separated non-negative integers without leading zeros,
 * e.g. `2026.11.22.3`, compared numerically component by component; when one is a prefix of the
 * other, the longer is newer (`1.2` < `1.2.0`). Components may exceed 2^53: without leading
 * zeros, a longer digit string is a larger number, so no arithmetic is needed.
 */
import { CrosscheckError } from "../errors/index.js";
import { VERSION_PATTERN } from "./schema.js";

const VERSION = new RegExp(VERSION_PATTERN);

export function isVersion(text: string): boolean {
  return typeof text === "string" && text.length <= 64 && VERSION.test(text);
}

/** Negative when `a` is older than `b`, zero when equal, positive when newer. */
export function compareVersions(a: string, b: string): number {
  for (const v of [a, b]) {
    if (!isVersion(v)) {
      throw new CrosscheckError(
        "E_VERSION_MALFORMED",
        `${JSON.stringify(String(v).slice(0, 80))} is not a version: expected dot-separated numbers without leading zeros, e.g. 2026.11.22.3.`,
      );
    }
  }
  const pa = a.split(".");
  const pb = b.split(".");
  const n = Math.min(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const x = pa[i] as string;
    const y = pb[i] as string;
    if (x.length !== y.length) return x.length < y.length ? -1 : 1;
    if (x !== y) return x < y ? -1 : 1;
  }
  return Math.sign(pa.length - pb.length);
}
