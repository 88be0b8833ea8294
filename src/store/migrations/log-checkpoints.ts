import type { Migration } from "../migration.js";

/**
 * The checkpoints a log published, for the Transparency Center's "checkpoints over time with
 * cosignatures" (issue 8): one row per published tree size, never one per entry. A witnessed log
 * records a checkpoint once its witness quorum cosigned it (the note as served, with the
 * cosignature lines; a late witness's cosignature updates the row of the same size); a log without
 * witnesses records every checkpoint it signs, in the transaction that integrates its batch.
 * `published_at` is RFC 3339 text, set when the size was first published. The primary key is the
 * cursor: pages walk (log_id, size) backwards, whatever the table's size.
 */
export const LOG_CHECKPOINTS: Migration = {
  version: 7,
  name: "log checkpoint history",
  sqlite: `
    CREATE TABLE log_checkpoints (
      log_id INTEGER NOT NULL,
      size INTEGER NOT NULL,
      root BLOB NOT NULL,
      checkpoint TEXT NOT NULL,
      published_at TEXT NOT NULL,
      PRIMARY KEY (log_id, size)
    ) WITHOUT ROWID;
  `,
  postgres: `
    CREATE TABLE log_checkpoints (
      log_id BIGINT NOT NULL,
      size BIGINT NOT NULL,
      root BYTEA NOT NULL,
      checkpoint TEXT NOT NULL,
      published_at TEXT NOT NULL,
      PRIMARY KEY (log_id, size)
    );
  `,
};
