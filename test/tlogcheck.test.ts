import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateNoteKey, signNote } from "../src/crypto/index.js";
import { installNodeCrypto, readSignerKeyFile } from "../src/crypto/node.js";
import { LogClient, TransparencyLog } from "../src/log/index.js";
import { formatCheckpoint, MAX_ENTRY_SIZE } from "../src/merkle/index.js";
import { freePort } from "./support/cli.js";
import { createLogStore, killAllServers, type LogStore, serveLog } from "./support/log-store.js";
import { postgresReachable } from "./support/postgres.js";
import { buildTlogcheck, tlogcheck, tlogcheckAvailable } from "./support/tlogcheck.js";

installNodeCrypto();

/** 65,536 + 464: 257 full level-0 tiles and a partial one; level 1 full + partial; level 2 partial. */
const BULK = 66_000;
const OVER_HTTP = 300;
const entriesEverywhere = process.env.CROSSCHECK_TLOGCHECK_ENTRIES === "all";

const describeGo = tlogcheckAvailable ? describe : describe.skip;

describeGo("a served log passes an audit by tlogcheck, built on Go's sumdb/tlog", () => {
  const work = mkdtempSync(join(tmpdir(), "crosscheck-tlogcheck-"));
  let binary: string;

  beforeAll(async () => {
    binary = await buildTlogcheck(work);
  }, 180_000);

  afterAll(async () => {
    await killAllServers();
    rmSync(work, { recursive: true, force: true });
  });

  const check = (url: string, vkey: string, extra: string[]) => tlogcheck(binary, url, vkey, extra);

  for (const kind of ["sqlite", "postgres"] as const) {
    const available = kind === "sqlite" || postgresReachable;
    const withEntries = kind === "sqlite" || entriesEverywhere;
    it.runIf(available)(
      `on ${kind}: ${BULK} bulk-loaded entries and ${OVER_HTTP} added over HTTP${withEntries ? ", every entry re-hashed" : ""}`,
      async () => {
        const origin = `tlogcheck.${kind}.test.example/log`;
        const store = await createLogStore(kind, { origin, makeKey: true });
        try {
          await bulkLoad(store, BULK);
          const vkey = await store.verifierKey();
          const server = await serveLog(store, await freePort());

          // 1. The whole bulk-loaded log, with every entry re-hashed where affordable.
          const saved = join(work, `${kind}.checkpoint`);
          const first = await check(server.url, vkey, [
            ...(withEntries ? ["-entries"] : []),
            "-samples",
            "128",
            "-save",
            saved,
          ]);
          const firstOut = `tlogcheck on ${kind} at size ${BULK}:\n${first.stdout}${first.stderr}`;
          expect(first.code, firstOut).toBe(0);
          expect(first.last, firstOut).toMatch(/^ok /);
          expect(first.last, firstOut).toContain(` size=${BULK} `);
          if (withEntries) expect(first.last, firstOut).toContain(` entries=${BULK} `);
          expect(readFileSync(saved, "utf8")).toBe(await new LogClient(server.url).checkpoint());

          // 2. Grow the log through the real server, then prove the grown tree extends the old one.
          const indexes = await addOverHttp(server.url, OVER_HTTP);
          expect(new Set(indexes).size).toBe(OVER_HTTP);
          expect(Math.min(...indexes)).toBe(BULK);
          expect(Math.max(...indexes)).toBe(BULK + OVER_HTTP - 1);
          const grown = BULK + OVER_HTTP;
          const second = await check(server.url, vkey, ["-old", saved, "-samples", "128"]);
          const secondOut = `tlogcheck on ${kind} at size ${grown}:\n${second.stdout}${second.stderr}`;
          expect(second.code, secondOut).toBe(0);
          expect(second.last, secondOut).toMatch(/^ok /);
          expect(second.last, secondOut).toContain(` size=${grown} `);
          expect(second.last, secondOut).toContain(`consistent with earlier size ${BULK}`);

          // 3. Negative controls: the checker can fail. Another key for the same origin…
          const stranger = generateNoteKey(origin).verifierKey;
          const wrongKey = await check(server.url, stranger, []);
          expect(wrongKey.code, `with a stranger's key:\n${wrongKey.stdout}`).not.toBe(0);
          expect(wrongKey.last).toMatch(/^FAIL checkpoint signature/);
          // …and an "earlier" checkpoint, validly signed by the log's own key, of a tree this log
          // never had: its consistency proof must fail.
          const forged = join(work, `${kind}.forged`);
          const body = formatCheckpoint({
            origin,
            size: BULK,
            root: randomBytes(32),
            extensions: [],
          });
          writeFileSync(forged, signNote(body, [readSignerKeyFile(store.keyFile)]));
          const split = await check(server.url, vkey, ["-old", forged]);
          expect(split.code, `with a forged earlier checkpoint:\n${split.stdout}`).not.toBe(0);
          expect(split.last).toMatch(/^FAIL consistency/);
        } finally {
          await killAllServers();
          await store.dispose();
        }
      },
      withEntries ? 240_000 : 90_000,
    );
  }
});

/** Loads `count` entries in-process, in chunks that each become one batch, then closes the log. */
async function bulkLoad(store: LogStore, count: number): Promise<void> {
  const database = await store.open();
  const log = await TransparencyLog.open({ database, signer: readSignerKeyFile(store.keyFile) });
  try {
    const chunk = 4000;
    for (let start = 0; start < count; start += chunk) {
      const adds: Promise<unknown>[] = [];
      for (let i = start; i < Math.min(count, start + chunk); i++) adds.push(log.add(entry(i)));
      await Promise.all(adds);
    }
    expect(log.state.size).toBe(count);
  } finally {
    await log.close();
    await database.close();
  }
}

/** Entry `i`: unique (its index leads), 4 to ~1,000 bytes, and every 5,000th the largest allowed. */
function entry(i: number): Uint8Array {
  const size = i % 5000 === 4999 ? MAX_ENTRY_SIZE : 4 + ((i * 7919) % 997);
  const bytes = randomBytes(size);
  bytes.writeUInt32BE(i, 0);
  return bytes;
}

/** Adds `count` new entries over HTTP, 16 at a time; resolves with their indexes. */
async function addOverHttp(url: string, count: number): Promise<number[]> {
  const client = new LogClient(url);
  const indexes: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const added = await client.add(entry(BULK + i));
      expect(added.duplicate).toBe(false);
      indexes.push(added.index);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return indexes;
}
