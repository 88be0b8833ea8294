import type { Migration } from "../migration.js";

/**
 * Rebuilders' signed statements about releases (issue 10): one row per statement as submitted
 * (the log holds it too, at `log_index`), with who signed it and the status it reports, so the
 * service can count GOOD organisations, honour a BAD veto and bundle them without reopening every
 * envelope. A key may follow its FAIL or UNKNOWN with a new attempt; the service refuses a second
 * GOOD or BAD from one key, so no unique key on (release, rebuilder) here.
 */
export const REBUILDS: Migration = {
  version: 10,
  name: "rebuilds",
  sqlite: `
    CREATE TABLE release_rebuilds (
      id INTEGER PRIMARY KEY,
      release_id INTEGER NOT NULL REFERENCES releases (id),
      envelope_sha256 TEXT NOT NULL UNIQUE,
      envelope TEXT NOT NULL,
      organization TEXT NOT NULL,
      rebuilder_keyid TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('GOOD', 'BAD', 'FAIL', 'UNKNOWN')),
      log_index BIGINT NOT NULL,
      submitted_at TEXT NOT NULL
    );
    CREATE INDEX release_rebuilds_release ON release_rebuilds (release_id, id);
  `,
  postgres: `
    CREATE TABLE release_rebuilds (
      id BIGSERIAL PRIMARY KEY,
      release_id BIGINT NOT NULL REFERENCES releases (id),
      envelope_sha256 TEXT NOT NULL UNIQUE,
      envelope TEXT NOT NULL,
      organization TEXT NOT NULL,
      rebuilder_keyid TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('GOOD', 'BAD', 'FAIL', 'UNKNOWN')),
      log_index BIGINT NOT NULL,
      submitted_at TEXT NOT NULL
    );
    CREATE INDEX release_rebuilds_release ON release_rebuilds (release_id, id);
  `,
};
