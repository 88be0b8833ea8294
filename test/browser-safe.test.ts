/**
 * The domain code runs in the browser (the Transparency Center verifies in the page): nothing that
 * a browser-facing index reaches may import a `node:` module or use Node's `Buffer`.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const BROWSER_FACES = ["crypto", "merkle", "errors", "verify", "attest", "policy"];

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

describe("browser-facing components", () => {
  it.each(BROWSER_FACES)("src/%s/index.ts reaches no node: import and no Buffer", (name) => {
    const modules = reachable(new URL(`../src/${name}/index.ts`, import.meta.url));
    expect(modules.size).toBeGreaterThan(0);
    for (const [href, source] of modules) {
      expect(source, href).not.toMatch(/from\s+"node:/);
      expect(source, href).not.toMatch(/\bBuffer\.(from|alloc|concat|isBuffer)\b/);
    }
  });
});
