import type { Migration } from "../migration.js";

export const LOG_CHECKPOINTS: Migration = {
  version: 7,
  name: "log checkpoint history",
  sqlite: "SELECT 1;",
  postgres: "SELECT 1;",
};
