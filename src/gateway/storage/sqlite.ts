/** The gateway's tables on SQLite (synchronous driver; IMMEDIATE transactions, one writer). */
import type { SqliteDatabase } from "../../store/index.js";
import {
  type BatchTally,
  type Counts,
  countsOf,
  type GatewayStatistics,
  tallyDecisions,
  utcDay,
} from "./statistics.js";
import {
  type BatchRow,
  bytes,
  checkBatchFits,
  decisionRows,
  encodeDecisions,
  type GatewayStore,
  keyInUse,
  newIdempotencyKey,
  type QuarantineRow,
  type Row,
  spoolBatchRow,
  spoolFull,
  type UndeliveredRow,
} from "./storage.js";

const BATCH = `SELECT id, tenant, region, kind, records, bytes, state, attempts,
  received_at AS receivedAt, sent_at AS sentAt, sent_to AS sentTo, upstream_status AS upstreamStatus,
  last_error AS lastError, audit_index AS auditIndex, delivery_index AS deliveryIndex,
  idempotency_key AS idempotencyKey
  FROM gateway_batches`;
const QUARANTINE = `SELECT id, tenant, sha256, size, detected_type AS detectedType, reason,
  received_at AS receivedAt, batch_id AS batchId FROM gateway_quarantine`;

// Counters add up: an upsert per (day, tenant, region, event type) of the batch.
const ADD_EVENTS = `INSERT INTO gateway_daily_events (day, tenant, region, event_type, records,
    forwarded, blocked, quarantined, bytes_in, bytes_out)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (day, tenant, region, event_type) DO UPDATE SET
    records = records + excluded.records, forwarded = forwarded + excluded.forwarded,
    blocked = blocked + excluded.blocked, quarantined = quarantined + excluded.quarantined,
    bytes_in = bytes_in + excluded.bytes_in, bytes_out = bytes_out + excluded.bytes_out`;
const ADD_REDACTIONS = `INSERT INTO gateway_daily_redactions (day, tenant, entity, redactions)
  VALUES (?, ?, ?, ?)
  ON CONFLICT (day, tenant, entity) DO UPDATE SET redactions = redactions + excluded.redactions`;
const ADD_DELIVERY = `INSERT INTO gateway_daily_deliveries (day, region, destination, batches, bytes)
  VALUES (?, ?, ?, 1, ?)
  ON CONFLICT (day, region, destination) DO UPDATE SET
    batches = batches + 1, bytes = bytes + excluded.bytes`;
const SUMS = `SUM(records) AS records, SUM(forwarded) AS forwarded, SUM(blocked) AS blocked,
  SUM(quarantined) AS quarantined, SUM(bytes_in) AS bytes_in, SUM(bytes_out) AS bytes_out`;

/** The bytes as a Buffer without copying them (the driver binds Buffers only). */
const asBuffer = (bytes: Uint8Array) =>
  Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

export function openSqliteGatewayStore(database: SqliteDatabase): GatewayStore {
  const { db } = database;
  const one = <T>(sql: string, ...args: unknown[]) => db.prepare(sql).get(...args) as T | undefined;
  const all = <T>(sql: string, ...args: unknown[]) => db.prepare(sql).all(...args) as T[];
  // The hot path's statements, prepared once (the first batch, after the migrations ran).
  const statements = new Map<string, { run(...args: unknown[]): unknown }>();
  const prepared = (sql: string) => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare<unknown[]>(sql);
      statements.set(sql, statement);
    }
    return statement;
  };

  const addToStatistics = (
    tally: BatchTally,
    where: { day: string; tenant: string; region: string },
  ) => {
    const events = prepared(ADD_EVENTS);
    for (const e of tally.events) {
      events.run(
        where.day,
        where.tenant,
        where.region,
        e.eventType,
        e.records,
        e.forwarded,
        e.blocked,
        e.quarantined,
        e.bytesIn,
        e.bytesOut,
      );
    }
    const redactions = prepared(ADD_REDACTIONS);
    for (const [entity, count] of Object.entries(tally.redactions)) {
      redactions.run(where.day, where.tenant, entity, count);
    }
  };

  // Leaves `pending` exactly once and gives its bytes back to the spool; undefined if it was not pending.
  const finish = (
    id: number,
    set: string,
    args: unknown[],
  ): { bytes: number; region: string } | undefined => {
    const row = one<{ bytes: number; region: string }>(
      `UPDATE gateway_batches SET ${set}, lease_until = 0 WHERE id = ? AND state = 'pending' RETURNING bytes, region`,
      ...args,
      id,
    );
    if (!row) return undefined;
    db.prepare(
      "UPDATE gateway_spool SET pending_batches = pending_batches - 1, pending_bytes = pending_bytes - ? WHERE id = 1",
    ).run(row.bytes);
    return row;
  };

  return {
    async enqueue(batch, limits) {
      checkBatchFits(batch, limits);
      const run = db.transaction(() => {
        if (batch.senderKey !== undefined) {
          const seen = one<{ id: number; key: string }>(
            "SELECT id, idempotency_key AS key FROM gateway_batches WHERE tenant = ? AND sender_key = ?",
            batch.tenant,
            batch.senderKey,
          );
          if (seen) {
            const held = one<{ id: number }>(
              "SELECT id FROM gateway_quarantine WHERE batch_id = ?",
              seen.id,
            );
            return { id: seen.id, duplicate: true, idempotencyKey: seen.key, quarantine: held?.id };
          }
        }
        const pending = batch.records > 0;
        const size = pending ? batch.body.length : 0;
        if (pending) {
          const reserved = db
            .prepare(
              `UPDATE gateway_spool SET pending_batches = pending_batches + 1, pending_bytes = pending_bytes + ?
               WHERE id = 1 AND pending_batches + 1 <= ? AND pending_bytes + ? <= ?`,
            )
            .run(size, limits.maxPendingBatches, size, limits.maxPendingBytes);
          if (reserved.changes !== 1) throw spoolFull(limits);
        }
        const idempotencyKey = batch.idempotencyKey ?? newIdempotencyKey();
        const insert = db.prepare(
          `INSERT INTO gateway_batches (tenant, region, sender_key, idempotency_key, kind, content_type,
               headers, body, records, bytes, state, next_attempt_at, received_at, audit_entry)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)`,
        );
        let inserted: { lastInsertRowid: number | bigint };
        try {
          inserted = insert.run(
            batch.tenant,
            batch.region,
            batch.senderKey ?? null,
            idempotencyKey,
            batch.kind,
            batch.contentType,
            JSON.stringify(batch.headers ?? {}),
            pending ? asBuffer(batch.body) : null,
            batch.records,
            size,
            pending ? "pending" : "empty",
            batch.receivedAt,
            asBuffer(batch.auditEntry),
          );
        } catch (err) {
          if (/idempotency_key/.test((err as Error).message)) throw keyInUse(idempotencyKey, err);
          throw err;
        }
        const id = Number(inserted.lastInsertRowid);
        if (batch.decisions.length > 0) {
          db.prepare("INSERT INTO gateway_decisions (batch_id, decisions) VALUES (?, ?)").run(
            id,
            encodeDecisions(batch.decisions),
          );
        }
        let quarantine: number | undefined;
        if (batch.quarantine) {
          const q = batch.quarantine;
          quarantine = Number(
            db
              .prepare(
                `INSERT INTO gateway_quarantine (tenant, sha256, size, detected_type, reason, received_at, batch_id)
                 VALUES (?, ?, ?, ?, ?, ?, ?)`,
              )
              .run(batch.tenant, q.sha256, q.size, q.detectedType, q.reason, batch.receivedAt, id)
              .lastInsertRowid,
          );
        }
        addToStatistics(batch.tally ?? tallyDecisions(batch.decisions), {
          day: utcDay(batch.receivedAt),
          tenant: batch.tenant,
          region: batch.region,
        });
        return { id, duplicate: false, idempotencyKey, quarantine };
      });
      return run.immediate();
    },

    async spoolStats() {
      const row = one<{ b: number; n: number }>(
        "SELECT pending_batches AS b, pending_bytes AS n FROM gateway_spool WHERE id = 1",
      );
      return { pendingBatches: row?.b ?? 0, pendingBytes: row?.n ?? 0 };
    },

    async claimDue(now, limit, leaseMs) {
      const t = now.getTime();
      const rows = all<Row>(
        `UPDATE gateway_batches SET lease_until = ?, attempts = attempts + 1
         WHERE id IN (SELECT id FROM gateway_batches
           WHERE state = 'pending' AND next_attempt_at <= ? AND lease_until <= ?
           ORDER BY next_attempt_at, id LIMIT ?)
         RETURNING id, tenant, region, idempotency_key, kind, content_type, body, headers, records, attempts`,
        t + leaseMs,
        t,
        t,
        limit,
      );
      return rows.map(spoolBatchRow).sort((a, b) => a.id - b.id);
    },

    async releaseLeases(now) {
      return db
        .prepare(
          "UPDATE gateway_batches SET lease_until = 0, next_attempt_at = MIN(next_attempt_at, ?) WHERE state = 'pending' AND lease_until > 0",
        )
        .run(now.getTime()).changes;
    },

    async markSent(id, result) {
      db.transaction(() => {
        const sent = finish(
          id,
          "state = 'sent', body = NULL, sent_at = ?, sent_to = ?, upstream_status = ?",
          [result.at, result.address, result.status],
        );
        if (sent) {
          prepared(ADD_DELIVERY).run(utcDay(result.at), sent.region, result.address, sent.bytes);
        }
      }).immediate();
    },

    async markRetry(id, result) {
      db.prepare(
        `UPDATE gateway_batches SET next_attempt_at = ?, last_error = ?, sent_to = COALESCE(?, sent_to),
           lease_until = 0 WHERE id = ? AND state = 'pending'`,
      ).run(result.nextAttemptAt.getTime(), result.error, result.address ?? null, id);
    },

    async markRejected(id, result) {
      db.transaction(() =>
        finish(id, "state = 'rejected', upstream_status = ?, last_error = ?, sent_to = ?", [
          result.status,
          result.error,
          result.address,
        ]),
      ).immediate();
    },

    async unaudited(limit) {
      return all<{ id: number; auditEntry: Buffer }>(
        "SELECT id, audit_entry AS auditEntry FROM gateway_batches WHERE audit_index IS NULL ORDER BY id LIMIT ?",
        limit,
      ).map((r) => ({ id: r.id, auditEntry: bytes(r.auditEntry) }));
    },

    async markAudited(id, logIndex) {
      db.prepare(
        "UPDATE gateway_batches SET audit_index = ?, audit_entry = NULL WHERE id = ? AND audit_index IS NULL",
      ).run(logIndex, id);
    },

    async undelivered(limit) {
      return all<UndeliveredRow>(
        `SELECT id, tenant, region, idempotency_key AS idempotencyKey, COALESCE(sent_to, '') AS sentTo,
           COALESCE(upstream_status, 0) AS upstreamStatus, COALESCE(sent_at, received_at) AS at
         FROM gateway_batches
         WHERE state IN ('sent', 'rejected') AND delivery_index IS NULL AND audit_index IS NOT NULL
         ORDER BY id LIMIT ?`,
        limit,
      );
    },

    async markDeliveryLogged(id, logIndex) {
      db.prepare(
        "UPDATE gateway_batches SET delivery_index = ? WHERE id = ? AND delivery_index IS NULL",
      ).run(logIndex, id);
    },

    async batch(id) {
      return one<BatchRow>(`${BATCH} WHERE id = ?`, id);
    },

    async batches(filter) {
      return all<BatchRow>(
        `${BATCH} WHERE (? IS NULL OR tenant = ?) AND (? IS NULL OR id < ?) ORDER BY id DESC LIMIT ?`,
        filter.tenant ?? null,
        filter.tenant ?? null,
        filter.before ?? null,
        filter.before ?? null,
        filter.limit,
      );
    },

    async decisions(batchId) {
      return decisionRows(
        batchId,
        one<Row>("SELECT * FROM gateway_decisions WHERE batch_id = ?", batchId),
      );
    },

    async quarantine(filter) {
      return all<QuarantineRow>(
        `${QUARANTINE} WHERE (? IS NULL OR tenant = ?) ORDER BY id DESC LIMIT ?`,
        filter.tenant ?? null,
        filter.tenant ?? null,
        filter.limit,
      );
    },

    async quarantined(id) {
      return one<QuarantineRow>(`${QUARANTINE} WHERE id = ?`, id);
    },

    async statistics({ from, to }) {
      // One read transaction: the groups agree with each other even while batches commit.
      return db.transaction((): GatewayStatistics => {
        const range = "WHERE day >= ? AND day <= ?";
        const events = all<Row>(
          `SELECT day, event_type, ${SUMS} FROM gateway_daily_events ${range}
           GROUP BY day, event_type ORDER BY day, event_type`,
          from,
          to,
        ).map((r) => ({ day: r.day as string, eventType: r.event_type as string, ...countsOf(r) }));
        const tenantRedactions = new Map(
          all<{ tenant: string; n: number }>(
            `SELECT tenant, SUM(redactions) AS n FROM gateway_daily_redactions ${range} GROUP BY tenant`,
            from,
            to,
          ).map((r) => [r.tenant, r.n]),
        );
        const tenants = all<Row>(
          `SELECT tenant, ${SUMS} FROM gateway_daily_events ${range} GROUP BY tenant ORDER BY tenant`,
          from,
          to,
        ).map((r) => ({
          tenant: r.tenant as string,
          ...countsOf(r),
          redactions: tenantRedactions.get(r.tenant as string) ?? 0,
        }));
        const regions = all<Row>(
          `SELECT region, ${SUMS} FROM gateway_daily_events ${range} GROUP BY region ORDER BY region`,
          from,
          to,
        ).map((r): Counts & { region: string } => ({ region: r.region as string, ...countsOf(r) }));
        const redactions = all<{ day: string; entity: string; count: number }>(
          `SELECT day, entity, SUM(redactions) AS count FROM gateway_daily_redactions ${range}
           GROUP BY day, entity ORDER BY day, entity`,
          from,
          to,
        );
        const deliveries = all<GatewayStatistics["deliveries"][number]>(
          `SELECT day, region, destination, batches, bytes FROM gateway_daily_deliveries ${range}
           ORDER BY day, region, destination`,
          from,
          to,
        );
        return { events, tenants, regions, redactions, deliveries };
      })();
    },
  };
}
