import { type Database, migrate } from "../../store/index.js";
import { openPostgresGatewayStore } from "./postgres.js";
import { openSqliteGatewayStore } from "./sqlite.js";
import type { GatewayStore } from "./storage.js";

export {
  addCounts,
  type BatchTally,
  type Counts,
  type DayRange,
  type EventTally,
  type GatewayStatistics,
  NO_EVENT_TYPE,
  tallyDecisions,
  UNDECLARED_EVENT_TYPE,
  utcDay,
  zeroCounts,
} from "./statistics.js";
export type * from "./storage.js";

/** The gateway store on whichever database the gateway runs on; brings the schema up to date. */
export async function openGatewayStore(database: Database): Promise<GatewayStore> {
  await migrate(database);
  return database.kind === "sqlite"
    ? openSqliteGatewayStore(database)
    : openPostgresGatewayStore(database);
}
