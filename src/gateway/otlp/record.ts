/**
 * An OTLP log record as a gateway record: one flat object whose field names are the literal keys
 * the data dictionary declares (`file.count`, not `file: {count}`).
 *
 * Precedence when two sources name the same field: the names `event`, `time`, `severity_text` and
 * `resource` are reserved for the record's envelope (absent when it has none, even if an attribute
 * or body entry uses the name), and attributes win over entries of a map body. Attributes are the sender's structured, declared data; a map body is free-form payload,
 * and the envelope fields are what the gateway audits by. A losing value is dropped, never
 * forwarded: the gateway validates and forwards exactly this object.
 */
import { type OtlpLogRecord, setField } from "./logs.js";

export function toGatewayRecord(r: OtlpLogRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const bodyMap = isMap(r.body) ? r.body : undefined;

  if (bodyMap) for (const [key, value] of Object.entries(bodyMap)) setField(out, key, value);
  else if (r.body !== undefined) setField(out, "body", r.body);

  for (const [key, value] of Object.entries(r.attributes)) {
    // Consumed as `event` below, not a field of its own.
    if (key !== "event.name") setField(out, key, value);
  }

  const attributeEvent = r.attributes["event.name"];
  const event =
    r.eventName ??
    (typeof attributeEvent === "string" && attributeEvent !== "" ? attributeEvent : undefined) ??
    (typeof bodyMap?.event === "string" && bodyMap.event !== "" ? bodyMap.event : undefined);
  if (event !== undefined) setField(out, "event", event);
  else delete out.event; // a non-string `event` entry is not an event name

  const time = rfc3339(r.timeUnixNano !== "0" ? r.timeUnixNano : r.observedTimeUnixNano);
  if (time !== undefined) setField(out, "time", time);
  else delete out.time;

  if (r.severityText !== undefined) setField(out, "severity_text", r.severityText);
  else delete out.severity_text;

  setField(out, "resource", { ...r.resource });
  return out;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Nanoseconds since the epoch as RFC 3339 UTC with milliseconds; "0" (unset) gives undefined. */
function rfc3339(unixNano: string): string | undefined {
  const nanos = BigInt(unixNano);
  if (nanos === 0n) return undefined;
  // uint64 nanoseconds end in 2554, well inside the range Date can represent.
  return new Date(Number(nanos / 1_000_000n)).toISOString();
}
