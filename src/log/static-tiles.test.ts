/**
 * The tiles folder (`--tiles-dir`): exactly the C2SP layout the API serves, full tiles written
 * once, the checkpoint written only after every file it covers (a write that fails half-way leaves
 * the previous checkpoint), never replaced by a smaller one, and a folder of another log refused.
 * nginx serving such a folder is test/static-tiles.test.ts.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { generateNoteKey, utf8Encode } from "../crypto/index.js";
import { installNodeCrypto } from "../crypto/node.js";
import { isCrosscheckError } from "../errors/index.js";
import { openSqlite } from "../store/index.js";
import { StaticTiles } from "./static-tiles.js";
import { TransparencyLog } from "./transparency-log.js";

installNodeCrypto();

describe("the log written to a tiles folder", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setup(options: { mirror: boolean } = { mirror: true }) {
    const dir = mkdtempSync(join(tmpdir(), "crosscheck-static-tiles-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const database = openSqlite(join(dir, "log.sqlite"));
    cleanups.push(() => database.close());
    const key = generateNoteKey("static-tiles.unit.example/log");
    const tiles = join(dir, "tiles");
    const log = await TransparencyLog.open({
      database,
      signer: key.signerKey,
      tilesDir: options.mirror ? tiles : undefined,
    });
    cleanups.push(() => log.close());
    let n = 0;
    const add = (count: number) =>
      Promise.all(Array.from({ length: count }, () => log.add(utf8Encode(`entry ${n++}`))));
    return { dir, tiles, log, add, origin: "static-tiles.unit.example/log" };
  }

  it("holds exactly what the API serves for the checkpoint it holds, full tiles written once", async () => {
    const { tiles, log, add } = await setup();
    await add(300);
    await log.staticTilesIdle();
    const firstFull = statSync(join(tiles, "tile/0/000"));
    await add(300);
    await log.staticTilesIdle();
    await add(1);
    await log.staticTilesIdle();
    expect(log.state.size).toBe(601);
    expect(readFileSync(join(tiles, "checkpoint"), "utf8")).toBe(log.checkpoint());
    const read = (path: string) => Buffer.from(readFileSync(join(tiles, path))).toString("hex");
    const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
    expect(read("tile/0/000")).toBe(hex(await log.tile(0, 0, 256)));
    expect(read("tile/0/001")).toBe(hex(await log.tile(0, 1, 256)));
    expect(read("tile/0/002.p/89")).toBe(hex(await log.tile(0, 2, 89)));
    expect(read("tile/1/000.p/2")).toBe(hex(await log.tile(1, 0, 2)));
    expect(read("tile/entries/001")).toBe(hex(await log.entryBundle(1, 256)));
    expect(read("tile/entries/002.p/89")).toBe(hex(await log.entryBundle(2, 89)));
    // Partial widths of earlier checkpoints stay while the tile is partial (C2SP).
    expect(read("tile/0/002.p/88")).toBe(hex(await log.tile(0, 2, 88)));
    const again = statSync(join(tiles, "tile/0/000"));
    expect([again.ino, again.mtimeMs]).toEqual([firstFull.ino, firstFull.mtimeMs]);
  });

  it("writes the checkpoint only after all it covers, and never goes back", async () => {
    // The log writes no folder itself here: the test drives the writers.
    const { tiles, log, add, origin } = await setup({ mirror: false });
    await add(10);
    const initial = StaticTiles.open(tiles, origin, log, () => {});
    initial.publish(log.checkpoint());
    await initial.idle();
    const before = readFileSync(join(tiles, "checkpoint"), "utf8");
    await add(500);
    // A reader that fails half-way (the database went away): the old checkpoint stays.
    let reads = 0;
    const warnings: string[] = [];
    const failing = StaticTiles.open(
      tiles,
      origin,
      {
        tile: async (l, i, w) => {
          if (++reads > 2) throw new Error("connection lost");
          return log.tile(l, i, w);
        },
        entryBundle: (i, w) => log.entryBundle(i, w),
      },
      (message) => warnings.push(message),
    );
    failing.publish(log.checkpoint());
    await failing.idle();
    expect(warnings.join()).toContain("connection lost");
    expect(readFileSync(join(tiles, "checkpoint"), "utf8")).toBe(before);
    // Working again: it catches up, the checkpoint last.
    const working = StaticTiles.open(tiles, origin, log, () => {});
    working.publish(log.checkpoint());
    await working.idle();
    expect(readFileSync(join(tiles, "checkpoint"), "utf8")).toBe(log.checkpoint());
    expect(existsSync(join(tiles, "tile/0/001.p/254"))).toBe(true);
    // An older checkpoint never replaces a newer one.
    working.publish(before);
    await working.idle();
    expect(readFileSync(join(tiles, "checkpoint"), "utf8")).toBe(log.checkpoint());
  });

  it("refuses a folder holding another log's tiles", async () => {
    const { tiles, log } = await setup();
    await log.staticTilesIdle();
    writeFileSync(join(tiles, "checkpoint"), log.checkpoint());
    try {
      StaticTiles.open(tiles, "another.example/log", log, () => {});
      expect.unreachable();
    } catch (err) {
      expect(isCrosscheckError(err, "E_TILES_DIR")).toBe(true);
    }
  });
});
