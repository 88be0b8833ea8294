import type { Migration } from "../migration.js";

export const GATEWAY_STATISTICS: Migration = {
  version: 8,
  name: "gateway statistics",
  sqlite: "SELECT 1;",
  postgres: "SELECT 1;",
};
