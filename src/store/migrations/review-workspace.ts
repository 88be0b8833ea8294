import type { Migration } from "../migration.js";

export const REVIEW_WORKSPACE: Migration = {
  version: 9,
  name: "review workspace",
  sqlite: "SELECT 1;",
  postgres: "SELECT 1;",
};
