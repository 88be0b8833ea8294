/**
 * PostgreSQL for tests: the URL comes from CROSSCHECK_TEST_PG (default: the CI machine's server).
 * Each caller gets a fresh schema, dropped afterwards. When PostgreSQL cannot be reached, tests
 * skip locally but fail under CI=true: a CI run that silently skipped them would prove nothing.
 */
import postgres from "postgres";
import { openPostgres, type PostgresDatabase } from "../../src/store/index.js";

export const TEST_PG_URL =
  process.env.CROSSCHECK_TEST_PG ?? "postgres://postgres@127.0.0.1:5432/test";

async function probe(): Promise<boolean> {
  const sql = postgres(TEST_PG_URL, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await sql`SELECT 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

export const postgresReachable: boolean = await probe();

if (!postgresReachable && process.env.CI === "true") {
  throw new Error(
    `PostgreSQL is not reachable at ${TEST_PG_URL}, and CI=true: PostgreSQL tests must run in CI.`,
  );
}

let counter = 0;

/** A connection to a new, empty schema; `drop()` removes it and closes the connection. */
export async function freshPostgres(): Promise<
  PostgresDatabase & { drop(): Promise<void>; url: string }
> {
  const schema = `t_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  const database = await openPostgres(TEST_PG_URL, { schema });
  return Object.assign(database, {
    url: TEST_PG_URL,
    async drop() {
      await database.sql.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await database.close();
    },
  });
}
