/**
 * Every schema change of the project, in order, for both databases. A migration runs once, inside
 * a transaction, and is recorded in `schema_migrations`; on PostgreSQL an advisory lock keeps two
 * processes starting at once from racing. Never edit a migration that has shipped: add one.
 */
import type { Database } from "./database.js";
import type { Migration } from "./migration.js";
import { GATEWAY_STATISTICS } from "./migrations/gateway-statistics.js";
import { LOG_CHECKPOINTS } from "./migrations/log-checkpoints.js";
import { REBUILDS } from "./migrations/rebuilds.js";
import { REPLICAS } from "./migrations/replicas.js";
import { REVIEW_WORKSPACE } from "./migrations/review-workspace.js";

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: "transparency logs",
    // One row per log in `logs` holds the whole integrated state, so integration is a single
    // compare-and-set on (id, size). Tiles and entry bundles are stored whole: a partial one is
    // overwritten as it grows, and a shorter partial is always a prefix of the stored bytes.
    sqlite: `
      CREATE TABLE logs (
        id INTEGER PRIMARY KEY,
        origin TEXT NOT NULL UNIQUE,
        verifier_key TEXT NOT NULL,
        size INTEGER NOT NULL,
        root BLOB NOT NULL,
        peaks BLOB NOT NULL,
        checkpoint TEXT NOT NULL
      );
      CREATE TABLE log_dedup (
        log_id INTEGER NOT NULL,
        leaf_hash BLOB NOT NULL,
        idx INTEGER NOT NULL,
        PRIMARY KEY (log_id, leaf_hash)
      ) WITHOUT ROWID;
      CREATE TABLE log_tiles (
        log_id INTEGER NOT NULL,
        level INTEGER NOT NULL,
        idx INTEGER NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (log_id, level, idx)
      );
      CREATE TABLE log_bundles (
        log_id INTEGER NOT NULL,
        idx INTEGER NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (log_id, idx)
      );
    `,
    postgres: `
      CREATE TABLE logs (
        id BIGSERIAL PRIMARY KEY,
        origin TEXT NOT NULL UNIQUE,
        verifier_key TEXT NOT NULL,
        size BIGINT NOT NULL,
        root BYTEA NOT NULL,
        peaks BYTEA NOT NULL,
        checkpoint TEXT NOT NULL
      );
      CREATE TABLE log_dedup (
        log_id BIGINT NOT NULL,
        leaf_hash BYTEA NOT NULL,
        idx BIGINT NOT NULL,
        PRIMARY KEY (log_id, leaf_hash)
      );
      CREATE TABLE log_tiles (
        log_id BIGINT NOT NULL,
        level INTEGER NOT NULL,
        idx BIGINT NOT NULL,
        data BYTEA NOT NULL,
        PRIMARY KEY (log_id, level, idx)
      );
      CREATE TABLE log_bundles (
        log_id BIGINT NOT NULL,
        idx BIGINT NOT NULL,
        data BYTEA NOT NULL,
        PRIMARY KEY (log_id, idx)
      );
    `,
  },
  {
    version: 2,
    name: "witnesses",
    // The newest checkpoint a log's witness quorum cosigned (served when witnesses are configured),
    // and a witness's own state: per log, the newest checkpoint it cosigned, and the refused
    // requests it keeps as evidence of misbehaviour.
    sqlite: `
      ALTER TABLE logs ADD COLUMN cosigned_size INTEGER NOT NULL DEFAULT -1;
      ALTER TABLE logs ADD COLUMN cosigned_checkpoint TEXT;
      CREATE TABLE witness_logs (
        origin TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        root BLOB NOT NULL,
        checkpoint TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE witness_evidence (
        id INTEGER PRIMARY KEY,
        origin TEXT NOT NULL,
        kind TEXT NOT NULL,
        cosigned_checkpoint TEXT NOT NULL,
        request TEXT NOT NULL,
        received_at TEXT NOT NULL
      );
    `,
    postgres: `
      ALTER TABLE logs ADD COLUMN cosigned_size BIGINT NOT NULL DEFAULT -1;
      ALTER TABLE logs ADD COLUMN cosigned_checkpoint TEXT;
      CREATE TABLE witness_logs (
        origin TEXT PRIMARY KEY,
        size BIGINT NOT NULL,
        root BYTEA NOT NULL,
        checkpoint TEXT NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL
      );
      CREATE TABLE witness_evidence (
        id BIGSERIAL PRIMARY KEY,
        origin TEXT NOT NULL,
        kind TEXT NOT NULL,
        cosigned_checkpoint TEXT NOT NULL,
        request TEXT NOT NULL,
        received_at TIMESTAMPTZ NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: "release pipeline",
    // Releases, their heads and reviews as submitted (the envelopes are also in the log), the
    // analysis jobs (claimed atomically, re-queued if their process died), and API tokens (SHA-256
    // of the token only). Timestamps are RFC 3339 text in both databases.
    sqlite: `
      CREATE TABLE api_tokens (
        token_sha256 TEXT PRIMARY KEY,
        role TEXT NOT NULL,
        name TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE releases (
        id INTEGER PRIMARY KEY,
        channel TEXT NOT NULL,
        version TEXT NOT NULL,
        envelope_sha256 TEXT NOT NULL UNIQUE,
        envelope TEXT NOT NULL,
        status TEXT NOT NULL,
        log_index BIGINT NOT NULL,
        report TEXT,
        report_sha256 TEXT,
        submitted_at TEXT NOT NULL,
        published_at TEXT,
        UNIQUE (channel, version)
      );
      CREATE TABLE release_heads (
        id INTEGER PRIMARY KEY,
        release_id INTEGER NOT NULL REFERENCES releases (id),
        envelope_sha256 TEXT NOT NULL UNIQUE,
        envelope TEXT NOT NULL,
        issued TEXT NOT NULL,
        expires TEXT NOT NULL,
        log_index BIGINT NOT NULL
      );
      CREATE TABLE release_reviews (
        id INTEGER PRIMARY KEY,
        release_id INTEGER NOT NULL REFERENCES releases (id),
        envelope_sha256 TEXT NOT NULL UNIQUE,
        envelope TEXT NOT NULL,
        organization TEXT NOT NULL,
        reviewer_keyid TEXT NOT NULL,
        verdict TEXT NOT NULL,
        log_index BIGINT NOT NULL,
        submitted_at TEXT NOT NULL
      );
      CREATE TABLE analysis_jobs (
        id INTEGER PRIMARY KEY,
        release_id INTEGER NOT NULL REFERENCES releases (id),
        analyzer TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        report TEXT,
        report_sha256 TEXT,
        error TEXT,
        updated_at TEXT NOT NULL,
        UNIQUE (release_id, analyzer)
      );
      CREATE INDEX analysis_jobs_queued ON analysis_jobs (status, id);
    `,
    postgres: `
      CREATE TABLE api_tokens (
        token_sha256 TEXT PRIMARY KEY,
        role TEXT NOT NULL,
        name TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE releases (
        id SERIAL PRIMARY KEY,
        channel TEXT NOT NULL,
        version TEXT NOT NULL,
        envelope_sha256 TEXT NOT NULL UNIQUE,
        envelope TEXT NOT NULL,
        status TEXT NOT NULL,
        log_index BIGINT NOT NULL,
        report TEXT,
        report_sha256 TEXT,
        submitted_at TEXT NOT NULL,
        published_at TEXT,
        UNIQUE (channel, version)
      );
      CREATE TABLE release_heads (
        id SERIAL PRIMARY KEY,
        release_id INTEGER NOT NULL REFERENCES releases (id),
        envelope_sha256 TEXT NOT NULL UNIQUE,
        envelope TEXT NOT NULL,
        issued TEXT NOT NULL,
        expires TEXT NOT NULL,
        log_index BIGINT NOT NULL
      );
      CREATE TABLE release_reviews (
        id SERIAL PRIMARY KEY,
        release_id INTEGER NOT NULL REFERENCES releases (id),
        envelope_sha256 TEXT NOT NULL UNIQUE,
        envelope TEXT NOT NULL,
        organization TEXT NOT NULL,
        reviewer_keyid TEXT NOT NULL,
        verdict TEXT NOT NULL,
        log_index BIGINT NOT NULL,
        submitted_at TEXT NOT NULL
      );
      CREATE TABLE analysis_jobs (
        id SERIAL PRIMARY KEY,
        release_id INTEGER NOT NULL REFERENCES releases (id),
        analyzer TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        report TEXT,
        report_sha256 TEXT,
        error TEXT,
        updated_at TEXT NOT NULL,
        UNIQUE (release_id, analyzer)
      );
      CREATE INDEX analysis_jobs_queued ON analysis_jobs (status, id);
    `,
  },
  {
    version: 4,
    name: "gateway spool",
    // The telemetry gateway's durable spool: one row per accepted batch (the body is freed once
    // the vendor took it), its per-record decisions, and quarantined samples' metadata.
    // `audit_index` and `delivery_index` are where the batch's two audit entries landed in the
    // gateway's audit log (an outbox: each is appended after commit and retried until it lands).
    // `gateway_spool` is a single counter row so the back-pressure check is one guarded UPDATE,
    // exact under concurrent writers, instead of a SUM over the pending rows. Due and lease times
    // are milliseconds since the epoch (compared, never shown); the rest is RFC 3339 text.
    sqlite: `
      CREATE TABLE gateway_spool (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        pending_batches INTEGER NOT NULL,
        pending_bytes INTEGER NOT NULL
      );
      INSERT INTO gateway_spool (id, pending_batches, pending_bytes) VALUES (1, 0, 0);
      CREATE TABLE gateway_batches (
        id INTEGER PRIMARY KEY,
        tenant TEXT NOT NULL,
        region TEXT NOT NULL,
        sender_key TEXT,
        idempotency_key TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        content_type TEXT NOT NULL,
        headers TEXT NOT NULL,
        body BLOB,
        records INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        lease_until INTEGER NOT NULL DEFAULT 0,
        received_at TEXT NOT NULL,
        sent_at TEXT,
        sent_to TEXT,
        upstream_status INTEGER,
        last_error TEXT,
        audit_entry BLOB,
        audit_index INTEGER,
        delivery_index INTEGER,
        UNIQUE (tenant, sender_key)
      );
      CREATE INDEX gateway_batches_due ON gateway_batches (next_attempt_at, id) WHERE state = 'pending';
      CREATE INDEX gateway_batches_unaudited ON gateway_batches (id) WHERE audit_index IS NULL;
      CREATE INDEX gateway_batches_undelivered ON gateway_batches (id)
        WHERE state IN ('sent', 'rejected') AND delivery_index IS NULL;
      CREATE INDEX gateway_batches_tenant ON gateway_batches (tenant, id);
      -- A batch's decisions, one JSON array per batch: a row per record would cost more than
      -- the whole rest of the pipeline (issue 7's throughput target).
      CREATE TABLE gateway_decisions (
        batch_id INTEGER PRIMARY KEY REFERENCES gateway_batches (id),
        decisions TEXT NOT NULL
      );
      CREATE TABLE gateway_quarantine (
        id INTEGER PRIMARY KEY,
        tenant TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        detected_type TEXT NOT NULL,
        reason TEXT NOT NULL,
        received_at TEXT NOT NULL,
        batch_id INTEGER REFERENCES gateway_batches (id)
      );
      CREATE INDEX gateway_quarantine_tenant ON gateway_quarantine (tenant, id);
    `,
    postgres: `
      CREATE TABLE gateway_spool (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        pending_batches BIGINT NOT NULL,
        pending_bytes BIGINT NOT NULL
      );
      INSERT INTO gateway_spool (id, pending_batches, pending_bytes) VALUES (1, 0, 0);
      CREATE TABLE gateway_batches (
        id BIGSERIAL PRIMARY KEY,
        tenant TEXT NOT NULL,
        region TEXT NOT NULL,
        sender_key TEXT,
        idempotency_key TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        content_type TEXT NOT NULL,
        headers TEXT NOT NULL,
        body BYTEA,
        records INTEGER NOT NULL,
        bytes BIGINT NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at BIGINT NOT NULL,
        lease_until BIGINT NOT NULL DEFAULT 0,
        received_at TEXT NOT NULL,
        sent_at TEXT,
        sent_to TEXT,
        upstream_status INTEGER,
        last_error TEXT,
        audit_entry BYTEA,
        audit_index BIGINT,
        delivery_index BIGINT,
        UNIQUE (tenant, sender_key)
      );
      CREATE INDEX gateway_batches_due ON gateway_batches (next_attempt_at, id) WHERE state = 'pending';
      CREATE INDEX gateway_batches_unaudited ON gateway_batches (id) WHERE audit_index IS NULL;
      CREATE INDEX gateway_batches_undelivered ON gateway_batches (id)
        WHERE state IN ('sent', 'rejected') AND delivery_index IS NULL;
      CREATE INDEX gateway_batches_tenant ON gateway_batches (tenant, id);
      -- A batch's decisions, one JSON array per batch: a row per record would cost more than
      -- the whole rest of the pipeline (issue 7's throughput target).
      CREATE TABLE gateway_decisions (
        batch_id BIGINT PRIMARY KEY REFERENCES gateway_batches (id),
        decisions TEXT NOT NULL
      );
      CREATE TABLE gateway_quarantine (
        id BIGSERIAL PRIMARY KEY,
        tenant TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        size BIGINT NOT NULL,
        detected_type TEXT NOT NULL,
        reason TEXT NOT NULL,
        received_at TEXT NOT NULL,
        batch_id BIGINT REFERENCES gateway_batches (id)
      );
      CREATE INDEX gateway_quarantine_tenant ON gateway_quarantine (tenant, id);
    `,
  },
  {
    version: 5,
    name: "accounts, concerns, vulnerability reports",
    // People sign in to the portal (Decision 16): users with scrypt hashes (salt and parameters in
    // the encoded hash), sessions keyed by the SHA-256 of the cookie's token (a stolen database
    // holds no usable session), and what they write: concerns with answers (each also logged;
    // `log_index` is set once the log took the entry) and vulnerability reports.
    sqlite: `
      CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users (id),
        csrf_sha256 TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
      );
      CREATE INDEX sessions_user ON sessions (user_id);
      CREATE TABLE concerns (
        id INTEGER PRIMARY KEY,
        target_kind TEXT NOT NULL,
        target_ref TEXT NOT NULL,
        text TEXT NOT NULL,
        author TEXT NOT NULL,
        role TEXT NOT NULL,
        created_at TEXT NOT NULL,
        log_index INTEGER
      );
      CREATE INDEX concerns_target ON concerns (target_ref, id);
      CREATE TABLE concern_answers (
        id INTEGER PRIMARY KEY,
        concern_id INTEGER NOT NULL REFERENCES concerns (id),
        text TEXT NOT NULL,
        author TEXT NOT NULL,
        role TEXT NOT NULL,
        created_at TEXT NOT NULL,
        log_index INTEGER
      );
      CREATE INDEX concern_answers_concern ON concern_answers (concern_id, id);
      CREATE TABLE vulnerability_reports (
        id INTEGER PRIMARY KEY,
        title TEXT NOT NULL,
        description TEXT NOT NULL,
        contact TEXT NOT NULL,
        product TEXT,
        severity TEXT,
        status TEXT NOT NULL,
        award_cents INTEGER,
        fixed_in TEXT,
        received_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX vulnerability_reports_status ON vulnerability_reports (status, id);
    `,
    postgres: `
      CREATE TABLE users (
        id SERIAL PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        disabled BOOLEAN NOT NULL DEFAULT FALSE
      );
      CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users (id),
        csrf_sha256 TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
      );
      CREATE INDEX sessions_user ON sessions (user_id);
      CREATE TABLE concerns (
        id SERIAL PRIMARY KEY,
        target_kind TEXT NOT NULL,
        target_ref TEXT NOT NULL,
        text TEXT NOT NULL,
        author TEXT NOT NULL,
        role TEXT NOT NULL,
        created_at TEXT NOT NULL,
        log_index BIGINT
      );
      CREATE INDEX concerns_target ON concerns (target_ref, id);
      CREATE TABLE concern_answers (
        id SERIAL PRIMARY KEY,
        concern_id INTEGER NOT NULL REFERENCES concerns (id),
        text TEXT NOT NULL,
        author TEXT NOT NULL,
        role TEXT NOT NULL,
        created_at TEXT NOT NULL,
        log_index BIGINT
      );
      CREATE INDEX concern_answers_concern ON concern_answers (concern_id, id);
      CREATE TABLE vulnerability_reports (
        id SERIAL PRIMARY KEY,
        title TEXT NOT NULL,
        description TEXT NOT NULL,
        contact TEXT NOT NULL,
        product TEXT,
        severity TEXT,
        status TEXT NOT NULL,
        award_cents BIGINT,
        fixed_in TEXT,
        received_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX vulnerability_reports_status ON vulnerability_reports (status, id);
    `,
  },
  {
    version: 6,
    name: "release list indexes",
    // The portal pages through releases newest first, by channel and status (issue 8: 100,000
    // releases must list in under 200 ms, so no filter may scan the table).
    sqlite: `
      CREATE INDEX releases_channel_id ON releases (channel, id);
      CREATE INDEX releases_status_id ON releases (status, id);
      CREATE INDEX releases_channel_status_id ON releases (channel, status, id);
    `,
    postgres: `
      CREATE INDEX releases_channel_id ON releases (channel, id);
      CREATE INDEX releases_status_id ON releases (status, id);
      CREATE INDEX releases_channel_status_id ON releases (channel, status, id);
    `,
  },
  // Newer migrations live one per file in ./migrations/, named for what they add.
  LOG_CHECKPOINTS,
  GATEWAY_STATISTICS,
  REVIEW_WORKSPACE,
  REBUILDS,
  REPLICAS,
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

export async function migrate(database: Database): Promise<void> {
  if (database.kind === "sqlite") {
    const { db } = database;
    db.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
    );
    const applyAll = db.transaction(() => {
      const row = db.prepare("SELECT MAX(version) AS v FROM schema_migrations").get() as {
        v: number | null;
      };
      for (const m of MIGRATIONS) {
        if (m.version <= (row.v ?? 0)) continue;
        db.exec(m.sqlite);
        db.prepare(
          "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
        ).run(m.version, m.name, new Date().toISOString());
      }
    });
    applyAll.immediate();
    return;
  }
  const { sql } = database;
  await sql.begin(async (tx) => {
    // One key for the whole project: migrations of one schema never run twice at once.
    await tx`SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':crosscheck-migrations'))`;
    await tx`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`;
    const [row] = await tx<{ v: number | null }[]>`SELECT MAX(version) AS v FROM schema_migrations`;
    for (const m of MIGRATIONS) {
      if (m.version <= (row?.v ?? 0)) continue;
      await tx.unsafe(m.postgres);
      await tx`INSERT INTO schema_migrations (version, name) VALUES (${m.version}, ${m.name})`;
    }
  });
}
