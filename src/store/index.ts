export {
  type Database,
  isPostgresUrl,
  openPostgres,
  openSqlite,
  type PostgresDatabase,
  redactUrl,
  type SqliteDatabase,
} from "./database.js";
export { migrate, SCHEMA_VERSION } from "./migrations.js";
