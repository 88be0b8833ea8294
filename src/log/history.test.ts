import { afterEach, describe, expect, it } from "vitest";
import { backends } from "../../test/support/backends.js";
import {
  generateNoteKey,
  NOTE_KEY_TYPE_COSIGNATURE_V1,
  openNote,
  parseVerifierKey,
  toHex,
  utf8Encode,
} from "../crypto/index.js";
import { installNodeCrypto } from "../crypto/node.js";
import { addCosignatures, cosignatureSigner } from "../merkle/index.js";
import { createServer } from "../server/index.js";
import { TransparencyLog } from "./transparency-log.js";

installNodeCrypto();

const entry = (i: number) => utf8Encode(`history entry ${i}`);
const witnesses = [1, 2].map((i) =>
  generateNoteKey(`w${i}.history.example`, NOTE_KEY_TYPE_COSIGNATURE_V1),
);
const cosign = (note: string, which: number[], time: number) =>
  addCosignatures(
    note,
    which.map((i) => cosignatureSigner(witnesses[i]?.signerKey as string, () => time)),
  );

for (const backend of backends) {
  describe.runIf(backend.available)(`the checkpoint history on ${backend.name}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c();
    });

    async function setup(witnessed: boolean) {
      const db = await backend.create();
      const key = generateNoteKey(`history.example/${backend.name}/${witnessed}`);
      let clock = Date.parse("2026-11-23T10:00:00Z");
      const log = await TransparencyLog.open({
        database: db.database,
        signer: key.signerKey,
        witnessed,
        now: () => {
          clock += 1000;
          return new Date(clock);
        },
      });
      // The server's own wiring: the route where `crosscheck serve` mounts it, its error shape.
      const app = await createServer({ log, host: "127.0.0.1" });
      cleanups.push(async () => {
        await app.close();
        await log.close();
        await db.dispose();
      });
      const get = async (query: string) => {
        const response = await app.inject({
          method: "GET",
          url: `/api/v1/log/checkpoints${query}`,
        });
        return { status: response.statusCode, body: response.json() };
      };
      return { log, key, get };
    }

    it("records every signed checkpoint of a log without witnesses, one row per batch, paged newest first", async () => {
      const { log, key, get } = await setup(false);
      const sizes: number[] = [];
      for (let i = 0; i < 7; i++) sizes.push((await log.add(entry(i))).state.size);
      // Two batches at once: one row each, none per entry.
      await Promise.all([log.add(entry(100)), log.add(entry(101))]);
      // A duplicate integrates nothing and records nothing.
      await log.add(entry(3));
      const all = await log.checkpoints({ limit: 100 });
      expect(all.map((c) => c.size)).toEqual([9, ...sizes.reverse()]);
      expect(all[0]?.checkpoint).toBe(log.checkpoint());
      expect(all[0]?.root).toEqual(log.state.root);

      const first = await get("?limit=3");
      expect(first.status).toBe(200);
      expect(first.body.checkpoints.map((c: { size: number }) => c.size)).toEqual([9, 7, 6]);
      expect(first.body.next).toBe(6);
      const top = first.body.checkpoints[0];
      expect(top.root).toBe(toHex(log.state.root));
      expect(top.note).toBe(log.checkpoint());
      expect(top.publishedAt).toMatch(/^2026-11-23T10:00:\d\dZ$|^2026-11-23T10:00:\d\d\.\d{3}Z$/);
      expect(top.cosignatures).toEqual([]);
      // The note verifies with the log's key, as served.
      openNote(top.note, [parseVerifierKey(key.verifierKey)]);

      const seen: number[] = [];
      let before: number | null = null;
      do {
        const page = await get(`?limit=3${before === null ? "" : `&before=${before}`}`);
        seen.push(...page.body.checkpoints.map((c: { size: number }) => c.size));
        before = page.body.next;
      } while (before !== null);
      expect(seen).toEqual([9, 7, 6, 5, 4, 3, 2, 1]);

      const refused = await get("?limit=0");
      expect(refused.status).toBe(400);
      expect(refused.body.error.code).toBe("E_INVALID_INPUT");
      expect((await get("?limit=101")).status).toBe(400);
      expect((await get("?before=abc")).status).toBe(400);
      expect((await get("?before=1")).body).toEqual({ checkpoints: [], next: null });
    });

    it("records what a witnessed log's quorum cosigned, once per size, with the witnesses' times", async () => {
      const { log, get } = await setup(true);
      await log.add(entry(1));
      await log.add(entry(2));
      // Signed but not yet cosigned: not published, not in the history.
      expect(await log.checkpoints({ limit: 10 })).toEqual([]);

      const two = log.latestCheckpoint();
      const byOne = cosign(two, [0], 1_790_000_000);
      await log.publishCosigned(byOne);
      await log.publishCosigned(byOne); // a retry of the same note is no write
      const [row] = await log.checkpoints({ limit: 10 });
      expect(row?.size).toBe(2);
      expect(row?.checkpoint).toBe(byOne);

      // A late witness adds its cosignature: the same row, its first publication time kept.
      const byBoth = cosign(byOne, [1], 1_790_000_005);
      await log.publishCosigned(byBoth);
      const rows = await log.checkpoints({ limit: 10 });
      expect(rows).toHaveLength(1);
      expect(rows[0]?.checkpoint).toBe(byBoth);
      expect(rows[0]?.publishedAt).toBe(row?.publishedAt);

      await log.add(entry(3));
      const three = cosign(log.latestCheckpoint(), [0, 1], 1_790_000_060);
      await log.publishCosigned(three);
      // An older cosigned checkpoint arriving late changes nothing.
      await log.publishCosigned(cosign(two, [0, 1], 1_790_000_061));

      const page = await get("");
      expect(page.body.next).toBeNull();
      expect(page.body.checkpoints.map((c: { size: number }) => c.size)).toEqual([3, 2]);
      expect(page.body.checkpoints[0].note).toBe(three);
      expect(page.body.checkpoints[1].note).toBe(byBoth);
      const keyHash = (i: number) =>
        parseVerifierKey(witnesses[i]?.verifierKey as string)
          .keyHash.toString(16)
          .padStart(8, "0");
      expect(page.body.checkpoints[1].cosignatures).toEqual([
        { name: "w1.history.example", keyHash: keyHash(0), timestamp: 1_790_000_000 },
        { name: "w2.history.example", keyHash: keyHash(1), timestamp: 1_790_000_005 },
      ]);
      expect(log.checkpoint()).toBe(three);
    });
  });
}
