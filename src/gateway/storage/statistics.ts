/**
 * The gateway's statistics (migration 8): per-day counters a batch adds to in the transaction that
 * stores it, so the telemetry page reads a few hundred rows instead of every decision. What a
 * batch adds is its tally: per event type the records, what became of them and their bytes, and
 * the redactions per entity type. The tally is computed from the batch's decisions in one pass
 * over what is already in memory; it never holds record contents.
 */
import { CrosscheckError } from "../../errors/index.js";
import type { NewDecision } from "./storage.js";

/** Where records that name no event type are counted (not JSON, no `event` field). */
export const NO_EVENT_TYPE = "(none)";
/**
 * Where records of an event type the dictionary does not declare are counted: the name is the
 * sender's text, not the vendor's declaration, and may not be published.
 */
export const UNDECLARED_EVENT_TYPE = "(undeclared)";

/** The dictionary's event names (src/dictionary/format.ts); anything else is never published. */
const EVENT_NAME = /^[A-Za-z][A-Za-z0-9_.:-]{0,127}$/;

export interface Counts {
  records: number;
  forwarded: number;
  blocked: number;
  quarantined: number;
  bytesIn: number;
  bytesOut: number;
}

export interface EventTally extends Counts {
  eventType: string;
}

export interface BatchTally {
  /** One entry per event type, each type once. */
  events: EventTally[];
  /** Redactions per entity type (the audit entry's `redactions`). */
  redactions: Record<string, number>;
}

export interface TallyOptions {
  /** Whether the dictionary declares this event type; every well-formed name counts when absent. */
  declared?: (eventType: string) => boolean;
  /** The type records without one count as (a sample's `sample:<kind>`); `(none)` by default. */
  untyped?: string;
}

/** A batch's tally from its decisions: one pass, each distinct event name judged once. */
export function tallyDecisions(
  decisions: readonly NewDecision[],
  options: TallyOptions = {},
): BatchTally {
  const byName = new Map<string | null, EventTally>();
  const byType = new Map<string, EventTally>();
  const redactions: Record<string, number> = {};
  for (const d of decisions) {
    let tally = byName.get(d.eventType);
    if (!tally) {
      const type = publishedType(d.eventType, options);
      tally = byType.get(type);
      if (!tally) {
        tally = { eventType: type, ...zeroCounts() };
        byType.set(type, tally);
      }
      byName.set(d.eventType, tally);
    }
    tally.records++;
    if (d.action === "forward") tally.forwarded++;
    else if (d.action === "block") tally.blocked++;
    else tally.quarantined++;
    tally.bytesIn += d.bytesIn;
    tally.bytesOut += d.bytesOut;
    for (const r of d.redactions) redactions[r.entity] = (redactions[r.entity] ?? 0) + 1;
  }
  // Sorted: PostgreSQL writers then lock counter rows in one order and cannot deadlock.
  const events = [...byType.values()].sort((a, b) => (a.eventType < b.eventType ? -1 : 1));
  return { events, redactions };
}

function publishedType(name: string | null, options: TallyOptions): string {
  if (name === null) return options.untyped ?? NO_EVENT_TYPE;
  if (!EVENT_NAME.test(name)) return UNDECLARED_EVENT_TYPE;
  if (options.declared && !options.declared(name)) return UNDECLARED_EVENT_TYPE;
  return name;
}

/** The UTC date (`YYYY-MM-DD`) of an RFC 3339 time. */
export function utcDay(time: string | Date): string {
  const date = typeof time === "string" ? new Date(time) : time;
  if (Number.isNaN(date.getTime())) {
    throw new CrosscheckError(
      "E_INVALID_INPUT",
      `${JSON.stringify(String(time).slice(0, 40))} is not an RFC 3339 time.`,
    );
  }
  return date.toISOString().slice(0, 10);
}

/** Inclusive range of UTC days, `YYYY-MM-DD`. */
export interface DayRange {
  from: string;
  to: string;
}

/**
 * The counters of a range of days, grouped as the telemetry page shows them. Bounded by days ×
 * event types, tenants, days × entity types and days × destinations: never by records.
 */
export interface GatewayStatistics {
  /** Per day and event type, over every tenant. */
  events: (Counts & { day: string; eventType: string })[];
  /** Per tenant, over the range, with its redactions. */
  tenants: (Counts & { tenant: string; redactions: number })[];
  /** Per region (where the records may go), over the range. */
  regions: (Counts & { region: string })[];
  /** Per day and entity type, over every tenant. */
  redactions: { day: string; entity: string; count: number }[];
  /** Per day, region and the address bytes went to. */
  deliveries: {
    day: string;
    region: string;
    destination: string;
    batches: number;
    bytes: number;
  }[];
}

export const zeroCounts = (): Counts => ({
  records: 0,
  forwarded: 0,
  blocked: 0,
  quarantined: 0,
  bytesIn: 0,
  bytesOut: 0,
});

export function addCounts(into: Counts, from: Counts): void {
  into.records += from.records;
  into.forwarded += from.forwarded;
  into.blocked += from.blocked;
  into.quarantined += from.quarantined;
  into.bytesIn += from.bytesIn;
  into.bytesOut += from.bytesOut;
}

/** Counts from a row of either database (sums may come back as text from PostgreSQL). */
export function countsOf(r: Record<string, unknown>): Counts {
  return {
    records: Number(r.records ?? 0),
    forwarded: Number(r.forwarded ?? 0),
    blocked: Number(r.blocked ?? 0),
    quarantined: Number(r.quarantined ?? 0),
    bytesIn: Number(r.bytes_in ?? 0),
    bytesOut: Number(r.bytes_out ?? 0),
  };
}
