/** LogStorage on embedded SQLite (better-sqlite3): synchronous, one writer, WAL, synchronous=FULL. */
import type BetterSqlite3 from "better-sqlite3";
import type { SqliteDatabase } from "../../store/index.js";
import type { BindOptions } from "./bind.js";
import { checkBinding } from "./bind.js";
import {
  conflict,
  decodePeaks,
  encodePeaks,
  type IntegrationWrite,
  type LogStorage,
  type PublishedCheckpoint,
  type TreeState,
} from "./storage.js";

interface LogRow {
  id: number;
  verifier_key: string;
  size: number;
  root: Buffer;
  peaks: Buffer;
  checkpoint: string;
}

export function openSqliteLogStorage(database: SqliteDatabase, options: BindOptions): LogStorage {
  const { db } = database;
  const logId = bindLog(db, options);

  const selectState = db.prepare<[number], LogRow>(
    "SELECT id, verifier_key, size, root, peaks, checkpoint FROM logs WHERE id = ?",
  );
  const updateState = db.prepare(
    "UPDATE logs SET size = ?, root = ?, peaks = ?, checkpoint = ? WHERE id = ? AND size = ?",
  );
  const selectIndex = db.prepare<[number, Uint8Array], { idx: number }>(
    "SELECT idx FROM log_dedup WHERE log_id = ? AND leaf_hash = ?",
  );
  const insertDedup = db.prepare("INSERT INTO log_dedup (log_id, leaf_hash, idx) VALUES (?, ?, ?)");
  const upsertTile = db.prepare(
    "INSERT INTO log_tiles (log_id, level, idx, data) VALUES (?, ?, ?, ?) ON CONFLICT (log_id, level, idx) DO UPDATE SET data = excluded.data",
  );
  const upsertBundle = db.prepare(
    "INSERT INTO log_bundles (log_id, idx, data) VALUES (?, ?, ?) ON CONFLICT (log_id, idx) DO UPDATE SET data = excluded.data",
  );
  const selectTile = db.prepare<[number, number, number], { data: Buffer }>(
    "SELECT data FROM log_tiles WHERE log_id = ? AND level = ? AND idx = ?",
  );
  const selectBundle = db.prepare<[number, number], { data: Buffer }>(
    "SELECT data FROM log_bundles WHERE log_id = ? AND idx = ?",
  );

  const selectCosigned = db.prepare<[number], { cosigned_checkpoint: string | null }>(
    "SELECT cosigned_checkpoint FROM logs WHERE id = ?",
  );
  const updateCosigned = db.prepare(
    "UPDATE logs SET cosigned_size = ?, cosigned_checkpoint = ? WHERE id = ? AND cosigned_size <= ?",
  );
  // A size is published once; a later note for it (more cosignatures, same root) replaces the
  // text and keeps the first publication time. A different root is never written over the first.
  const upsertCheckpoint = db.prepare(
    `INSERT INTO log_checkpoints (log_id, size, root, checkpoint, published_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (log_id, size) DO UPDATE SET checkpoint = excluded.checkpoint
     WHERE log_checkpoints.root = excluded.root AND log_checkpoints.checkpoint <> excluded.checkpoint`,
  );
  const selectCheckpoints = db.prepare<
    [number, number, number],
    { size: number; root: Buffer; checkpoint: string; published_at: string }
  >(
    `SELECT size, root, checkpoint, published_at FROM log_checkpoints
     WHERE log_id = ? AND size < ? ORDER BY size DESC LIMIT ?`,
  );
  const recordCheckpoint = (c: PublishedCheckpoint) =>
    upsertCheckpoint.run(logId, c.size, c.root, c.checkpoint, c.publishedAt);
  const cosignTx = db.transaction((c: PublishedCheckpoint) => {
    if (updateCosigned.run(c.size, c.checkpoint, logId, c.size).changes === 1) recordCheckpoint(c);
  });
  const integrateTx = db.transaction((w: IntegrationWrite) => {
    const moved = updateState.run(
      w.state.size,
      w.state.root,
      encodePeaks(w.state.peaks),
      w.state.checkpoint,
      logId,
      w.previousSize,
    );
    if (moved.changes !== 1) throw conflict(w.previousSize);
    for (const d of w.dedup) insertDedup.run(logId, d.leafHash, d.index);
    for (const t of w.tiles) upsertTile.run(logId, t.level, t.index, t.data);
    for (const b of w.bundles) upsertBundle.run(logId, b.index, b.data);
    if (w.publishedAt !== undefined) {
      const { size, root, checkpoint } = w.state;
      recordCheckpoint({ size, root, checkpoint, publishedAt: w.publishedAt });
    }
  });

  return {
    backend: "sqlite",
    async readState() {
      const row = selectState.get(logId);
      return row && stateFromRow(row);
    },
    async findIndexes(leafHashes) {
      const found = new Map<string, number>();
      for (const h of leafHashes) {
        const row = selectIndex.get(logId, h);
        if (row) found.set(Buffer.from(h).toString("hex"), row.idx);
      }
      return found;
    },
    async integrate(write) {
      // IMMEDIATE takes the write lock up front, so two writers serialise instead of deadlocking.
      integrateTx.immediate(write);
    },
    async readTile(level, index) {
      return selectTile.get(logId, level, index)?.data;
    },
    async readEntryBundle(index) {
      return selectBundle.get(logId, index)?.data;
    },
    async readCosigned() {
      return selectCosigned.get(logId)?.cosigned_checkpoint ?? undefined;
    },
    async writeCosigned(published) {
      cosignTx.immediate(published);
    },
    async readCheckpoints({ before, limit }) {
      return selectCheckpoints.all(logId, before ?? Number.MAX_SAFE_INTEGER, limit).map((r) => ({
        size: r.size,
        root: new Uint8Array(r.root),
        checkpoint: r.checkpoint,
        publishedAt: r.published_at,
      }));
    },
  };
}

function bindLog(db: BetterSqlite3.Database, options: BindOptions): number {
  const bind = db.transaction(() => {
    const row = db
      .prepare<[string], { id: number; verifier_key: string }>(
        "SELECT id, verifier_key FROM logs WHERE origin = ?",
      )
      .get(options.origin);
    if (row) {
      checkBinding(options, row.verifier_key);
      return row.id;
    }
    const s = options.initialState();
    const info = db
      .prepare(
        "INSERT INTO logs (origin, verifier_key, size, root, peaks, checkpoint) VALUES (?, ?, ?, ?, ?, ?)",
      )
      .run(options.origin, options.verifierKey, s.size, s.root, encodePeaks(s.peaks), s.checkpoint);
    return Number(info.lastInsertRowid);
  });
  return bind.immediate();
}

function stateFromRow(row: LogRow): TreeState {
  return {
    size: row.size,
    root: new Uint8Array(row.root),
    peaks: decodePeaks(row.peaks),
    checkpoint: row.checkpoint,
  };
}
