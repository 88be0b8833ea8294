/**
 * LogStorage on PostgreSQL. Integration is one transaction whose first statement is the
 * compare-and-set of the size: it locks the log's row, so concurrent writers serialise and the
 * loser sees zero rows updated (READ COMMITTED re-checks the WHERE clause) and gets E_LOG_CONFLICT.
 * Bulk rows travel as arrays through unnest(): one round trip per table per batch.
 *
 * Several replicas (issue 11): an integration by the lease holder deletes the queued adds it
 * integrated, then locks the lease row and checks its fencing token, and notifies every replica at
 * commit (NOTIFY is transactional: nobody hears of a batch that did not commit).
 */
import type postgres from "postgres";
import type { PostgresDatabase } from "../../store/index.js";
import { type BindOptions, checkBinding } from "./bind.js";
import { notifyLog, openPostgresReplication } from "./postgres-replication.js";
import {
  conflict,
  decodePeaks,
  encodePeaks,
  fenced,
  type LogStorage,
  type PublishedCheckpoint,
} from "./storage.js";

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");

export async function openPostgresLogStorage(
  database: PostgresDatabase,
  options: BindOptions,
): Promise<LogStorage> {
  const { sql } = database;
  const logId = await bindLog(sql, options);
  const notify = (tx: postgres.TransactionSql, event: string) =>
    notifyLog(tx, database.schema, logId, event);

  return {
    backend: "postgres",
    replication: openPostgresReplication(database, logId),
    async readState() {
      const [row] = await sql<{ size: string; root: Buffer; peaks: Buffer; checkpoint: string }[]>`
        SELECT size, root, peaks, checkpoint FROM logs WHERE id = ${logId}`;
      if (!row) return undefined;
      return {
        size: Number(row.size),
        root: new Uint8Array(row.root),
        peaks: decodePeaks(row.peaks),
        checkpoint: row.checkpoint,
      };
    },

    async findIndexes(leafHashes) {
      const found = new Map<string, number>();
      if (leafHashes.length === 0) return found;
      const rows = await sql<{ h: string; idx: string }[]>`
        SELECT encode(d.leaf_hash, 'hex') AS h, d.idx
        FROM log_dedup d
        WHERE d.log_id = ${logId}
          AND d.leaf_hash IN (SELECT decode(x, 'hex') FROM unnest(${leafHashes.map(hex)}::text[]) AS x)`;
      for (const r of rows) found.set(r.h, Number(r.idx));
      return found;
    },

    async integrate(w) {
      await sql.begin(async (tx) => {
        const moved = await tx`
          UPDATE logs SET size = ${w.state.size}, root = ${Buffer.from(w.state.root)},
            peaks = ${Buffer.from(encodePeaks(w.state.peaks))}, checkpoint = ${w.state.checkpoint}
          WHERE id = ${logId} AND size = ${w.previousSize}`;
        if (moved.count !== 1) throw conflict(w.previousSize);
        if (w.dedup.length > 0) {
          await tx`
            INSERT INTO log_dedup (log_id, leaf_hash, idx)
            SELECT ${logId}, decode(h, 'hex'), i
            FROM unnest(${w.dedup.map((d) => hex(d.leafHash))}::text[], ${w.dedup.map((d) => d.index)}::bigint[]) AS t(h, i)`;
        }
        if (w.tiles.length > 0) {
          await tx`
            INSERT INTO log_tiles (log_id, level, idx, data)
            SELECT ${logId}, l, i, decode(d, 'hex')
            FROM unnest(${w.tiles.map((t) => t.level)}::int[], ${w.tiles.map((t) => t.index)}::bigint[], ${w.tiles.map((t) => hex(t.data))}::text[]) AS t(l, i, d)
            ON CONFLICT (log_id, level, idx) DO UPDATE SET data = excluded.data`;
        }
        if (w.bundles.length > 0) {
          await tx`
            INSERT INTO log_bundles (log_id, idx, data)
            SELECT ${logId}, i, decode(d, 'hex')
            FROM unnest(${w.bundles.map((b) => b.index)}::bigint[], ${w.bundles.map((b) => hex(b.data))}::text[]) AS t(i, d)
            ON CONFLICT (log_id, idx) DO UPDATE SET data = excluded.data`;
        }
        if (w.publishedAt !== undefined) {
          const { size, root, checkpoint } = w.state;
          await recordCheckpoint(tx, logId, { size, root, checkpoint, publishedAt: w.publishedAt });
        }
        if (w.dequeued && w.dequeued.length > 0) {
          await tx`DELETE FROM log_pending WHERE log_id = ${logId}
            AND id = ANY(${w.dequeued}::bigint[])`;
        }
        if (w.fence) {
          // Last, so the holder's renewals are not blocked for the whole batch. The lock is held to
          // commit: a follower taking the lease over waits for this commit (and then reads this
          // batch), or took it first and this check fails and nothing of the batch is written.
          const held = await tx`
            SELECT 1 FROM leases WHERE name = ${w.fence.lease} AND holder = ${w.fence.holder}
              AND token = ${w.fence.token} FOR SHARE`;
          if (held.count !== 1) throw fenced(w.fence);
        }
        await notify(tx, `integrated/${w.state.size}`);
      });
    },

    async readTile(level, index) {
      const [row] = await sql<{ data: Buffer }[]>`
        SELECT data FROM log_tiles WHERE log_id = ${logId} AND level = ${level} AND idx = ${index}`;
      return row?.data;
    },

    async readCosigned() {
      const [row] = await sql<{ cosigned_checkpoint: string | null }[]>`
        SELECT cosigned_checkpoint FROM logs WHERE id = ${logId}`;
      return row?.cosigned_checkpoint ?? undefined;
    },

    async writeCosigned(c) {
      await sql.begin(async (tx) => {
        const stored = await tx`
          UPDATE logs SET cosigned_size = ${c.size}, cosigned_checkpoint = ${c.checkpoint}
          WHERE id = ${logId} AND cosigned_size <= ${c.size}`;
        if (stored.count === 1) {
          await recordCheckpoint(tx, logId, c);
          await notify(tx, `cosigned/${c.size}`);
        }
      });
    },

    async readCheckpoints({ before, limit }) {
      const rows = await sql<
        { size: string; root: Buffer; checkpoint: string; published_at: string }[]
      >`
        SELECT size, root, checkpoint, published_at FROM log_checkpoints
        WHERE log_id = ${logId} AND size < ${before ?? Number.MAX_SAFE_INTEGER}
        ORDER BY size DESC LIMIT ${limit}`;
      return rows.map((r) => ({
        size: Number(r.size),
        root: new Uint8Array(r.root),
        checkpoint: r.checkpoint,
        publishedAt: r.published_at,
      }));
    },

    async readEntryBundle(index) {
      const [row] = await sql<{ data: Buffer }[]>`
        SELECT data FROM log_bundles WHERE log_id = ${logId} AND idx = ${index}`;
      return row?.data;
    },
  };
}

/**
 * A size is published once; a later note for it (more cosignatures, same root) replaces the text
 * and keeps the first publication time. A different root is never written over the first.
 */
async function recordCheckpoint(
  tx: postgres.TransactionSql,
  logId: number,
  c: PublishedCheckpoint,
): Promise<void> {
  await tx`
    INSERT INTO log_checkpoints (log_id, size, root, checkpoint, published_at)
    VALUES (${logId}, ${c.size}, ${Buffer.from(c.root)}, ${c.checkpoint}, ${c.publishedAt})
    ON CONFLICT (log_id, size) DO UPDATE SET checkpoint = excluded.checkpoint
    WHERE log_checkpoints.root = excluded.root AND log_checkpoints.checkpoint <> excluded.checkpoint`;
}

async function bindLog(sql: postgres.Sql, options: BindOptions): Promise<number> {
  return sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(hashtext(${`crosscheck-log:${options.origin}`}))`;
    const [row] = await tx<{ id: string; verifier_key: string }[]>`
      SELECT id, verifier_key FROM logs WHERE origin = ${options.origin}`;
    if (row) {
      checkBinding(options, row.verifier_key);
      return Number(row.id);
    }
    const s = options.initialState();
    const [created] = await tx<{ id: string }[]>`
      INSERT INTO logs (origin, verifier_key, size, root, peaks, checkpoint)
      VALUES (${options.origin}, ${options.verifierKey}, ${s.size}, ${Buffer.from(s.root)},
              ${Buffer.from(encodePeaks(s.peaks))}, ${s.checkpoint})
      RETURNING id`;
    return Number(created?.id);
  });
}
