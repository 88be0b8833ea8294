import type { Database } from "../../store/index.js";
import { openPostgresReleaseStore } from "./postgres.js";
import { openSqliteReleaseStore } from "./sqlite.js";
import type { ReleaseStore } from "./storage.js";

export type * from "./storage.js";

/** The release store on whichever database the service runs on (migrated by the caller). */
export function openReleaseStore(database: Database): ReleaseStore {
  return database.kind === "sqlite"
    ? openSqliteReleaseStore(database)
    : openPostgresReleaseStore(database);
}
