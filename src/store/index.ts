export {
  type Database,
  isPostgresUrl,
  openPostgres,
  openSqlite,
  type PostgresDatabase,
  type PostgresOptions,
  redactUrl,
  type SqliteDatabase,
} from "./database.js";
export { type DurableWriteOptions, syncDirectory, writeFileDurably } from "./durable-file.js";
export { migrate, SCHEMA_VERSION } from "./migrations.js";
