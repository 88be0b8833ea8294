/** Runs a suite once per storage backend: SQLite in a temp folder, and PostgreSQL in a fresh schema. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Database, openSqlite } from "../../src/store/index.js";
import { freshPostgres, postgresReachable } from "./postgres.js";

export interface Backend {
  name: "sqlite" | "postgres";
  available: boolean;
  /** A new empty database; call `dispose` when done. */
  create(): Promise<{ database: Database; reopen(): Promise<Database>; dispose(): Promise<void> }>;
}

export const backends: Backend[] = [
  {
    name: "sqlite",
    available: true,
    async create() {
      const dir = mkdtempSync(join(tmpdir(), "crosscheck-test-"));
      const path = join(dir, "log.sqlite");
      const opened: Database[] = [openSqlite(path)];
      return {
        database: opened[0] as Database,
        async reopen() {
          const db = openSqlite(path);
          opened.push(db);
          return db;
        },
        async dispose() {
          for (const db of opened) await db.close().catch(() => {});
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: "postgres",
    available: postgresReachable,
    async create() {
      const first = await freshPostgres();
      const { openPostgres } = await import("../../src/store/index.js");
      const others: Database[] = [];
      return {
        database: first,
        async reopen() {
          const db = await openPostgres(first.url, { schema: first.schema });
          others.push(db);
          return db;
        },
        async dispose() {
          for (const db of others) await db.close().catch(() => {});
          await first.drop();
        },
      };
    },
  },
];
