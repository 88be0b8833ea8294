/**
 * Connections to the two databases Crosscheck runs on: SQLite (embedded, the default: one file in
 * the data folder) and PostgreSQL (shared, for scale). Services write their own SQL for each; this
 * module only opens, configures and closes connections.
 */
import BetterSqlite3 from "better-sqlite3";
import postgres from "postgres";
import { CrosscheckError } from "../errors/index.js";

export interface SqliteDatabase {
  readonly kind: "sqlite";
  readonly db: BetterSqlite3.Database;
  readonly path: string;
  close(): Promise<void>;
}

export interface PostgresDatabase {
  readonly kind: "postgres";
  readonly sql: postgres.Sql;
  /** The schema every table lives in (`public` unless a test asked for its own). */
  readonly schema: string;
  close(): Promise<void>;
}

export type Database = SqliteDatabase | PostgresDatabase;

export function isPostgresUrl(target: string): boolean {
  return target.startsWith("postgres://") || target.startsWith("postgresql://");
}

/**
 * Opens SQLite at `path` with write-ahead logging and `synchronous=FULL`: a transaction that has
 * returned is on disk, which is what "acknowledged" means for the log.
 */
export function openSqlite(path: string): SqliteDatabase {
  let db: BetterSqlite3.Database;
  try {
    db = new BetterSqlite3(path);
  } catch (err) {
    throw new CrosscheckError(
      "E_DB_OPEN",
      `Cannot open the SQLite database ${path}: ${(err as Error).message}. Check that the folder exists and is writable.`,
      { cause: err },
    );
  }
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("busy_timeout = 5000");
  db.pragma("foreign_keys = ON");
  return {
    kind: "sqlite",
    db,
    path,
    async close() {
      db.close();
    },
  };
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * How a process uses PostgreSQL: its pool and timeouts. `crosscheck serve` sets them from its
 * `--db-*` options; the defaults suit a test or a single process.
 */
export interface PostgresOptions {
  schema?: string;
  /**
   * Most connections in the pool, LISTEN's own connection aside. Each log's sequencer lease keeps
   * one of them reserved (held or not), and start-up holds one more for its lock.
   */
  max?: number;
  /** Seconds to wait for a new connection before the query fails. */
  connectTimeoutSeconds?: number;
  /** Seconds an unused pooled connection stays open. */
  idleTimeoutSeconds?: number;
  /** Seconds a connection lives at most (spreads reconnects after a failover of PostgreSQL). */
  maxLifetimeSeconds?: number;
  /** The sessions' statement_timeout in milliseconds: a statement running longer is cancelled. */
  statementTimeoutMs?: number;
  /** Keep trying to reach the server this long at start (a replica started before PostgreSQL). */
  retryForMs?: number;
}

/**
 * Connects to PostgreSQL and checks the connection with one round trip, so a wrong URL fails at
 * start-up with a clear message rather than at the first write. `schema` (tests) isolates tables.
 */
export async function openPostgres(
  url: string,
  options: PostgresOptions = {},
): Promise<PostgresDatabase> {
  // `?schema=name` in the URL keeps Crosscheck's tables in their own schema (one per test run, or
  // one per deployment sharing a database); postgres.js never sees the parameter.
  const parsed = new URL(url);
  const schema = options.schema ?? parsed.searchParams.get("schema") ?? "public";
  parsed.searchParams.delete("schema");
  url = parsed.toString();
  if (!SCHEMA_NAME.test(schema)) {
    throw new CrosscheckError(
      "E_DB_SCHEMA",
      `The schema name ${JSON.stringify(schema)} is not a plain lower-case identifier.`,
    );
  }
  const deadline = Date.now() + (options.retryForMs ?? 0);
  for (let wait = 250; ; wait = Math.min(wait * 2, 2000)) {
    const sql = postgres(url, {
      max: options.max ?? 4,
      onnotice: () => {},
      ...(options.connectTimeoutSeconds !== undefined
        ? { connect_timeout: options.connectTimeoutSeconds }
        : {}),
      ...(options.idleTimeoutSeconds !== undefined
        ? { idle_timeout: options.idleTimeoutSeconds }
        : {}),
      ...(options.maxLifetimeSeconds !== undefined
        ? { max_lifetime: options.maxLifetimeSeconds }
        : {}),
      connection: {
        search_path: schema,
        application_name: "crosscheck",
        ...(options.statementTimeoutMs !== undefined
          ? { statement_timeout: options.statementTimeoutMs }
          : {}),
      },
    });
    try {
      if (schema !== "public") await sql.unsafe(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await sql`SELECT 1`;
      return {
        kind: "postgres",
        sql,
        schema,
        async close() {
          await sql.end({ timeout: 5 });
        },
      };
    } catch (err) {
      await sql.end({ timeout: 1 }).catch(() => {});
      if (Date.now() + wait < deadline) {
        await new Promise((resolve) => setTimeout(resolve, wait));
        continue;
      }
      throw new CrosscheckError(
        "E_DB_OPEN",
        `Cannot reach PostgreSQL at ${redactUrl(url)}: ${(err as Error).message}. Check the URL, that the server runs, and that the user may connect.`,
        { cause: err },
      );
    }
  }
}

/** A URL fit for messages and logs: the password, if any, is replaced. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable database URL)";
  }
}
