/**
 * The Transparency Center portal's build: `vite build --config web/vite.config.ts` writes
 * dist/web, which `crosscheck serve` serves at `/` (src/server/portal.ts). The page imports our
 * domain code from src/ directly; the guard below keeps it to the browser-safe components, so a
 * stray import of a service (with its `node:` modules) fails the build instead of the page.
 */
import { dirname, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";

const here = dirname(fileURLToPath(import.meta.url));
const src = resolve(here, "../src");

/** What the page may load from src/: the pure domain, and the log's fetch-only client and proofs. */
const BROWSER_SAFE = [
  "errors/",
  "crypto/",
  "merkle/",
  "attest/",
  "policy/",
  "verify/",
  "log/client.ts",
  "log/proofs.ts",
];

function browserSafeOnly(): Plugin {
  return {
    name: "crosscheck-browser-safe-only",
    enforce: "pre",
    async resolveId(source, importer, options) {
      if (source.startsWith("node:")) {
        throw new Error(`${importer ?? "?"} imports ${source}; the portal runs in the browser.`);
      }
      const resolved = await this.resolve(source, importer, { ...options, skipSelf: true });
      if (!resolved) return null;
      const path = resolved.id.split("?")[0] ?? "";
      if (!path.startsWith(src + sep)) return resolved;
      const inSrc = relative(src, path).split(sep).join("/");
      if (inSrc === "crypto/node.ts" || !BROWSER_SAFE.some((p) => inSrc.startsWith(p))) {
        throw new Error(
          `${importer ?? "?"} imports src/${inSrc}, which is not browser-safe (allowed: ${BROWSER_SAFE.join(", ")}).`,
        );
      }
      return resolved;
    },
  };
}

export default defineConfig({
  root: here,
  base: "/",
  plugins: [browserSafeOnly(), react()],
  build: {
    outDir: resolve(here, "../dist/web"),
    emptyOutDir: true,
    // Hashed file names let the server cache assets immutably; no inline scripts (CSP).
    assetsDir: "assets",
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: true,
    target: "es2022",
  },
  // Same-origin API in development too: `vite --config web/vite.config.ts` next to `crosscheck serve`.
  server: {
    proxy: Object.fromEntries(
      ["/log", "/api", "/gateway/log", "/v1", "/metrics"].map((p) => [p, "http://127.0.0.1:8080"]),
    ),
  },
});
