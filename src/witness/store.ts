/**
 * A witness's memory, in SQLite: per log, the newest checkpoint it cosigned, and the refused
 * requests it keeps as evidence. `advance` runs the witness's check and its write in one
 * IMMEDIATE transaction, so two requests can never both pass against the same old state (the
 * race tlog-witness warns about), and a crash leaves either the old or the new state on disk.
 */
import type { SqliteDatabase } from "../store/index.js";

export interface CosignedState {
  size: number;
  root: Uint8Array;
  checkpoint: string;
}

/** Evidence kept per log at most: beyond it a misbehaving log is proved many times over. */
export const MAX_EVIDENCE_PER_LOG = 10_000;

export interface EvidenceRecord {
  id: number;
  origin: string;
  kind: string;
  cosignedCheckpoint: string;
  /** The refused request's checkpoint: its text and the log's own signature lines only. */
  request: string;
  receivedAt: string;
}

export class WitnessStore {
  private readonly db: SqliteDatabase["db"];

  constructor(database: SqliteDatabase) {
    this.db = database.db;
  }

  /**
   * Reads the state for `origin`, lets `decide` check the request against it, and stores what it
   * returns — all in one transaction. `decide` throws to refuse (nothing is written).
   */
  advance<T>(
    origin: string,
    decide: (current: CosignedState | undefined) => { next: CosignedState; result: T },
  ): T {
    const run = this.db.transaction(() => {
      const row = this.db
        .prepare<[string], { size: number; root: Buffer; checkpoint: string }>(
          "SELECT size, root, checkpoint FROM witness_logs WHERE origin = ?",
        )
        .get(origin);
      const current = row && {
        size: row.size,
        root: new Uint8Array(row.root),
        checkpoint: row.checkpoint,
      };
      const { next, result } = decide(current);
      this.db
        .prepare(
          `INSERT INTO witness_logs (origin, size, root, checkpoint, updated_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (origin) DO UPDATE SET size = excluded.size, root = excluded.root,
             checkpoint = excluded.checkpoint, updated_at = excluded.updated_at`,
        )
        .run(origin, next.size, next.root, next.checkpoint, new Date().toISOString());
      return result;
    });
    return run.immediate();
  }

  current(origin: string): CosignedState | undefined {
    const row = this.db
      .prepare<[string], { size: number; root: Buffer; checkpoint: string }>(
        "SELECT size, root, checkpoint FROM witness_logs WHERE origin = ?",
      )
      .get(origin);
    return row && { size: row.size, root: new Uint8Array(row.root), checkpoint: row.checkpoint };
  }

  /**
   * Keeps a refused request's checkpoint; the same one refused again (a retrying fork) is kept
   * once, and a log's evidence stops growing at MAX_EVIDENCE_PER_LOG. Returns whether it was kept.
   */
  keepEvidence(record: Omit<EvidenceRecord, "id" | "receivedAt">): boolean {
    const keep = this.db.transaction(() => {
      const seen = this.db
        .prepare("SELECT 1 FROM witness_evidence WHERE origin = ? AND kind = ? AND request = ?")
        .get(record.origin, record.kind, record.request);
      if (seen) return false;
      const { count } = this.db
        .prepare<[string], { count: number }>(
          "SELECT COUNT(*) AS count FROM witness_evidence WHERE origin = ?",
        )
        .get(record.origin) as { count: number };
      if (count >= MAX_EVIDENCE_PER_LOG) return false;
      this.db
        .prepare(
          "INSERT INTO witness_evidence (origin, kind, cosigned_checkpoint, request, received_at) VALUES (?, ?, ?, ?, ?)",
        )
        .run(
          record.origin,
          record.kind,
          record.cosignedCheckpoint,
          record.request,
          new Date().toISOString(),
        );
      return true;
    });
    return keep.immediate();
  }

  evidence(): EvidenceRecord[] {
    return this.db
      .prepare<
        [],
        {
          id: number;
          origin: string;
          kind: string;
          cosigned_checkpoint: string;
          request: string;
          received_at: string;
        }
      >(
        "SELECT id, origin, kind, cosigned_checkpoint, request, received_at FROM witness_evidence ORDER BY id",
      )
      .all()
      .map((r) => ({
        id: r.id,
        origin: r.origin,
        kind: r.kind,
        cosignedCheckpoint: r.cosigned_checkpoint,
        request: r.request,
        receivedAt: r.received_at,
      }));
  }
}
