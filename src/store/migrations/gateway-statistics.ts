import type { Migration } from "../migration.js";

/**
 * The gateway's per-day counters, for the Transparency Center's telemetry page. A batch updates
 * them in the transaction that stores it (and a sent batch when it is marked sent), so they
 * never disagree with the spool, and reading them never scans the decisions: a few rows per
 * batch, never one per record (issue 7's throughput target). Days are UTC dates (`YYYY-MM-DD`,
 * text in both databases, so they sort and compare as dates). `event_type` is a declared event's
 * name, or a bucket a name cannot take: `(none)`, `(undeclared)`. Counting starts at this
 * migration: batches spooled before it are not counted.
 */
export const GATEWAY_STATISTICS: Migration = {
  version: 8,
  name: "gateway statistics",
  sqlite: `
    CREATE TABLE gateway_daily_events (
      day TEXT NOT NULL,
      tenant TEXT NOT NULL,
      region TEXT NOT NULL,
      event_type TEXT NOT NULL,
      records INTEGER NOT NULL,
      forwarded INTEGER NOT NULL,
      blocked INTEGER NOT NULL,
      quarantined INTEGER NOT NULL,
      bytes_in INTEGER NOT NULL,
      bytes_out INTEGER NOT NULL,
      PRIMARY KEY (day, tenant, region, event_type)
    ) WITHOUT ROWID;
    CREATE TABLE gateway_daily_redactions (
      day TEXT NOT NULL,
      tenant TEXT NOT NULL,
      entity TEXT NOT NULL,
      redactions INTEGER NOT NULL,
      PRIMARY KEY (day, tenant, entity)
    ) WITHOUT ROWID;
    CREATE TABLE gateway_daily_deliveries (
      day TEXT NOT NULL,
      region TEXT NOT NULL,
      destination TEXT NOT NULL,
      batches INTEGER NOT NULL,
      bytes INTEGER NOT NULL,
      PRIMARY KEY (day, region, destination)
    ) WITHOUT ROWID;
  `,
  postgres: `
    CREATE TABLE gateway_daily_events (
      day TEXT NOT NULL,
      tenant TEXT NOT NULL,
      region TEXT NOT NULL,
      event_type TEXT NOT NULL,
      records BIGINT NOT NULL,
      forwarded BIGINT NOT NULL,
      blocked BIGINT NOT NULL,
      quarantined BIGINT NOT NULL,
      bytes_in BIGINT NOT NULL,
      bytes_out BIGINT NOT NULL,
      PRIMARY KEY (day, tenant, region, event_type)
    );
    CREATE TABLE gateway_daily_redactions (
      day TEXT NOT NULL,
      tenant TEXT NOT NULL,
      entity TEXT NOT NULL,
      redactions BIGINT NOT NULL,
      PRIMARY KEY (day, tenant, entity)
    );
    CREATE TABLE gateway_daily_deliveries (
      day TEXT NOT NULL,
      region TEXT NOT NULL,
      destination TEXT NOT NULL,
      batches BIGINT NOT NULL,
      bytes BIGINT NOT NULL,
      PRIMARY KEY (day, region, destination)
    );
  `,
};
