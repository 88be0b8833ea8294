import { afterEach, describe, expect, it } from "vitest";
import { backends } from "../../test/support/backends.js";
import { generateNoteKey, parseSignerKey } from "../crypto/index.js";
import { installNodeCrypto } from "../crypto/node.js";
import { isCrosscheckError } from "../errors/index.js";
import { leafHash, TILE_WIDTH } from "../merkle/index.js";
import { bulkAppend } from "./bulk-append.js";
import type { LogStorage } from "./storage/storage.js";
import { openLogStorage, TransparencyLog } from "./transparency-log.js";

installNodeCrypto();

/** 66,000 + 300: full and partial tiles on levels 0 and 1, a partial one on level 2. */
const COUNT = 66_300;
const FIRST = 300;

/** Entry `i`: distinct, of varied length. */
function entry(i: number): Uint8Array {
  const bytes = new Uint8Array(4 + ((i * 7919) % 61));
  new DataView(bytes.buffer).setUint32(0, i);
  bytes.fill(i % 251, 4);
  return bytes;
}

const range = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => entry(from + i));

/** Every tile and bundle a log of `size` has, read back from storage. */
async function contents(storage: LogStorage, size: number) {
  const tiles: string[] = [];
  for (let level = 0, nodes = size; nodes > 0; level++, nodes = Math.floor(nodes / TILE_WIDTH)) {
    for (let index = 0; index * TILE_WIDTH < nodes; index++) {
      const tile = await storage.readTile(level, index);
      tiles.push(`${level}/${index}:${Buffer.from(tile ?? []).toString("hex")}`);
    }
  }
  const bundles: string[] = [];
  for (let index = 0; index * TILE_WIDTH < size; index++) {
    bundles.push(Buffer.from((await storage.readEntryBundle(index)) ?? []).toString("base64"));
  }
  return { tiles, bundles };
}

for (const backend of backends) {
  describe.runIf(backend.available)(`bulkAppend on ${backend.name}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c();
    });

    async function database() {
      const made = await backend.create();
      cleanups.push(() => made.dispose());
      return made.database;
    }

    it("writes exactly what the sequencer writes for the same entries", async () => {
      const key = generateNoteKey(`bulk.example/${backend.name}`);
      // The sequencer's log, in batches of its own choosing.
      const online = await TransparencyLog.open({
        database: await database(),
        signer: key.signerKey,
        maxBatch: 1000,
      });
      cleanups.push(() => online.close());
      const chunk = 5000;
      for (let start = 0; start < COUNT; start += chunk) {
        await Promise.all(range(start, Math.min(COUNT, start + chunk)).map((e) => online.add(e)));
      }

      // The bulk log: a few entries through the sequencer first (a partial right edge to load),
      // the rest in bulk, in batches that end mid-tile.
      const bulkDb = await database();
      const started = await TransparencyLog.open({ database: bulkDb, signer: key.signerKey });
      await Promise.all(range(0, FIRST).map((e) => started.add(e)));
      await started.close();
      const { storage } = await openLogStorage({ database: bulkDb, signer: key.signerKey });
      const batches: number[] = [];
      const state = await bulkAppend({
        storage,
        signer: parseSignerKey(key.signerKey),
        entries: range(FIRST, COUNT),
        batchSize: 20_000,
        onBatch: (s) => {
          batches.push(s.size);
        },
      });
      expect(batches).toEqual([20_300, 40_300, 60_300, COUNT]);

      expect(state).toEqual(online.state);
      expect(await storage.readState()).toEqual(await online.storage.readState());
      expect(await contents(storage, COUNT)).toEqual(await contents(online.storage, COUNT));
      const hashes = [0, 299, 300, 65_535, 65_536, COUNT - 1].map((i) => leafHash(entry(i)));
      expect(await storage.findIndexes(hashes)).toEqual(await online.storage.findIndexes(hashes));

      // The bulk-loaded log opens and goes on like any other.
      const reopened = await TransparencyLog.open({ database: bulkDb, signer: key.signerKey });
      cleanups.push(() => reopened.close());
      expect((await reopened.add(entry(5))).index).toBe(5);
      expect((await reopened.add(entry(COUNT))).index).toBe(COUNT);
    }, 120_000);

    it("writes nothing of a batch that repeats an entry", async () => {
      const key = generateNoteKey(`bulk-repeat.example/${backend.name}`);
      const db = await database();
      const { storage, signer } = await openLogStorage({ database: db, signer: key.signerKey });
      await bulkAppend({ storage, signer, entries: range(0, 10) });
      const error = await bulkAppend({
        storage,
        signer,
        entries: [entry(10), entry(3)],
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect(isCrosscheckError(error, "E_LOG_CONFLICT")).toBe(false);
      expect((await storage.readState())?.size).toBe(10);
    });
  });
}
