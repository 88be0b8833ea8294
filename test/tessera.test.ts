/**
 * Byte-for-byte agreement with Tessera: appending the 15 words of ../shared/vectors/README.md, one
 * at a time, with the same key must serve exactly the checkpoints, hash tiles and entry bundles
 * Tessera's POSIX storage wrote after each append.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { utf8Encode } from "../src/crypto/index.js";
import { installNodeCrypto } from "../src/crypto/node.js";
import { TransparencyLog } from "../src/log/index.js";
import { createServer } from "../src/server/index.js";
import { backends } from "./support/backends.js";

installNodeCrypto();

const VECTORS = new URL("../../shared/vectors/tessera-log/", import.meta.url);
const SIGNER =
  "PRIVATE+KEY+example.com/log/testdata+33d7b496+AeymY/SZAX0jZcJ8enZ5FY1Dz+wTML2yWSkK+9DSF3eg";
const WORDS =
  "one two three four five six seven eit nain ten ileven twelf threeten fourten fivten".split(" ");
const golden = (path: string) => readFileSync(new URL(path, VECTORS));

for (const backend of backends) {
  describe.runIf(backend.available)(`the Tessera golden log, on ${backend.name}`, () => {
    let db: Awaited<ReturnType<Backend["create"]>>;
    let log: TransparencyLog;
    let app: Awaited<ReturnType<typeof createServer>>;

    beforeAll(async () => {
      db = await backend.create();
      log = await TransparencyLog.open({ database: db.database, signer: SIGNER });
      app = await createServer({ log, host: "127.0.0.1" });
    });
    afterAll(async () => {
      await app.close();
      await log.close();
      await db.dispose();
    });

    const get = async (path: string) => {
      const response = await app.inject({ method: "GET", url: `/log/${path}` });
      expect(response.statusCode, path).toBe(200);
      return response.rawPayload;
    };

    it("serves Tessera's empty checkpoint before any append", async () => {
      expect(await get("checkpoint")).toEqual(golden("checkpoint.0"));
    });

    it("writes every checkpoint, tile and entry bundle as Tessera did, after each append", async () => {
      for (const [i, word] of WORDS.entries()) {
        const size = i + 1;
        const added = await log.add(utf8Encode(word));
        expect(added.index).toBe(i);
        expect((await get("checkpoint")).toString(), `checkpoint.${size}`).toBe(
          golden(`checkpoint.${size}`).toString(),
        );
        expect(await get(`tile/0/000.p/${size}`), `tile/0/000.p/${size}`).toEqual(
          golden(`tile/0/000.p/${size}`),
        );
        expect(await get(`tile/entries/000.p/${size}`), `tile/entries/000.p/${size}`).toEqual(
          golden(`tile/entries/000.p/${size}`),
        );
      }
      expect(await get("checkpoint")).toEqual(golden("checkpoint"));
    });
  });
}

type Backend = (typeof backends)[number];
