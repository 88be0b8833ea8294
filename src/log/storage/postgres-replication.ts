/**
 * What several replicas of one log share in PostgreSQL besides the tree: the queue of adds that
 * replicas not sequencing the log accepted (`log_pending`, drained by the lease holder), and the
 * notifications that tell every replica a batch was queued, integrated or cosigned.
 *
 * NOTIFY channels are database-wide, not per schema: the payload names the schema and the log
 * (`<schema>/<log id>/<event>`), and a listener ignores other logs' events.
 */
import type postgres from "postgres";
import type { PostgresDatabase } from "../../store/index.js";
import type { LogEvent, LogReplication, QueuedEntry } from "./storage.js";

export const LOG_CHANNEL = "crosscheck_log";

/** Sends `event` to every replica listening, when `tx` commits. */
export async function notifyLog(
  tx: postgres.TransactionSql | postgres.Sql,
  schema: string,
  logId: number,
  event: string,
): Promise<void> {
  await tx`SELECT pg_notify(${LOG_CHANNEL}, ${`${schema}/${logId}/${event}`})`;
}

export function openPostgresReplication(database: PostgresDatabase, logId: number): LogReplication {
  const { sql, schema } = database;
  const prefix = `${schema}/${logId}/`;
  return {
    async enqueue(entry) {
      // One statement, so one commit: the row and its notification go together.
      const [row] = await sql<{ id: string }[]>`
        WITH queued AS (
          INSERT INTO log_pending (log_id, entry) VALUES (${logId}, ${Buffer.from(entry)})
          RETURNING id
        )
        SELECT id, pg_notify(${LOG_CHANNEL}, ${`${prefix}queued`}) FROM queued`;
      return Number(row?.id);
    },

    async claim(limit, exclude) {
      const rows = await sql<{ id: string; entry: Buffer }[]>`
        SELECT id, entry FROM log_pending
        WHERE log_id = ${logId} AND NOT (id = ANY(${[...exclude]}::bigint[]))
        ORDER BY id LIMIT ${limit}`;
      return rows.map((r): QueuedEntry => ({ id: Number(r.id), entry: new Uint8Array(r.entry) }));
    },

    async drop(ids) {
      if (ids.length === 0) return;
      await sql`DELETE FROM log_pending WHERE log_id = ${logId} AND id = ANY(${ids}::bigint[])`;
    },

    async backlog() {
      const [row] = await sql<{ entries: string; oldest: number | null }[]>`
        SELECT count(*) AS entries, EXTRACT(EPOCH FROM now() - min(queued_at))::float8 AS oldest
        FROM log_pending WHERE log_id = ${logId}`;
      return { entries: Number(row?.entries ?? 0), oldestSeconds: Math.max(0, row?.oldest ?? 0) };
    },

    async listen(onEvent) {
      const { unlisten } = await sql.listen(LOG_CHANNEL, (payload) => {
        if (!payload.startsWith(prefix)) return;
        const event = parseEvent(payload.slice(prefix.length));
        if (event) onEvent(event);
      });
      return unlisten;
    },
  };
}

function parseEvent(text: string): LogEvent | undefined {
  if (text === "queued") return { kind: "queued" };
  const [kind, size] = text.split("/");
  const n = Number(size);
  if (!Number.isSafeInteger(n)) return undefined;
  if (kind === "integrated" || kind === "cosigned") return { kind, size: n };
  return undefined;
}
