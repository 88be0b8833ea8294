/**
 * A log's home for end-to-end tests that run the real `crosscheck log serve` process: a temp data
 * folder (SQLite lives there) or, for PostgreSQL, a fresh schema passed as `?schema=NAME`. The same
 * store can be opened in-process (to bulk-load it) and served by child processes, one at a time.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { type Database, openPostgres, openSqlite } from "../../src/store/index.js";
import { runCli, startServe, stop } from "./cli.js";
import { TEST_PG_URL } from "./postgres.js";

export type StoreKind = "sqlite" | "postgres";

export interface LogStore {
  kind: StoreKind;
  /** The data folder: SQLite database and the log key (`log.key`). */
  dir: string;
  keyFile: string;
  /** `log serve` arguments for this store (plus `extra`), listening on `port`. */
  serveArgs(port: number, extra?: string[]): string[];
  /** The store opened in this process; close it before a server uses it (SQLite: one writer). */
  open(): Promise<Database>;
  /** The log's verifier key, as `crosscheck log vkey` prints it (the key file must exist). */
  verifierKey(): Promise<string>;
  /** Removes the folder and drops the schema. */
  dispose(): Promise<void>;
}

let counter = 0;

/**
 * A new, empty store. With `makeKey`, `crosscheck keygen` writes DIR/log.key first (required for
 * PostgreSQL, Decision 1); without it a SQLite `log serve` creates the key on its first start.
 */
export async function createLogStore(
  kind: StoreKind,
  options: { origin: string; makeKey: boolean },
): Promise<LogStore> {
  const dir = mkdtempSync(join(tmpdir(), `crosscheck-e2e-${kind}-`));
  const keyFile = join(dir, "log.key");
  if (options.makeKey) {
    const made = await runCli(["keygen", "--name", options.origin, "--out", keyFile]);
    if (made.code !== 0) throw new Error(`keygen failed (${made.code}): ${made.stderr}`);
  }
  const schema = `e2e_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  const pgUrl = new URL(TEST_PG_URL);
  pgUrl.searchParams.set("schema", schema);
  const opened: Database[] = [];
  return {
    kind,
    dir,
    keyFile,
    serveArgs(port, extra = []) {
      const base = ["--data", dir, "--port", String(port), "--origin", options.origin];
      const pg = kind === "postgres" ? ["--database", pgUrl.toString(), "--log-key", keyFile] : [];
      return [...base, ...pg, ...extra];
    },
    async open() {
      const db =
        kind === "sqlite"
          ? openSqlite(join(dir, "crosscheck.sqlite"))
          : await openPostgres(TEST_PG_URL, { schema });
      opened.push(db);
      return db;
    },
    async verifierKey() {
      const printed = await runCli(["log", "vkey", "--data", dir]);
      if (printed.code !== 0)
        throw new Error(`log vkey failed (${printed.code}): ${printed.stderr}`);
      return printed.stdout.trim();
    },
    async dispose() {
      for (const db of opened) await db.close().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
      if (kind !== "postgres") return;
      const sql = postgres(TEST_PG_URL, { max: 1, onnotice: () => {} });
      try {
        await sql.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await sql.end({ timeout: 5 });
      }
    },
  };
}

/** Every `log serve` child a test started, so `afterAll` can make sure none outlives the file. */
const children = new Set<ChildProcess>();

export interface ServedLog {
  child: ChildProcess;
  port: number;
  /** http://127.0.0.1:PORT/log */
  url: string;
  stderr: () => string;
}

/** Starts `crosscheck log serve` on `port` and resolves once it listens. */
export async function serveLog(store: LogStore, port: number, extra?: string[]) {
  const served = await startServe(store.serveArgs(port, extra));
  children.add(served.child);
  served.child.once("exit", () => children.delete(served.child));
  const log: ServedLog = { ...served, port, url: `http://127.0.0.1:${port}/log` };
  return log;
}

/** SIGKILLs every child still running (for `afterAll` and `finally`). */
export async function killAllServers(): Promise<void> {
  await Promise.all([...children].map((c) => stop(c, "SIGKILL")));
}
