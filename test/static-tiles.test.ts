/**
 * The log written to `--tiles-dir` and served by nginx (Debian's, started here on a free port with
 * a configuration written to a temporary folder) passes the same audits as the log served by the
 * API: our `log verify` audit (every tile, every entry re-hashed, consistency with an earlier
 * checkpoint) and the independent Go checker (Decision 30). Every file in the folder is byte for
 * byte what the API serves at that path, full tiles are written once and never again, and once the
 * log's server is stopped nginx still serves a log that passes: reads need no database.
 *
 * 66,000 entries are bulk loaded first (257 full level-0 tiles, a full level-1 tile, partials at
 * levels 0 to 2), so `log serve` catches the empty folder up at start; 300 more over HTTP then
 * arrive in many batches, filling a level-0 tile and writing partial widths as they go.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installNodeCrypto, readSignerKeyFile } from "../src/crypto/node.js";
import { auditLog, bulkAppend, LogClient, openLogStorage } from "../src/log/index.js";
import { MAX_ENTRY_SIZE } from "../src/merkle/index.js";
import { freePort, stop } from "./support/cli.js";
import { createLogStore, killAllServers, serveLog } from "./support/log-store.js";
import { nginxAvailable, startNginx } from "./support/nginx.js";
import { buildTlogcheck, tlogcheck, tlogcheckAvailable } from "./support/tlogcheck.js";

installNodeCrypto();

const BULK = 66_000;
const OVER_HTTP = 300;

/** Entry `i`: unique (its index leads), 4 to ~1,000 bytes, and every 5,000th the largest allowed. */
function entry(i: number): Uint8Array {
  const size = i % 5000 === 4999 ? MAX_ENTRY_SIZE : 4 + ((i * 7919) % 997);
  const bytes = randomBytes(size);
  bytes.writeUInt32BE(i, 0);
  return bytes;
}

/** Every file under `dir` (not the writer's temporary ones), as paths relative to it. */
function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (at: string) => {
    for (const name of readdirSync(at, { withFileTypes: true })) {
      if (name.name.startsWith(".")) continue;
      const path = join(at, name.name);
      if (name.isDirectory()) walk(path);
      else out.push(relative(dir, path));
    }
  };
  walk(dir);
  return out.sort();
}

async function bytesAt(url: string): Promise<Buffer> {
  const response = await fetch(url);
  expect(response.status, url).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

describe.runIf(nginxAvailable && tlogcheckAvailable)(
  "the log's tiles written to --tiles-dir and served by nginx",
  () => {
    const work = mkdtempSync(join(tmpdir(), "crosscheck-static-tiles-"));
    let checker: string;

    beforeAll(async () => {
      checker = await buildTlogcheck(work);
    }, 180_000);

    afterAll(async () => {
      await killAllServers();
      rmSync(work, { recursive: true, force: true });
    });

    it("pass the same audits as the API, byte for byte, and without the log's server", async () => {
      const origin = "static-tiles.test.example/log";
      const store = await createLogStore("sqlite", { origin, makeKey: true });
      const tilesDir = join(work, "tiles");
      let nginx: Awaited<ReturnType<typeof startNginx>> | undefined;
      try {
        // 1. A large log, loaded straight into storage; the server catches the folder up at start.
        const database = await store.open();
        const { storage, signer } = await openLogStorage({
          database,
          signer: readSignerKeyFile(store.keyFile),
        });
        await bulkAppend({
          storage,
          signer,
          entries: Array.from({ length: BULK }, (_, i) => entry(i)),
          batchSize: 16_500,
        });
        await database.close();
        const vkey = await store.verifierKey();
        const server = await serveLog(store, await freePort(), ["--tiles-dir", tilesDir]);
        nginx = await startNginx(tilesDir);
        const api = server.url;
        const statik = nginx.url;
        const caughtUp = async () => {
          const deadline = Date.now() + 30_000;
          const served = await new LogClient(api).checkpoint();
          while (readFileSafe(join(tilesDir, "checkpoint")) !== served) {
            if (Date.now() > deadline) throw new Error("the tiles folder did not catch up");
            await new Promise((r) => setTimeout(r, 50));
          }
          return served;
        };
        const first = await caughtUp();
        const saved = join(work, "bulk.checkpoint");
        writeFileSync(saved, first);
        const fullTile = join(tilesDir, "tile", "0", "000");
        const before = statSync(fullTile);

        // 2. The log grows over HTTP, many small batches.
        const client = new LogClient(api);
        let next = 0;
        await Promise.all(
          Array.from({ length: 16 }, async () => {
            while (next < OVER_HTTP) {
              const i = next++;
              expect((await client.add(entry(BULK + i))).duplicate).toBe(false);
            }
          }),
        );
        const grown = await caughtUp();
        expect(await (await fetch(`${statik}/checkpoint`)).text()).toBe(grown);
        // Full tiles are written once: the first one is the very same file.
        const after = statSync(fullTile);
        expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);

        // 3. The same audits, on the API and on nginx: ours (every entry re-hashed) and Go's.
        const audit = (url: string) =>
          auditLog(new LogClient(url), {
            verifierKey: vkey,
            entries: true,
            samples: 64,
            previousCheckpoint: first,
          });
        const viaApi = await audit(api);
        const viaNginx = await audit(statik);
        expect(viaNginx.size).toBe(BULK + OVER_HTTP);
        expect(viaNginx.consistentWith).toBe(BULK);
        expect(viaNginx.entriesChecked).toBe(BULK + OVER_HTTP);
        expect({ ...viaNginx, root: Buffer.from(viaNginx.root).toString("hex") }).toEqual({
          ...viaApi,
          root: Buffer.from(viaApi.root).toString("hex"),
        });
        for (const url of [api, statik]) {
          const go = await tlogcheck(checker, url, vkey, ["-old", saved, "-samples", "128"]);
          const out = `tlogcheck on ${url}:\n${go.stdout}${go.stderr}`;
          expect(go.code, out).toBe(0);
          expect(go.last, out).toContain(` size=${BULK + OVER_HTTP} `);
          expect(go.last, out).toContain(`consistent with earlier size ${BULK}`);
        }

        // 4. Every file is what the API serves at its path, and nginx serves it unchanged.
        const written = files(tilesDir);
        expect(written).toContain("checkpoint");
        expect(written).toContain("tile/entries/257");
        expect(written).toContain("tile/1/000");
        expect(written.filter((f) => f.includes(".p/")).length).toBeGreaterThan(3);
        for (const path of written) {
          const onDisk = readFileSync(join(tilesDir, path));
          const fromApi = await bytesAt(`${api}/${path}`);
          expect(fromApi.equals(onDisk), path).toBe(true);
          const fromNginx = await bytesAt(`${statik}/${path}`);
          expect(fromNginx.equals(onDisk), path).toBe(true);
        }

        // 5. The log's server stops: nginx alone still serves a log that passes.
        await stop(server.child);
        const alone = await audit(statik);
        expect(alone.size).toBe(BULK + OVER_HTTP);
        const go = await tlogcheck(checker, statik, vkey, ["-old", saved, "-samples", "16"]);
        expect(go.code, `${go.stdout}${go.stderr}`).toBe(0);
      } finally {
        await nginx?.stop();
        await killAllServers();
        await store.dispose();
      }
    }, 150_000);
  },
);

function readFileSafe(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}
