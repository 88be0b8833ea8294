/**
 * The gateway's storage: the durable spool of accepted batches waiting for the vendor, the
 * decisions taken on each record, the outbox of audit entries, and quarantined samples'
 * metadata. One implementation per database (`sqlite.ts`, `postgres.ts`), one test suite.
 *
 * A batch's life: `enqueue` (pending, or `empty` when nothing is left to forward) → `claimDue`
 * takes a lease → `markSent` (body freed), `markRetry` (due again later) or `markRejected`
 * (upstream refused it for good). Only pending batches count against the spool limits.
 */
import { randomBytes } from "node:crypto";
import { CrosscheckError } from "../../errors/index.js";
import type { BatchTally, DayRange, GatewayStatistics } from "./statistics.js";

export interface Redaction {
  field: string;
  entity: string;
  action: string;
}

export interface NewDecision {
  seq: number;
  /** Hex HMAC-SHA256 of the record under the tenant's audit key (Decision 18). */
  commitment: string;
  eventType: string | null;
  action: "forward" | "block" | "quarantine";
  redactions: Redaction[];
  bytesIn: number;
  bytesOut: number;
  reason?: string;
}

export interface NewBatch {
  tenant: string;
  region: string;
  /** The Idempotency-Key the sender gave on ingest; a repeat per tenant stores nothing. */
  senderKey?: string;
  /**
   * The Idempotency-Key to send upstream, when the caller needs it before storing (the audit
   * entry names it); unique across the spool. Made up here (128 random bits) when absent.
   */
  idempotencyKey?: string;
  kind: "records" | "sample";
  /** What goes upstream, e.g. `application/x-ndjson`. */
  contentType: string;
  /** The bytes forwarded upstream (empty when every record was blocked). */
  body: Uint8Array;
  /** Records (or 1 sample) in `body`; 0 means nothing to forward: stored as already done. */
  records: number;
  /** Extra upstream headers (e.g. X-Sample-Sha256). */
  headers?: Record<string, string>;
  /** RFC 3339. */
  receivedAt: string;
  decisions: NewDecision[];
  /** The audit-log entry for this batch, appended later by the outbox job. */
  auditEntry: Uint8Array;
  /** A sample held for a reviewer: its row is written in the batch's transaction. */
  quarantine?: { sha256: string; size: number; detectedType: string; reason: string };
  /**
   * What the batch adds to the daily statistics. The gateway passes it (it knows which event
   * types the dictionary declares, and a sample's kind); without it, it is tallied from
   * `decisions` with every well-formed event name counted as it is.
   */
  tally?: BatchTally;
}

export interface SpoolLimits {
  maxPendingBytes: number;
  maxPendingBatches: number;
}

export type BatchKind = NewBatch["kind"];
export type BatchState = "pending" | "sent" | "rejected" | "empty";

/** A claimed batch, with what the forwarder needs to send it. */
export interface SpoolBatch {
  id: number;
  tenant: string;
  region: string;
  idempotencyKey: string;
  kind: BatchKind;
  contentType: string;
  body: Uint8Array;
  headers: Record<string, string>;
  records: number;
  /** Claims so far, this one included. */
  attempts: number;
}

export interface BatchRow {
  id: number;
  tenant: string;
  region: string;
  kind: BatchKind;
  records: number;
  bytes: number;
  state: BatchState;
  attempts: number;
  receivedAt: string;
  sentAt: string | null;
  /** `address:port` (IPv6 in brackets) the bytes last went to, as the socket saw it. */
  sentTo: string | null;
  upstreamStatus: number | null;
  lastError: string | null;
  auditIndex: number | null;
  /** Where the delivery entry landed in the audit log, once the vendor answered. */
  deliveryIndex: number | null;
  idempotencyKey: string;
}

export interface QuarantineRow {
  id: number;
  tenant: string;
  sha256: string;
  size: number;
  detectedType: string;
  reason: string;
  receivedAt: string;
  batchId: number | null;
}

export interface EnqueueResult {
  id: number;
  duplicate: boolean;
  idempotencyKey: string;
  /** The quarantine row of a held sample (also when answering a duplicate). */
  quarantine?: number;
}

/** A batch that reached the vendor (sent, or refused for good) whose delivery is not logged yet. */
export interface UndeliveredRow {
  id: number;
  tenant: string;
  region: string;
  idempotencyKey: string;
  sentTo: string;
  upstreamStatus: number;
  /** RFC 3339; rejected batches have no send time and take their receipt time. */
  at: string;
}

export interface GatewayStore {
  /**
   * Stores the batch and its decisions in one transaction, with the Idempotency-Key sent upstream
   * (the caller's, or a new one). A repeated (tenant, senderKey) returns the first batch with `duplicate: true`.
   * Throws E_SPOOL_FULL when the pending batches or bytes would pass the limits (checked in the
   * transaction), E_BATCH_TOO_LARGE when the batch alone is larger than the whole spool.
   */
  enqueue(batch: NewBatch, limits: SpoolLimits): Promise<EnqueueResult>;
  spoolStats(): Promise<{ pendingBatches: number; pendingBytes: number }>;
  /**
   * Leases up to `limit` pending batches that are due and not leased by anyone (safe across
   * processes sharing PostgreSQL); each claim counts as an attempt.
   */
  claimDue(now: Date, limit: number, leaseMs: number): Promise<SpoolBatch[]>;
  /**
   * Ends every lease and makes leased batches due now. Only for a process that is the spool's
   * sole user (SQLite), at start: leases left by a killed predecessor would otherwise hold its
   * batches back until they expire.
   */
  releaseLeases(now: Date): Promise<number>;
  /**
   * The vendor took it: the body is freed, and the day's deliveries to that address count it. A
   * no-op unless the batch is still pending. Its delivery entry is then due (`undelivered`).
   */
  markSent(id: number, result: { address: string; status: number; at: string }): Promise<void>;
  /** Due again at `nextAttemptAt`; the lease is released. A no-op unless pending. */
  markRetry(
    id: number,
    result: { nextAttemptAt: Date; error: string; address?: string },
  ): Promise<void>;
  /** The vendor refused it for good (4xx): kept, visible, never retried. A no-op unless pending. */
  markRejected(
    id: number,
    result: { status: number; error: string; address: string },
  ): Promise<void>;
  /** Batches whose audit entry is not in the audit log yet, oldest first. */
  unaudited(limit: number): Promise<{ id: number; auditEntry: Uint8Array }[]>;
  /** Records where the entry landed; the stored copy is dropped (the log holds it now). */
  markAudited(id: number, logIndex: number): Promise<void>;
  /**
   * Batches the vendor answered (sent or rejected) whose delivery entry is not logged yet, oldest
   * first; only those whose batch entry is logged, so a delivery never precedes its batch.
   */
  undelivered(limit: number): Promise<UndeliveredRow[]>;
  markDeliveryLogged(id: number, logIndex: number): Promise<void>;
  batch(id: number): Promise<BatchRow | undefined>;
  /** Newest first; `before` pages by id. */
  batches(filter: { tenant?: string; limit: number; before?: number }): Promise<BatchRow[]>;
  decisions(batchId: number): Promise<(NewDecision & { batchId: number })[]>;
  /** Newest first. */
  quarantine(filter: { tenant?: string; limit: number }): Promise<QuarantineRow[]>;
  quarantined(id: number): Promise<QuarantineRow | undefined>;
  /** The daily counters of an inclusive range of UTC days, grouped (see `GatewayStatistics`). */
  statistics(range: DayRange): Promise<GatewayStatistics>;
}

/** 128 random bits: unguessable, so one tenant cannot collide with (or probe) another's batches. */
export function newIdempotencyKey(): string {
  return randomBytes(16).toString("hex");
}

/** Checks what no state of the spool could accept: a bad key, a batch larger than the spool. */
export function checkBatchFits(batch: NewBatch, limits: SpoolLimits): void {
  // Printable ASCII without spaces: it travels as an HTTP header value.
  if (batch.idempotencyKey !== undefined && !/^[\x21-\x7e]{1,255}$/.test(batch.idempotencyKey)) {
    throw new CrosscheckError(
      "E_IDEMPOTENCY_KEY",
      "An idempotency key must be 1 to 255 printable ASCII characters without spaces.",
    );
  }
  if (batch.records > 0 && batch.body.length > limits.maxPendingBytes) {
    throw new CrosscheckError(
      "E_BATCH_TOO_LARGE",
      `The batch has ${batch.body.length} bytes to forward, more than the whole spool holds (${limits.maxPendingBytes}); send smaller batches.`,
    );
  }
}

export function keyInUse(key: string, cause: unknown): CrosscheckError {
  return new CrosscheckError(
    "E_IDEMPOTENCY_KEY",
    `The idempotency key ${key} is already used by another batch; every batch needs its own.`,
    { cause },
  );
}

export function spoolFull(limits: SpoolLimits): CrosscheckError {
  return new CrosscheckError(
    "E_SPOOL_FULL",
    `The gateway's spool is full (at most ${limits.maxPendingBatches} batches or ${limits.maxPendingBytes} bytes waiting for the vendor); retry later.`,
  );
}

/** Copies a driver's Buffer into a plain Uint8Array, so both backends return the same type. */
export function bytes(value: Uint8Array | null | undefined): Uint8Array {
  return value ? new Uint8Array(value) : new Uint8Array(0);
}

export type Row = Record<string, unknown>;

/** A claimed batch from a row of either database (snake_case columns). */
export function spoolBatchRow(r: Row): SpoolBatch {
  return {
    id: Number(r.id),
    tenant: r.tenant as string,
    region: r.region as string,
    idempotencyKey: r.idempotency_key as string,
    kind: r.kind as SpoolBatch["kind"],
    contentType: r.content_type as string,
    body: bytes(r.body as Uint8Array | null),
    headers: JSON.parse(r.headers as string) as Record<string, string>,
    records: Number(r.records),
    attempts: Number(r.attempts),
  };
}

/**
 * A batch's decisions as stored: one JSON array of tuples (see migration 4) —
 * `[commitment, eventType, action, bytesIn, bytesOut, redactions?, reason?]`, in `seq` order.
 * Tuples, not objects: the decisions of a batch are otherwise half as large as its records.
 */
export function encodeDecisions(decisions: readonly NewDecision[]): string {
  return JSON.stringify(
    decisions.map((d, i) => {
      if (d.seq !== i) {
        throw new CrosscheckError(
          "E_DECISIONS_ORDER",
          "A batch's decisions must be numbered 0, 1, 2, … in order.",
        );
      }
      const tuple: unknown[] = [d.commitment, d.eventType, d.action, d.bytesIn, d.bytesOut];
      if (d.redactions.length > 0 || d.reason !== undefined) tuple.push(d.redactions);
      if (d.reason !== undefined) tuple.push(d.reason);
      return tuple;
    }),
  );
}

type DecisionTuple = [
  string,
  string | null,
  NewDecision["action"],
  number,
  number,
  NewDecision["redactions"]?,
  string?,
];

export function decisionRows(
  batchId: number,
  row: Row | undefined,
): (NewDecision & { batchId: number })[] {
  if (!row) return [];
  const tuples = JSON.parse(row.decisions as string) as DecisionTuple[];
  return tuples.map(
    ([commitment, eventType, action, bytesIn, bytesOut, redactions, reason], seq) => ({
      batchId,
      seq,
      commitment,
      eventType,
      action,
      redactions: redactions ?? [],
      bytesIn,
      bytesOut,
      ...(reason !== undefined ? { reason } : {}),
    }),
  );
}
