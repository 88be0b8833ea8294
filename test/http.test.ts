/** The log's HTTP face: read API, adds, and what bad input gets back. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateNoteKey, openNote, parseVerifierKey, utf8Encode } from "../src/crypto/index.js";
import { installNodeCrypto } from "../src/crypto/node.js";
import { isCrosscheckError } from "../src/errors/index.js";
import { TransparencyLog } from "../src/log/index.js";
import { leafHash, parseCheckpoint, parseTlogProof, verifyInclusion } from "../src/merkle/index.js";
import { createServer } from "../src/server/index.js";
import { backends } from "./support/backends.js";
import { freePort, startServe, stop } from "./support/cli.js";

installNodeCrypto();

const sqlite = backends[0] as (typeof backends)[number];

describe("the log over HTTP", () => {
  let db: Awaited<ReturnType<typeof sqlite.create>>;
  let log: TransparencyLog;
  let app: Awaited<ReturnType<typeof createServer>>;
  const key = generateNoteKey("http.test.example/log");

  beforeAll(async () => {
    db = await sqlite.create();
    log = await TransparencyLog.open({ database: db.database, signer: key.signerKey });
    app = await createServer({ log, host: "127.0.0.1" });
    for (let i = 0; i < 300; i++) await log.add(utf8Encode(`seed ${i}`));
  });
  afterAll(async () => {
    await app.close();
    await log.close();
    await db.dispose();
  });

  const add = (body: Buffer | string, url = "/log/add") =>
    app.inject({
      method: "POST",
      url,
      payload: body,
      headers: { "content-type": "application/octet-stream" },
    });

  it("adds an entry and answers with its index", async () => {
    const response = await add("hello");
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ index: 300, duplicate: false });
    expect((await add("hello")).json()).toEqual({ index: 300, duplicate: true });
  });

  it("asked to wait, answers with a C2SP tlog-proof that verifies under its signed checkpoint", async () => {
    const response = await add("wait for me", "/log/add?wait=proof");
    expect(response.statusCode).toBe(200);
    const body = response.json() as { index: number; proof: string };
    const proof = parseTlogProof(body.proof);
    expect(proof.index).toBe(body.index);
    const opened = openNote(proof.checkpoint, [parseVerifierKey(key.verifierKey)]);
    const cp = parseCheckpoint(opened.text);
    verifyInclusion(leafHash(utf8Encode("wait for me")), body.index, cp.size, proof.proof, cp.root);
  });

  it("serves the checkpoint with a short cache and full tiles immutably", async () => {
    const checkpoint = await app.inject({ method: "GET", url: "/log/checkpoint" });
    expect(checkpoint.statusCode).toBe(200);
    expect(checkpoint.headers["content-type"]).toMatch(/^text\/plain/);
    expect(checkpoint.headers["cache-control"]).toBe("public, max-age=2");
    expect(checkpoint.body).toBe(log.checkpoint());
    const full = await app.inject({ method: "GET", url: "/log/tile/0/000" });
    expect(full.statusCode).toBe(200);
    expect(full.rawPayload.length).toBe(8192);
    expect(full.headers["cache-control"]).toContain("immutable");
    const partial = await app.inject({ method: "GET", url: "/log/tile/0/001.p/10" });
    expect(partial.rawPayload.length).toBe(320);
    expect(partial.headers["cache-control"]).not.toContain("immutable");
    const bundle = await app.inject({ method: "GET", url: "/log/tile/entries/000" });
    expect(bundle.statusCode).toBe(200);
  });

  it.each([
    "/log/tile/0/0",
    "/log/tile/0/00a",
    "/log/tile/0/000.p/0",
    "/log/tile/0/000.p/256",
    "/log/tile/0/000.p/",
    "/log/tile/0/x000/000",
    "/log/tile/64/000",
    "/log/tile/-1/000",
    "/log/tile/entries/000.p/300",
    "/log/tile/0/001.p/10/extra",
    "/log/tile/",
  ])("answers a malformed tile path %s with 400 E_TILE_PATH", async (url) => {
    const response = await app.inject({ method: "GET", url });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe("E_TILE_PATH");
  });

  it.each([
    "/log/tile/0/002",
    "/log/tile/0/001",
    "/log/tile/0/001.p/200",
    "/log/tile/1/000",
    "/log/tile/1/000.p/2",
    "/log/tile/entries/x001/000",
  ])("answers a tile past the tree (%s) with 404 E_TILE_NOT_FOUND", async (url) => {
    const response = await app.inject({ method: "GET", url });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe("E_TILE_NOT_FOUND");
  });

  it("refuses an empty body and an entry over 65,535 bytes, and keeps serving", async () => {
    const empty = await add("");
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error.code).toBe("E_ENTRY_EMPTY");
    const noType = await app.inject({ method: "POST", url: "/log/add" });
    expect(noType.statusCode).toBe(400);
    const big = await add(Buffer.alloc(65536, 1));
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe("E_ENTRY_TOO_LARGE");
    const largest = await add(Buffer.alloc(65535, 2));
    expect(largest.statusCode).toBe(200);
  });

  it("answers unknown paths with a JSON 404", async () => {
    const response = await app.inject({ method: "GET", url: "/log/nothing-here" });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe("E_NOT_FOUND");
  });
});

describe("who may add", () => {
  it("refuses to listen beyond loopback without a token", async () => {
    const db = await sqlite.create();
    const log = await TransparencyLog.open({
      database: db.database,
      signer: generateNoteKey("auth.test.example/log").signerKey,
    });
    try {
      await expect(createServer({ log, host: "0.0.0.0" })).rejects.toSatisfy((e) =>
        isCrosscheckError(e, "E_AUTH_REQUIRED"),
      );
      const app = await createServer({ log, host: "0.0.0.0", addToken: "s3cret-token" });
      const post = (authorization?: string) =>
        app.inject({
          method: "POST",
          url: "/log/add",
          payload: "x",
          headers: {
            "content-type": "application/octet-stream",
            ...(authorization ? { authorization } : {}),
          },
        });
      expect((await post()).statusCode).toBe(401);
      expect((await post("Bearer wrong")).statusCode).toBe(401);
      expect((await post("Bearer s3cret-token")).statusCode).toBe(200);
      // Reads stay public.
      expect((await app.inject({ method: "GET", url: "/log/checkpoint" })).statusCode).toBe(200);
      await app.close();
    } finally {
      await log.close();
      await db.dispose();
    }
  });
});

describe("batching over HTTP", () => {
  it("integrates concurrent adds in a few batches, not one each", async () => {
    // The server runs in its own process, as in production: a client in this process would share
    // its event loop and trickle requests in one at a time.
    const dir = mkdtempSync(join(tmpdir(), "crosscheck-batch-"));
    const port = await freePort();
    const server = await startServe(["--data", dir, "--port", String(port)]);
    try {
      const n = 200;
      const responses = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          fetch(`http://127.0.0.1:${port}/log/add?wait=proof`, {
            method: "POST",
            body: `concurrent ${i}`,
          }).then((r) => r.json() as Promise<{ index: number; proof: string }>),
        ),
      );
      expect(new Set(responses.map((r) => r.index)).size).toBe(n);
      // Each batch publishes one checkpoint; count the checkpoints the answers came with.
      const batches = new Set(responses.map((r) => parseTlogProof(r.proof).checkpoint));
      expect(batches.size).toBeLessThan(n / 4);
    } finally {
      await stop(server.child);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
