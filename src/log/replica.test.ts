/**
 * Several replicas of one log on one PostgreSQL schema, in one process (the real processes and
 * SIGKILL are test/replicas.test.ts): one sequences at a time, adds made on any replica are
 * integrated exactly once, a replica whose lease moved on cannot write (fencing token), and a
 * replica that stops hands the lease over at once.
 */
import { afterEach, describe, expect, it } from "vitest";
import { freshPostgres, postgresReachable } from "../../test/support/postgres.js";
import { generateNoteKey, utf8Encode } from "../crypto/index.js";
import { installNodeCrypto } from "../crypto/node.js";
import { isCrosscheckError } from "../errors/index.js";
import {
  decodeEntryBundle,
  leafHash,
  parseCheckpoint,
  rootOf,
  TILE_WIDTH,
} from "../merkle/index.js";
import { openPostgres, type PostgresDatabase } from "../store/index.js";
import { TransparencyLog } from "./transparency-log.js";

installNodeCrypto();

const until = async (what: () => boolean, ms = 5000) => {
  const deadline = Date.now() + ms;
  while (!what()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe.runIf(postgresReachable)("log replicas on one PostgreSQL schema", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function replicas(count: number) {
    const first = await freshPostgres();
    cleanups.push(() => first.drop());
    const key = generateNoteKey(`replicas.test.example/${Math.random().toString(36).slice(2)}`);
    const logs: TransparencyLog[] = [];
    const databases: PostgresDatabase[] = [];
    for (let i = 0; i < count; i++) {
      const database =
        i === 0 ? first : await openPostgres(first.url, { schema: first.schema, max: 4 });
      if (i > 0) cleanups.push(() => database.close());
      databases.push(database);
      const log = await TransparencyLog.open({
        database,
        signer: key.signerKey,
        replicas: { holder: `replica-${i}`, leaseMs: 1000, pollMs: 100 },
        warn: () => {},
      });
      cleanups.push(() => log.close().catch(() => {}));
      logs.push(log);
    }
    return { logs, databases, key, db: first };
  }

  /** Every entry is in the bundles once, and the leaves hash to the stored checkpoint's root. */
  async function checkTree(log: TransparencyLog, expected: Uint8Array[]) {
    const note = await log.readCheckpoint();
    const { size, root } = parseCheckpoint(note.slice(0, note.indexOf("\n\n") + 1));
    const entries: Uint8Array[] = [];
    for (let t = 0; t * TILE_WIDTH < size; t++) {
      const width = Math.min(TILE_WIDTH, size - t * TILE_WIDTH);
      entries.push(...decodeEntryBundle(await log.entryBundle(t, width)));
    }
    expect(entries).toHaveLength(size);
    expect(Buffer.from(rootOf(entries.map(leafHash))).toString("hex")).toBe(
      Buffer.from(root).toString("hex"),
    );
    const text = entries.map((e) => Buffer.from(e).toString());
    expect(new Set(text).size).toBe(text.length);
    expect(new Set(text)).toEqual(new Set(expected.map((e) => Buffer.from(e).toString())));
  }

  it("sequences on one replica; adds made on any replica are integrated exactly once", async () => {
    const { logs } = await replicas(3);
    await until(() => logs.filter((l) => l.leading).length === 1);
    const entries = Array.from({ length: 300 }, (_, i) => utf8Encode(`entry ${i}`));
    const results = await Promise.all(
      entries.map((e, i) => (logs[i % 3] as TransparencyLog).add(e)),
    );
    expect(new Set(results.map((r) => r.index)).size).toBe(300);
    expect(Math.max(...results.map((r) => r.index))).toBe(299);
    for (const r of results) expect(r.state.size).toBeGreaterThan(r.index);
    // The same bytes again, on every replica: their index, as duplicates.
    const again = await Promise.all(logs.map((l) => l.add(entries[7] as Uint8Array)));
    for (const a of again) expect(a).toMatchObject({ index: results[7]?.index, duplicate: true });
    for (const log of logs) await checkTree(log, entries);
  });

  it("a replica whose lease moved on writes nothing, and its adds reach the new holder", async () => {
    const { logs, db } = await replicas(2);
    await until(() => logs.some((l) => l.leading));
    const leader = logs.find((l) => l.leading) as TransparencyLog;
    await leader.add(utf8Encode("before"));
    const [lease] = await db.sql<{ name: string; holder: string; token: string }[]>`
      SELECT name, holder, token FROM leases WHERE name LIKE 'log:%'`;
    const stale = {
      lease: lease?.name as string,
      holder: lease?.holder as string,
      token: Number(lease?.token),
    };
    // Someone else takes the lease (as a replica would after this one paused past its expiry).
    await db.sql`UPDATE leases SET holder = 'intruder', token = token + 1, backend_pid = NULL`;
    const state = leader.state;
    try {
      await leader.storage.integrate({
        previousSize: state.size,
        state,
        dedup: [],
        tiles: [],
        bundles: [],
        fence: stale,
      });
      expect.unreachable("an integration with a stale fencing token must fail");
    } catch (err) {
      expect(isCrosscheckError(err, "E_LOG_FENCED")).toBe(true);
    }
    // Adds on both replicas still succeed: whoever takes the lease next integrates them.
    const after = await Promise.all(logs.map((l, i) => l.add(utf8Encode(`after ${i}`))));
    expect(after.map((a) => a.duplicate)).toEqual([false, false]);
    const [now] = await db.sql<
      { token: string }[]
    >`SELECT token FROM leases WHERE name LIKE 'log:%'`;
    expect(Number(now?.token)).toBeGreaterThan(stale.token + 1);
    await checkTree(logs[0] as TransparencyLog, ["before", "after 0", "after 1"].map(utf8Encode));
  });

  it("a replica that stops hands the lease over at once", async () => {
    const { logs } = await replicas(2);
    await until(() => logs.some((l) => l.leading));
    const leader = logs.find((l) => l.leading) as TransparencyLog;
    const other = logs.find((l) => l !== leader) as TransparencyLog;
    await leader.add(utf8Encode("one"));
    const stopped = Date.now();
    await leader.close();
    await until(() => other.leading, 2000);
    expect(Date.now() - stopped).toBeLessThan(1000);
    const added = await other.add(utf8Encode("two"));
    expect(added).toMatchObject({ index: 1, duplicate: false });
  });
});
