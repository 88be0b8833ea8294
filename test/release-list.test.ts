/**
 * The release list at the Transparency Center's scale (issue 8: 100,000 releases): pages come
 * from the server newest first through a cursor, every filter walks an index (never the whole
 * table), and a page answers fast. 100,000 rows are bulk-loaded straight into storage (Decision 29).
 */
import { performance } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openReleaseStore, type ReleaseStore } from "../src/releases/index.js";
import { type Database, migrate } from "../src/store/index.js";
import { type Backend, backends } from "./support/backends.js";

const COUNT = 100_000;
const CHANNELS = ["product", "sigdb", "rules", "dictionary"];
const STATUSES = ["analyzing", "in-review", "published", "rejected"];
const channelOf = (i: number) => CHANNELS[i % 4] as string;
const statusOf = (i: number) => STATUSES[Math.floor(i / 4) % 4] as string;

async function bulkLoad(database: Database): Promise<void> {
  const at = "2026-11-23T10:00:00Z";
  if (database.kind === "sqlite") {
    const insert = database.db.prepare(
      `INSERT INTO releases (id, channel, version, envelope_sha256, envelope, status, log_index, submitted_at)
       VALUES (?, ?, ?, ?, '{}', ?, ?, ?)`,
    );
    database.db.transaction(() => {
      for (let i = 1; i <= COUNT; i++) {
        insert.run(i, channelOf(i), `1.${i}`, i.toString(16).padStart(64, "0"), statusOf(i), i, at);
      }
    })();
    return;
  }
  const { sql } = database;
  await sql`INSERT INTO releases (id, channel, version, envelope_sha256, envelope, status, log_index, submitted_at)
    SELECT i, (ARRAY['product','sigdb','rules','dictionary'])[i % 4 + 1], '1.' || i,
      lpad(to_hex(i), 64, '0'), '{}',
      (ARRAY['analyzing','in-review','published','rejected'])[(i / 4) % 4 + 1], i, ${at}
    FROM generate_series(1, ${COUNT}) AS i`;
  await sql`SELECT setval(pg_get_serial_sequence('releases', 'id'), ${COUNT})`;
  await sql`ANALYZE releases`;
}

async function plan(database: Database, where: string): Promise<string> {
  if (database.kind === "sqlite") {
    const rows = database.db
      .prepare(`EXPLAIN QUERY PLAN SELECT * FROM releases ${where} ORDER BY id DESC LIMIT 100`)
      .all() as { detail: string }[];
    return rows.map((r) => r.detail).join("; ");
  }
  const rows = await database.sql.unsafe(
    `EXPLAIN SELECT * FROM releases ${where} ORDER BY id DESC LIMIT 100`,
  );
  return rows.map((r) => String(r["QUERY PLAN"])).join("; ");
}

for (const backend of backends as Backend[]) {
  describe.runIf(backend.available)(`the release list of 100,000 on ${backend.name}`, () => {
    let made: Awaited<ReturnType<Backend["create"]>>;
    let store: ReleaseStore;

    beforeAll(async () => {
      made = await backend.create();
      await migrate(made.database);
      await bulkLoad(made.database);
      store = openReleaseStore(made.database);
    }, 120_000);
    afterAll(async () => made?.dispose());

    it("pages newest first through a cursor, with and without filters", async () => {
      const first = await store.listReleases({ limit: 100 });
      expect(first.map((r) => r.id)).toEqual(Array.from({ length: 100 }, (_, i) => COUNT - i));
      const second = await store.listReleases({ limit: 100, before: first[99]?.id });
      expect(second[0]?.id).toBe(COUNT - 100);

      let before: number | undefined;
      const seen: number[] = [];
      for (let page = 0; page < 3; page++) {
        const rows = await store.listReleases({
          channel: "rules",
          status: "published",
          limit: 50,
          before,
        });
        for (const r of rows) {
          expect(r.channel).toBe("rules");
          expect(r.status).toBe("published");
        }
        seen.push(...rows.map((r) => r.id));
        before = rows[rows.length - 1]?.id;
      }
      expect(seen).toHaveLength(150);
      expect([...seen].sort((a, b) => b - a)).toEqual(seen);
      expect(new Set(seen).size).toBe(150);
    });

    it("uses an index for every filter and answers a deep page quickly", async () => {
      for (const where of [
        "",
        "WHERE channel = 'rules'",
        "WHERE status = 'published'",
        "WHERE channel = 'rules' AND status = 'published' AND id < 50000",
      ]) {
        const text = await plan(made.database, where);
        // Unfiltered, SQLite walks the rowid tree itself backwards: that is the primary index.
        if (made.database.kind === "sqlite") {
          if (where) expect(text, where).toMatch(/USING (COVERING )?INDEX releases_/);
        } else expect(text, where).toMatch(/Index/);
        expect(text, where).not.toMatch(/TEMP B-TREE|Sort/);
      }
      const start = performance.now();
      await store.listReleases({
        channel: "sigdb",
        status: "rejected",
        before: 20_000,
        limit: 100,
      });
      const ms = performance.now() - start;
      console.log(
        `release list on ${backend.name}: a filtered page at depth 80,000 of ${COUNT} in ${ms.toFixed(1)} ms`,
      );
      expect(ms).toBeLessThan(200);
    });
  });
}
