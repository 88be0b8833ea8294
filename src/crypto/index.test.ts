import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

/** Every module reachable from `entry` through relative imports. */
function reachable(entry: URL, seen = new Map<string, string>()): Map<string, string> {
  if (seen.has(entry.href)) return seen;
  const source = readFileSync(entry, "utf8");
  seen.set(entry.href, source);
  for (const [, spec] of source.matchAll(/^(?:import|export)[^;]*?from\s+"([^"]+)"/gms)) {
    if (spec?.startsWith(".")) reachable(new URL(spec.replace(/\.js$/, ".ts"), entry), seen);
  }
  return seen;
}

describe("the crypto index", () => {
  it("stays browser-safe: nothing it reaches imports a node: module", () => {
    const modules = reachable(new URL("./index.ts", import.meta.url));
    expect([...modules.keys()].some((href) => href.endsWith("/note.ts"))).toBe(true);
    for (const [href, source] of modules) {
      expect(source, href).not.toMatch(/from\s+"node:/);
    }
  });
});
