import type { Database } from "../../store/index.js";
import { migrate } from "../../store/index.js";
import { openPostgresAccountStore } from "./postgres.js";
import { openSqliteAccountStore } from "./sqlite.js";
import type { AccountStore } from "./storage.js";

export * from "./storage.js";

/** The account store on whichever database the service runs on; brings the schema up to date. */
export async function openAccountStore(database: Database): Promise<AccountStore> {
  await migrate(database);
  return database.kind === "sqlite"
    ? openSqliteAccountStore(database)
    : openPostgresAccountStore(database);
}
