/**
 * The gateway's tables on PostgreSQL. Batches are claimed with FOR UPDATE SKIP LOCKED, so
 * several gateway processes can share one spool; the spool counter row serialises enqueues,
 * which is what makes the back-pressure limit exact across processes.
 */
import type postgres from "postgres";
import type { PostgresDatabase } from "../../store/index.js";
import { type BatchTally, countsOf, tallyDecisions, utcDay } from "./statistics.js";
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
} from "./storage.js";

const nullableNumber = (v: unknown): number | null =>
  v === null || v === undefined ? null : Number(v);

const batchRow = (r: Row): BatchRow => ({
  id: Number(r.id),
  tenant: r.tenant as string,
  region: r.region as string,
  kind: r.kind as BatchRow["kind"],
  records: Number(r.records),
  bytes: Number(r.bytes),
  state: r.state as BatchRow["state"],
  attempts: Number(r.attempts),
  receivedAt: r.received_at as string,
  sentAt: (r.sent_at as string | null) ?? null,
  sentTo: (r.sent_to as string | null) ?? null,
  upstreamStatus: nullableNumber(r.upstream_status),
  lastError: (r.last_error as string | null) ?? null,
  auditIndex: nullableNumber(r.audit_index),
  deliveryIndex: nullableNumber(r.delivery_index),
  idempotencyKey: r.idempotency_key as string,
});

const quarantineRow = (r: Row): QuarantineRow => ({
  id: Number(r.id),
  tenant: r.tenant as string,
  sha256: r.sha256 as string,
  size: Number(r.size),
  detectedType: r.detected_type as string,
  reason: r.reason as string,
  receivedAt: r.received_at as string,
  batchId: nullableNumber(r.batch_id),
});

// Listings leave out the body and the audit entry, which may be large.
const BATCH_COLUMNS = [
  "id",
  "tenant",
  "region",
  "kind",
  "records",
  "bytes",
  "state",
  "attempts",
  "received_at",
  "sent_at",
  "sent_to",
  "upstream_status",
  "last_error",
  "audit_index",
  "delivery_index",
  "idempotency_key",
];

const SUMS = `SUM(records)::bigint AS records, SUM(forwarded)::bigint AS forwarded,
  SUM(blocked)::bigint AS blocked, SUM(quarantined)::bigint AS quarantined,
  SUM(bytes_in)::bigint AS bytes_in, SUM(bytes_out)::bigint AS bytes_out`;

export function openPostgresGatewayStore(database: PostgresDatabase): GatewayStore {
  const { sql } = database;

  // A batch's counters in two statements whatever its size: its rows travel as arrays. The
  // tally's event types are sorted, so concurrent writers lock counter rows in one order.
  const addToStatistics = async (
    tx: postgres.TransactionSql,
    tally: BatchTally,
    where: { day: string; tenant: string; region: string },
  ) => {
    const e = tally.events;
    if (e.length > 0) {
      await tx`INSERT INTO gateway_daily_events AS s (day, tenant, region, event_type, records,
          forwarded, blocked, quarantined, bytes_in, bytes_out)
        SELECT ${where.day}, ${where.tenant}, ${where.region}, t.*
        FROM unnest(${e.map((x) => x.eventType)}::text[], ${e.map((x) => x.records)}::bigint[],
          ${e.map((x) => x.forwarded)}::bigint[], ${e.map((x) => x.blocked)}::bigint[],
          ${e.map((x) => x.quarantined)}::bigint[], ${e.map((x) => x.bytesIn)}::bigint[],
          ${e.map((x) => x.bytesOut)}::bigint[]) AS t(event_type, records, forwarded, blocked,
          quarantined, bytes_in, bytes_out)
        ORDER BY t.event_type
        ON CONFLICT (day, tenant, region, event_type) DO UPDATE SET
          records = s.records + excluded.records, forwarded = s.forwarded + excluded.forwarded,
          blocked = s.blocked + excluded.blocked, quarantined = s.quarantined + excluded.quarantined,
          bytes_in = s.bytes_in + excluded.bytes_in, bytes_out = s.bytes_out + excluded.bytes_out`;
    }
    const entities = Object.keys(tally.redactions).sort();
    if (entities.length > 0) {
      await tx`INSERT INTO gateway_daily_redactions AS s (day, tenant, entity, redactions)
        SELECT ${where.day}, ${where.tenant}, t.*
        FROM unnest(${entities}::text[], ${entities.map((k) => tally.redactions[k] ?? 0)}::bigint[])
          AS t(entity, redactions)
        ORDER BY t.entity
        ON CONFLICT (day, tenant, entity) DO UPDATE SET
          redactions = s.redactions + excluded.redactions`;
    }
  };

  // Leaves `pending` exactly once and gives its bytes back to the spool.
  const release = async (tx: postgres.TransactionSql, rows: Row[]) => {
    const row = rows[0];
    if (!row) return;
    await tx`UPDATE gateway_spool SET pending_batches = pending_batches - 1,
      pending_bytes = pending_bytes - ${Number(row.bytes)} WHERE id = 1`;
  };

  return {
    async enqueue(batch, limits) {
      checkBatchFits(batch, limits);
      return sql.begin(async (tx) => {
        const pending = batch.records > 0;
        const size = pending ? batch.body.length : 0;
        const idempotencyKey = batch.idempotencyKey ?? newIdempotencyKey();
        // ON CONFLICT waits for a concurrent insert of the same sender key and then yields to it.
        const inserted = await tx`INSERT INTO gateway_batches (tenant, region, sender_key,
            idempotency_key, kind, content_type, headers, body, records, bytes, state,
            next_attempt_at, received_at, audit_entry)
          VALUES (${batch.tenant}, ${batch.region}, ${batch.senderKey ?? null}, ${idempotencyKey},
            ${batch.kind}, ${batch.contentType}, ${JSON.stringify(batch.headers ?? {})},
            ${pending ? Buffer.from(batch.body) : null}, ${batch.records}, ${size},
            ${pending ? "pending" : "empty"}, 0, ${batch.receivedAt}, ${Buffer.from(batch.auditEntry)})
          ON CONFLICT (tenant, sender_key) DO NOTHING RETURNING id`.catch((err) => {
          if ((err as { constraint_name?: string }).constraint_name?.includes("idempotency_key")) {
            throw keyInUse(idempotencyKey, err);
          }
          throw err;
        });
        if (!inserted[0]) {
          const [seen] = await tx`SELECT id, idempotency_key FROM gateway_batches
            WHERE tenant = ${batch.tenant} AND sender_key = ${batch.senderKey ?? null}`;
          if (!seen) throw new Error("a conflicting sender key vanished mid-transaction");
          const [held] = await tx`SELECT id FROM gateway_quarantine WHERE batch_id = ${seen.id}`;
          return {
            id: Number(seen.id),
            duplicate: true,
            idempotencyKey: seen.idempotency_key as string,
            quarantine: held ? Number(held.id) : undefined,
          };
        }
        const id = Number(inserted[0].id);
        if (pending) {
          const reserved = await tx`UPDATE gateway_spool
            SET pending_batches = pending_batches + 1, pending_bytes = pending_bytes + ${size}
            WHERE id = 1 AND pending_batches + 1 <= ${limits.maxPendingBatches}
              AND pending_bytes + ${size} <= ${limits.maxPendingBytes}
            RETURNING id`;
          if (!reserved[0]) throw spoolFull(limits);
        }
        if (batch.decisions.length > 0) {
          await tx`INSERT INTO gateway_decisions (batch_id, decisions)
            VALUES (${id}, ${encodeDecisions(batch.decisions)})`;
        }
        let quarantine: number | undefined;
        if (batch.quarantine) {
          const q = batch.quarantine;
          const [row] = await tx`INSERT INTO gateway_quarantine
              (tenant, sha256, size, detected_type, reason, received_at, batch_id)
            VALUES (${batch.tenant}, ${q.sha256}, ${q.size}, ${q.detectedType}, ${q.reason},
              ${batch.receivedAt}, ${id})
            RETURNING id`;
          quarantine = Number(row?.id);
        }
        await addToStatistics(tx, batch.tally ?? tallyDecisions(batch.decisions), {
          day: utcDay(batch.receivedAt),
          tenant: batch.tenant,
          region: batch.region,
        });
        return { id, duplicate: false, idempotencyKey, quarantine };
      });
    },

    async spoolStats() {
      const [row] =
        await sql`SELECT pending_batches, pending_bytes FROM gateway_spool WHERE id = 1`;
      return {
        pendingBatches: Number(row?.pending_batches ?? 0),
        pendingBytes: Number(row?.pending_bytes ?? 0),
      };
    },

    async claimDue(now, limit, leaseMs) {
      const t = now.getTime();
      // The CTE is evaluated once, so LIMIT holds; SKIP LOCKED lets concurrent claimers pass by.
      const rows = await sql`WITH due AS (
          SELECT id FROM gateway_batches
          WHERE state = 'pending' AND next_attempt_at <= ${t} AND lease_until <= ${t}
          ORDER BY next_attempt_at, id LIMIT ${limit} FOR UPDATE SKIP LOCKED)
        UPDATE gateway_batches b SET lease_until = ${t + leaseMs}, attempts = b.attempts + 1
        FROM due WHERE b.id = due.id
        RETURNING b.id, b.tenant, b.region, b.idempotency_key, b.kind, b.content_type, b.body,
          b.headers, b.records, b.attempts`;
      return rows.map(spoolBatchRow).sort((a, b) => a.id - b.id);
    },

    async releaseLeases(now) {
      const t = now.getTime();
      const rows = await sql`UPDATE gateway_batches SET lease_until = 0,
          next_attempt_at = LEAST(next_attempt_at, ${t})
        WHERE state = 'pending' AND lease_until > 0 RETURNING id`;
      return rows.length;
    },

    async markSent(id, result) {
      await sql.begin(async (tx) => {
        const rows = await tx`UPDATE gateway_batches SET state = 'sent', body = NULL,
            sent_at = ${result.at}, sent_to = ${result.address}, upstream_status = ${result.status},
            lease_until = 0
          WHERE id = ${id} AND state = 'pending' RETURNING bytes, region`;
        await release(tx, rows);
        const sent = rows[0];
        if (sent) {
          await tx`INSERT INTO gateway_daily_deliveries AS s (day, region, destination, batches, bytes)
            VALUES (${utcDay(result.at)}, ${sent.region as string}, ${result.address}, 1,
              ${Number(sent.bytes)})
            ON CONFLICT (day, region, destination) DO UPDATE SET
              batches = s.batches + 1, bytes = s.bytes + excluded.bytes`;
        }
      });
    },

    async markRetry(id, result) {
      await sql`UPDATE gateway_batches SET next_attempt_at = ${result.nextAttemptAt.getTime()},
          last_error = ${result.error}, sent_to = COALESCE(${result.address ?? null}::text, sent_to),
          lease_until = 0
        WHERE id = ${id} AND state = 'pending'`;
    },

    async markRejected(id, result) {
      await sql.begin(async (tx) => {
        const rows = await tx`UPDATE gateway_batches SET state = 'rejected',
            upstream_status = ${result.status}, last_error = ${result.error},
            sent_to = ${result.address}, lease_until = 0
          WHERE id = ${id} AND state = 'pending' RETURNING bytes`;
        await release(tx, rows);
      });
    },

    async unaudited(limit) {
      const rows = await sql`SELECT id, audit_entry FROM gateway_batches
        WHERE audit_index IS NULL ORDER BY id LIMIT ${limit}`;
      return rows.map((r) => ({
        id: Number(r.id),
        auditEntry: bytes(r.audit_entry as Uint8Array | null),
      }));
    },

    async markAudited(id, logIndex) {
      await sql`UPDATE gateway_batches SET audit_index = ${logIndex}, audit_entry = NULL
        WHERE id = ${id} AND audit_index IS NULL`;
    },

    async undelivered(limit) {
      const rows = await sql`SELECT id, tenant, region, idempotency_key, sent_to, upstream_status,
          COALESCE(sent_at, received_at) AS at
        FROM gateway_batches
        WHERE state IN ('sent', 'rejected') AND delivery_index IS NULL AND audit_index IS NOT NULL
        ORDER BY id LIMIT ${limit}`;
      return rows.map((r) => ({
        id: Number(r.id),
        tenant: r.tenant as string,
        region: r.region as string,
        idempotencyKey: r.idempotency_key as string,
        sentTo: (r.sent_to as string | null) ?? "",
        upstreamStatus: Number(r.upstream_status ?? 0),
        at: r.at as string,
      }));
    },

    async markDeliveryLogged(id, logIndex) {
      await sql`UPDATE gateway_batches SET delivery_index = ${logIndex}
        WHERE id = ${id} AND delivery_index IS NULL`;
    },

    async batch(id) {
      const rows = await sql`SELECT ${sql(BATCH_COLUMNS)} FROM gateway_batches WHERE id = ${id}`;
      return rows[0] ? batchRow(rows[0]) : undefined;
    },

    async batches(filter) {
      const tenant = filter.tenant ?? null;
      const before = filter.before ?? null;
      const rows = await sql`SELECT ${sql(BATCH_COLUMNS)} FROM gateway_batches
        WHERE (${tenant}::text IS NULL OR tenant = ${tenant})
          AND (${before}::bigint IS NULL OR id < ${before})
        ORDER BY id DESC LIMIT ${filter.limit}`;
      return rows.map(batchRow);
    },

    async decisions(batchId) {
      const rows = await sql`SELECT * FROM gateway_decisions WHERE batch_id = ${batchId}`;
      return decisionRows(batchId, rows[0]);
    },

    async quarantine(filter) {
      const tenant = filter.tenant ?? null;
      const rows = await sql`SELECT * FROM gateway_quarantine
        WHERE (${tenant}::text IS NULL OR tenant = ${tenant}) ORDER BY id DESC LIMIT ${filter.limit}`;
      return rows.map(quarantineRow);
    },

    async quarantined(id) {
      const rows = await sql`SELECT * FROM gateway_quarantine WHERE id = ${id}`;
      return rows[0] ? quarantineRow(rows[0]) : undefined;
    },

    async statistics({ from, to }) {
      // One snapshot: the groups agree with each other even while batches commit.
      return sql.begin("ISOLATION LEVEL REPEATABLE READ READ ONLY", async (tx) => {
        const events = await tx`SELECT day, event_type, ${tx.unsafe(SUMS)}
          FROM gateway_daily_events WHERE day >= ${from} AND day <= ${to}
          GROUP BY day, event_type ORDER BY day, event_type`;
        const tenants = await tx`SELECT e.tenant, ${tx.unsafe(SUMS)},
            COALESCE((SELECT SUM(r.redactions) FROM gateway_daily_redactions r
              WHERE r.tenant = e.tenant AND r.day >= ${from} AND r.day <= ${to}), 0)::bigint
              AS redactions
          FROM gateway_daily_events e WHERE e.day >= ${from} AND e.day <= ${to}
          GROUP BY e.tenant ORDER BY e.tenant`;
        const regions = await tx`SELECT region, ${tx.unsafe(SUMS)}
          FROM gateway_daily_events WHERE day >= ${from} AND day <= ${to}
          GROUP BY region ORDER BY region`;
        const redactions = await tx`SELECT day, entity, SUM(redactions)::bigint AS count
          FROM gateway_daily_redactions WHERE day >= ${from} AND day <= ${to}
          GROUP BY day, entity ORDER BY day, entity`;
        const deliveries = await tx`SELECT day, region, destination, batches, bytes
          FROM gateway_daily_deliveries WHERE day >= ${from} AND day <= ${to}
          ORDER BY day, region, destination`;
        return {
          events: events.map((r) => ({
            day: r.day as string,
            eventType: r.event_type as string,
            ...countsOf(r),
          })),
          tenants: tenants.map((r) => ({
            tenant: r.tenant as string,
            ...countsOf(r),
            redactions: Number(r.redactions),
          })),
          regions: regions.map((r) => ({ region: r.region as string, ...countsOf(r) })),
          redactions: redactions.map((r) => ({
            day: r.day as string,
            entity: r.entity as string,
            count: Number(r.count),
          })),
          deliveries: deliveries.map((r) => ({
            day: r.day as string,
            region: r.region as string,
            destination: r.destination as string,
            batches: Number(r.batches),
            bytes: Number(r.bytes),
          })),
        };
      });
    },
  };
}
