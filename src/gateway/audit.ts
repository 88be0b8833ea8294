/**
 * What the gateway writes to its public audit log (a transparency log of its own, beside the
 * release log). One entry per accepted batch says who sent what kind of data, how much, what was
 * redacted, blocked or quarantined and which region it may go to, and commits to every record and
 * the decision taken on it by the RFC 6962 root over one leaf per record (its keyed commitment,
 * Decision 18, with the action, sizes and redactions): anyone can check the log is append-only and
 * the totals add up; the tenant, who holds the key, can prove what was decided on any single
 * record, and the gateway cannot later change it. A second entry per batch records the address
 * the bytes actually went to.
 *
 * Entries are compact JSON with a fixed key order, so the same batch always yields the same bytes
 * (the log deduplicates a re-append after a crash).
 */
import { leafHash, rootOf } from "../merkle/index.js";
import type { NewDecision } from "./storage/index.js";

export const BATCH_ENTRY_TYPE = "crosscheck.gateway.batch/v1";
export const DELIVERY_ENTRY_TYPE = "crosscheck.gateway.delivery/v1";

export interface BatchEntry {
  type: typeof BATCH_ENTRY_TYPE;
  gateway: string;
  tenant: string;
  region: string;
  kind: "records" | "sample";
  received: string;
  /** The batch's idempotency key upstream: ties this entry to its delivery entry. */
  batch: string;
  records: number;
  forwarded: number;
  blocked: number;
  quarantined: number;
  bytesIn: number;
  bytesOut: number;
  events: Record<string, number>;
  redactions: Record<string, number>;
  /** RFC 6962 root (hex) over the records' `decisionLeaf`s, in batch order. */
  decisionsRoot: string;
}

export interface DeliveryEntry {
  type: typeof DELIVERY_ENTRY_TYPE;
  gateway: string;
  tenant: string;
  region: string;
  batch: string;
  sentTo: string;
  status: number;
  at: string;
}

const utf8 = new TextEncoder();
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

/**
 * One record's leaf: compact JSON `[commitment, eventType, action, bytesIn, bytesOut,
 * [[field, entity, action], …]]`, in exactly this order, UTF-8.
 */
export function decisionLeaf(decision: NewDecision): Uint8Array {
  return utf8.encode(
    JSON.stringify([
      decision.commitment,
      decision.eventType,
      decision.action,
      decision.bytesIn,
      decision.bytesOut,
      decision.redactions.map((r) => [r.field, r.entity, r.action]),
    ]),
  );
}

/** The root a tenant recomputes from a batch's decisions (`GET /api/v1/gateway/batches/:id`). */
export function decisionsRoot(decisions: readonly NewDecision[]): string {
  return hex(rootOf(decisions.map((d) => leafHash(decisionLeaf(d)))));
}

export function batchEntry(
  fields: Omit<BatchEntry, "type" | "decisionsRoot">,
  decisions: readonly NewDecision[],
): Uint8Array {
  const entry: BatchEntry = {
    type: BATCH_ENTRY_TYPE,
    gateway: fields.gateway,
    tenant: fields.tenant,
    region: fields.region,
    kind: fields.kind,
    received: fields.received,
    batch: fields.batch,
    records: fields.records,
    forwarded: fields.forwarded,
    blocked: fields.blocked,
    quarantined: fields.quarantined,
    bytesIn: fields.bytesIn,
    bytesOut: fields.bytesOut,
    events: sorted(fields.events),
    redactions: sorted(fields.redactions),
    decisionsRoot: decisionsRoot(decisions),
  };
  return utf8.encode(JSON.stringify(entry));
}

export function deliveryEntry(fields: Omit<DeliveryEntry, "type">): Uint8Array {
  const entry: DeliveryEntry = {
    type: DELIVERY_ENTRY_TYPE,
    gateway: fields.gateway,
    tenant: fields.tenant,
    region: fields.region,
    batch: fields.batch,
    sentTo: fields.sentTo,
    status: fields.status,
    at: fields.at,
  };
  return utf8.encode(JSON.stringify(entry));
}

function sorted(counts: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of Object.keys(counts).sort()) out[key] = counts[key] as number;
  return out;
}
