import { afterEach, describe, expect, it } from "vitest";
import { backends } from "../../test/support/backends.js";
import {
  generateNoteKey,
  openNote,
  parseSignerKey,
  parseVerifierKey,
  utf8Encode,
} from "../crypto/index.js";
import { installNodeCrypto } from "../crypto/node.js";
import { isCrosscheckError } from "../errors/index.js";
import {
  decodeEntryBundle,
  leafHash,
  parseCheckpoint,
  rootOf,
  verifyConsistency,
  verifyInclusion,
} from "../merkle/index.js";
import { TransparencyLog } from "./transparency-log.js";

installNodeCrypto();

const entry = (i: number) => utf8Encode(`entry ${i}`);

for (const backend of backends) {
  describe.runIf(backend.available)(`transparency log on ${backend.name}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c();
    });

    async function setup(options: { maxBatch?: number } = {}) {
      const db = await backend.create();
      const key = generateNoteKey(
        `test.example/${backend.name}/${Math.random().toString(36).slice(2)}`,
      );
      const log = await TransparencyLog.open({
        database: db.database,
        signer: key.signerKey,
        ...options,
      });
      cleanups.push(async () => {
        await log.close();
        await db.dispose();
      });
      return { db, key, log };
    }

    it("starts with a signed empty checkpoint", async () => {
      const { log, key } = await setup();
      const opened = openNote(log.checkpoint(), [parseVerifierKey(key.verifierKey)]);
      const cp = parseCheckpoint(opened.text);
      expect(cp.size).toBe(0);
      expect(cp.root).toEqual(rootOf([]));
    });

    it("gives concurrent adds consecutive indexes and a root over exactly those entries", async () => {
      const { log } = await setup({ maxBatch: 100 });
      const n = 777;
      const results = await Promise.all(Array.from({ length: n }, (_, i) => log.add(entry(i))));
      expect(results.map((r) => r.index).sort((a, b) => a - b)).toEqual([...Array(n).keys()]);
      expect(log.state.size).toBe(n);
      const byIndex: Uint8Array[] = [];
      results.forEach((r, i) => {
        byIndex[r.index] = leafHash(entry(i));
      });
      expect(log.state.root).toEqual(rootOf(byIndex));
    });

    it("gives the same entry the same index, also across a restart", async () => {
      const { db, key, log } = await setup();
      const first = await log.add(entry(1));
      await log.add(entry(2));
      const [again, twice] = await Promise.all([log.add(entry(1)), log.add(entry(1))]);
      expect(again.index).toBe(first.index);
      expect(again.duplicate).toBe(true);
      expect(twice.index).toBe(first.index);
      expect(log.state.size).toBe(2);
      await log.close();

      const reopened = await TransparencyLog.open({
        database: await db.reopen(),
        signer: key.signerKey,
      });
      const afterRestart = await reopened.add(entry(1));
      expect(afterRestart).toMatchObject({ index: first.index, duplicate: true });
      expect((await reopened.add(entry(3))).index).toBe(2);
      await reopened.close();
    });

    it("restarts into the same tree and keeps appending where it stopped", async () => {
      const { db, key, log } = await setup({ maxBatch: 64 });
      for (let round = 0; round < 3; round++) {
        await Promise.all(Array.from({ length: 300 }, (_, i) => log.add(entry(round * 1000 + i))));
      }
      const before = log.state;
      await log.close();
      const reopened = await TransparencyLog.open({
        database: await db.reopen(),
        signer: key.signerKey,
      });
      expect(reopened.state.size).toBe(before.size);
      expect(reopened.state.checkpoint).toBe(before.checkpoint);
      await Promise.all(Array.from({ length: 300 }, (_, i) => reopened.add(entry(9000 + i))));
      // The tree after the restart extends the one before it.
      const proof = await reopened.consistencyProof(before.size);
      verifyConsistency(before.size, reopened.state.size, proof, before.root, reopened.state.root);
      await reopened.close();
    });

    it("serves tiles and bundles that prove every entry, full and partial", async () => {
      const { log } = await setup({ maxBatch: 1000 });
      const n = 256 * 3 + 17;
      await Promise.all(Array.from({ length: n }, (_, i) => log.add(entry(i))));
      const { size, root } = log.state;
      expect(size).toBe(n);
      const full = await log.tile(0, 1, 256);
      expect(full.length).toBe(256 * 32);
      const partial = await log.tile(0, 3, 17);
      expect(partial.length).toBe(17 * 32);
      expect((await log.tile(0, 3, 5)).length).toBe(5 * 32);
      const level1 = await log.tile(1, 0, 3);
      expect(level1.length).toBe(3 * 32);
      const bundle = decodeEntryBundle(await log.entryBundle(3, 17));
      expect(bundle).toHaveLength(17);
      expect(decodeEntryBundle(await log.entryBundle(3, 4))).toEqual(bundle.slice(0, 4));
      for (const index of [0, 255, 256, 511, 700, n - 1]) {
        const bundleEntries = decodeEntryBundle(
          await log.entryBundle(Math.floor(index / 256), index >= 768 ? 17 : 256),
        );
        const leaf = leafHash(bundleEntries[index % 256] as Uint8Array);
        verifyInclusion(leaf, index, size, await log.inclusionProof(index), root);
      }
      const leaves: Uint8Array[] = [];
      for (let b = 0; b * 256 < n; b++) {
        const width = Math.min(256, n - b * 256);
        for (const e of decodeEntryBundle(await log.entryBundle(b, width)))
          leaves.push(leafHash(e));
      }
      expect(rootOf(leaves)).toEqual(root);
      for (const old of [1, 255, 256, 257, 512, n - 1]) {
        const proof = await log.consistencyProof(old);
        verifyConsistency(old, size, proof, rootOf(leaves.slice(0, old)), root);
      }
    });

    it("refuses tiles past the tree with E_TILE_NOT_FOUND", async () => {
      const { log } = await setup();
      await log.add(entry(1));
      for (const read of [
        () => log.tile(0, 0, 2),
        () => log.tile(0, 0, 256),
        () => log.tile(0, 1, 1),
        () => log.tile(1, 0, 1),
        () => log.entryBundle(0, 2),
      ]) {
        await expect(read()).rejects.toSatisfy((e) => isCrosscheckError(e, "E_TILE_NOT_FOUND"));
      }
    });

    it("refuses empty and oversized entries with clear codes", async () => {
      const { log } = await setup();
      expect(() => log.add(new Uint8Array(0))).toThrow(
        expect.objectContaining({ code: "E_ENTRY_EMPTY" }),
      );
      expect(() => log.add(new Uint8Array(65536))).toThrow(
        expect.objectContaining({ code: "E_ENTRY_TOO_LARGE" }),
      );
      expect((await log.add(new Uint8Array(65535).fill(1))).index).toBe(0);
    });

    it("refuses to open a log with another key than the one it was created with", async () => {
      const { db, key, log } = await setup();
      await log.add(entry(1));
      const impostor = generateNoteKey(parseSignerKey(key.signerKey).name);
      await expect(
        TransparencyLog.open({ database: await db.reopen(), signer: impostor.signerKey }),
      ).rejects.toSatisfy((e) => isCrosscheckError(e, "E_LOG_KEY_MISMATCH"));
    });

    it("lets two writers on one database interleave without forking the tree", async () => {
      const { db, key, log } = await setup();
      const other = await TransparencyLog.open({
        database: await db.reopen(),
        signer: key.signerKey,
      });
      cleanups.push(() => other.close());
      const adds: Promise<unknown>[] = [];
      for (let i = 0; i < 200; i++) adds.push((i % 2 ? log : other).add(entry(i)));
      await Promise.all(adds);
      const third = await TransparencyLog.open({
        database: await db.reopen(),
        signer: key.signerKey,
      });
      cleanups.push(() => third.close());
      expect(third.state.size).toBe(200);
      for (const index of [0, 99, 199]) {
        const bundle = decodeEntryBundle(await third.entryBundle(0, 200));
        verifyInclusion(
          leafHash(bundle[index] as Uint8Array),
          index,
          200,
          await third.inclusionProof(index),
          third.state.root,
        );
      }
    });
  });
}

describe("prefixRoot", () => {
  it("reads the root of every prefix of a tree from its tiles", async () => {
    const { openSqlite } = await import("../store/index.js");
    const log = await TransparencyLog.open({
      database: openSqlite(":memory:"),
      signer: generateNoteKey("prefix.test.example/log").signerKey,
    });
    const leaves: Uint8Array[] = [];
    for (let i = 0; i < 600; i++) {
      await log.add(entry(i));
      leaves.push(leafHash(entry(i)));
    }
    const { prefixRoot } = await import("./proofs.js");
    for (const m of [0, 1, 2, 3, 255, 256, 257, 511, 512, 599, 600]) {
      const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
      expect(hex(await prefixRoot(log.tileSource, m, 600)), `prefix ${m}`).toBe(
        hex(rootOf(leaves.slice(0, m))),
      );
    }
    await log.close();
  });
});
