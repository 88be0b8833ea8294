import type { Migration } from "../migration.js";

/**
 * Several `crosscheck serve` replicas on one PostgreSQL (issue 11).
 *
 * - `leases`: one row per role that exactly one replica may hold at a time (`log:<origin>`, the
 *   sequencer of that log). `token` grows by one at every change of holder: it is the fencing token
 *   the holder's integration transaction checks, so a replica that lost its lease (paused, cut off)
 *   can never write again. `backend_pid` is the holder's database session, so a holder that died
 *   (its session is gone) is replaced at once instead of after `expires_at`.
 * - `log_pending`: adds accepted by a replica that does not sequence the log, waiting for the one
 *   that does. The sequencer deletes the rows it integrated in the integration's own transaction.
 * - `analysis_jobs.claimed_by` / `lease_expires`: who runs a job and until when, renewed while it
 *   runs; only a job whose lease expired is taken from a replica (never a live replica's job).
 *
 * SQLite is one process's database: it gets the job columns (the same code claims jobs) only.
 */
export const REPLICAS: Migration = {
  version: 11,
  name: "replicas",
  sqlite: `
    ALTER TABLE analysis_jobs ADD COLUMN claimed_by TEXT;
    ALTER TABLE analysis_jobs ADD COLUMN lease_expires TEXT;
  `,
  postgres: `
    CREATE TABLE leases (
      name TEXT PRIMARY KEY,
      holder TEXT NOT NULL,
      token BIGINT NOT NULL,
      backend_pid INTEGER,
      acquired_at TIMESTAMPTZ NOT NULL,
      expires_at TIMESTAMPTZ NOT NULL
    );
    CREATE TABLE log_pending (
      id BIGSERIAL PRIMARY KEY,
      log_id BIGINT NOT NULL,
      entry BYTEA NOT NULL,
      queued_at TIMESTAMPTZ NOT NULL DEFAULT now()
    );
    CREATE INDEX log_pending_log ON log_pending (log_id, id);
    ALTER TABLE analysis_jobs ADD COLUMN claimed_by TEXT;
    ALTER TABLE analysis_jobs ADD COLUMN lease_expires TIMESTAMPTZ;
  `,
};
