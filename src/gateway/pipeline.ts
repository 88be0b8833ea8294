/**
 * The record pipeline: each telemetry record is checked against the data dictionary, then each
 * declared field is handled by what the dictionary says it is — formats that cannot carry free
 * data pass as they are, fields that are an entity by declaration (an IP, a host name) take the
 * tenant's action for that entity, free text and paths are scanned (through encodings) and the
 * findings redacted. Values are edited in the parsed record, never in serialized lines, so what
 * leaves is always valid JSON. Every record gets a decision with a keyed commitment.
 */
import type { CompiledDictionary, CompiledEvent, CompiledField } from "../dictionary/index.js";
import type { Action } from "./config.js";
import type { Entity } from "./pii/entities.js";
import { type PiiFinding, redactText, scanText } from "./pii/index.js";
import type { TenantPolicy } from "./redaction-policy.js";
import type { NewDecision } from "./storage/index.js";
import type { TenantKeys } from "./tenant-keys.js";

export interface TenantRuntime {
  name: string;
  region: string;
  policy: TenantPolicy;
  keys: TenantKeys;
}

/** One record as received: parsed, and the exact bytes its commitment is computed over. */
export interface InputRecord {
  value: unknown;
  raw: string;
  /** Set when the bytes were not JSON: the record is refused with this reason. */
  error?: string;
}

export interface Redaction {
  field: string;
  entity: string;
  action: Action;
}

export interface BatchOutcome {
  /** Serialized records to forward, one JSON text each. */
  lines: string[];
  /**
   * The same records as the NDJSON body sent upstream: each line and "\n", UTF-8; empty when
   * nothing is forwarded. Written line by line as the records are serialised, so no batch-sized
   * string is joined and encoded again.
   */
  body: Buffer;
  decisions: NewDecision[];
  /** Records refused, with why (reported to the sender; OTLP's partialSuccess). */
  refused: { seq: number; code: string; message: string }[];
  events: Record<string, number>;
  redactions: Record<string, number>;
  bytesIn: number;
  bytesOut: number;
}

const MASK: Record<string, string> = {};
const maskOf = (entity: string) => {
  let text = MASK[entity];
  if (text === undefined) {
    text = `[${entity}]`;
    MASK[entity] = text;
  }
  return text;
};

class Blocked {
  constructor(
    readonly code: string,
    readonly message: string,
  ) {}
}

const NO_REDACTIONS = Object.freeze([]) as unknown as Redaction[];
const scratch: Redaction[] = [];

export function processBatch(
  records: readonly InputRecord[],
  tenant: TenantRuntime,
  dictionary: CompiledDictionary,
): BatchOutcome {
  const lines: string[] = [];
  const outcome: BatchOutcome = {
    lines,
    body: EMPTY_BODY,
    decisions: [],
    refused: [],
    events: {},
    redactions: {},
    bytesIn: 0,
    bytesOut: 0,
  };
  const plans = plansOf(tenant);
  // Whether every forwarded line is ASCII: the body is then written byte for byte.
  let ascii = true;
  for (let seq = 0; seq < records.length; seq++) {
    const input = records[seq] as InputRecord;
    const bytesIn = Buffer.byteLength(input.raw, "utf8");
    outcome.bytesIn += bytesIn;
    const commitment = tenant.keys.commit(input.raw);
    // One scratch list for the batch; a record keeps a copy only when something was redacted.
    const redactions = scratch;
    redactions.length = 0;
    let eventType: string | null = null;
    let line: string | undefined;
    let blocked: Blocked | undefined;
    try {
      if (input.error !== undefined) {
        throw new Blocked("E_RECORD_JSON", `Record ${seq} is not JSON: ${input.error}.`);
      }
      const event = checkRecord(input.value, tenant, dictionary, redactions);
      eventType = event.name;
      const steps = planFor(plans, tenant, event);
      for (let i = 0; i < steps.length; i++) {
        applyField(input.value, steps[i] as FieldStep, tenant, redactions);
      }
      line = JSON.stringify(input.value);
    } catch (err) {
      if (!(err instanceof Blocked)) throw err;
      blocked = err;
      eventType ??= eventNameOf(input.value);
    }
    let kept = NO_REDACTIONS;
    if (redactions.length > 0) {
      for (let i = 0; i < redactions.length; i++) {
        const entity = (redactions[i] as Redaction).entity;
        outcome.redactions[entity] = (outcome.redactions[entity] ?? 0) + 1;
      }
      kept = redactions.slice();
    }
    if (eventType !== null) outcome.events[eventType] = (outcome.events[eventType] ?? 0) + 1;
    if (line !== undefined) {
      const bytesOut = Buffer.byteLength(line, "utf8");
      if (bytesOut !== line.length) ascii = false;
      lines.push(line);
      outcome.bytesOut += bytesOut;
      outcome.decisions.push({
        seq,
        commitment,
        eventType,
        action: "forward",
        redactions: kept,
        bytesIn,
        bytesOut,
      });
    } else {
      const reason = blocked as Blocked;
      outcome.refused.push({ seq, code: reason.code, message: reason.message });
      outcome.decisions.push({
        seq,
        commitment,
        eventType,
        action: "block",
        redactions: kept,
        bytesIn,
        bytesOut: 0,
        reason: `${reason.code}: ${reason.message}`.slice(0, 500),
      });
    }
  }
  if (lines.length > 0) outcome.body = ndjsonBody(lines, outcome.bytesOut, ascii);
  return outcome;
}

const EMPTY_BODY = Buffer.alloc(0);

/**
 * The lines, each followed by "\n", in one buffer of exactly their size (`bytes` is their UTF-8
 * length, already summed). A line of only ASCII is the same bytes in Latin-1, which copies.
 */
function ndjsonBody(lines: readonly string[], bytes: number, ascii: boolean): Buffer {
  const size = bytes + lines.length;
  // Every byte is written below, so the memory needs no zeroing first.
  const body = Buffer.allocUnsafe(size);
  const encoding = ascii ? "latin1" : "utf8";
  let at = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    at += body.write(line, at, encoding);
    body[at++] = 0x0a;
  }
  if (at !== size) throw new Error(`NDJSON body of ${at} bytes, expected ${size}.`);
  return body;
}

function eventNameOf(value: unknown): string | null {
  if (value === null || typeof value !== "object") return null;
  const name = (value as { event?: unknown }).event;
  return typeof name === "string" && name.length <= 128 ? name : null;
}

/** The dictionary check; undeclared fields are dropped or block the record, per tenant policy. */
function checkRecord(
  value: unknown,
  tenant: TenantRuntime,
  dictionary: CompiledDictionary,
  redactions: Redaction[],
): CompiledEvent {
  const result = dictionary.check(value);
  if (result.ok) return result.event;
  if (result.code === "E_FIELD_UNDECLARED" && tenant.policy.undeclared === "drop") {
    const event = dictionary.event(result.event as string);
    if (event) {
      for (const path of result.fields) {
        redactions.push({ field: path, entity: "UNDECLARED", action: "drop" });
      }
      dictionary.stripUndeclared(value, event);
      const again = dictionary.check(value);
      if (again.ok) return again.event;
      throw new Blocked(again.code, again.message);
    }
  }
  throw new Blocked(result.code, result.message);
}

/** One declared field as this tenant handles it: resolved once per dictionary event, not per record. */
interface FieldStep {
  field: CompiledField;
  /** `event/path`: the field's id in policies and decisions. */
  id: string;
  /** Keys from the record to the field's parent (empty for a top-level field). */
  parents: readonly string[];
  /** The field's own key in its parent. */
  key: string;
  /** The tenant's action for the whole field, when its policy names one. */
  whole: Action | undefined;
  /** For a field that is scanned: what `scanText` looks for (one object, so the scanner's per-set memo applies). */
  scan: { entities: ReadonlySet<Entity>; decode: boolean } | undefined;
}

type Plans = WeakMap<CompiledEvent, readonly FieldStep[]>;

const plans = new WeakMap<TenantRuntime, Plans>();

function plansOf(tenant: TenantRuntime): Plans {
  let byEvent = plans.get(tenant);
  if (!byEvent) {
    byEvent = new WeakMap();
    plans.set(tenant, byEvent);
  }
  return byEvent;
}

function planFor(
  byEvent: Plans,
  tenant: TenantRuntime,
  event: CompiledEvent,
): readonly FieldStep[] {
  let steps = byEvent.get(event);
  if (!steps) {
    steps = event.fields
      .map((field): FieldStep => {
        const id = `${event.name}/${field.name}`;
        const plan = field.scan;
        return {
          field,
          id,
          parents: field.path.slice(0, -1),
          key: field.path[field.path.length - 1] as string,
          whole: tenant.policy.fieldAction(id),
          scan: plan.kind === "scan" ? { entities: plan.entities, decode: plan.decode } : undefined,
        };
      })
      // Fields that can hold no free data, and that the policy leaves alone, need no visit.
      .filter((step) => step.whole !== undefined || step.field.scan.kind !== "none");
    byEvent.set(event, steps);
  }
  return steps;
}

function applyField(
  record: unknown,
  step: FieldStep,
  tenant: TenantRuntime,
  redactions: Redaction[],
): void {
  // Walk to the field's parent; absent optional fields are fine.
  let parent = record as Record<string, unknown>;
  const parents = step.parents;
  for (let i = 0; i < parents.length; i++) {
    const next = parent[parents[i] as string];
    if (next === null || typeof next !== "object") return;
    parent = next as Record<string, unknown>;
  }
  const key = step.key;
  const value = parent[key];
  if (value === undefined) return;
  const fieldId = step.id;

  const whole = step.whole;
  if (whole !== undefined) {
    if (whole === "allow") return;
    applyWhole(parent, key, value, fieldId, "FIELD", whole, tenant, redactions);
    return;
  }
  const plan = step.field.scan;
  if (plan.kind === "none") return;
  if (plan.kind === "whole") {
    const entity = refineEntity(plan.entity, value);
    const action = tenant.policy.entityAction(fieldId, entity);
    if (action === "allow") return;
    applyWhole(parent, key, value, fieldId, entity, action, tenant, redactions);
    return;
  }
  const scanOptions = step.scan as NonNullable<FieldStep["scan"]>;
  if (typeof value === "string") {
    const next = scanValue(value, fieldId, scanOptions, tenant, redactions);
    if (next === DROP) delete parent[key];
    else parent[key] = next;
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (typeof item !== "string") continue;
      const next = scanValue(item, fieldId, scanOptions, tenant, redactions);
      if (next === DROP) {
        delete parent[key];
        return;
      }
      value[i] = next;
    }
  }
}

const DROP = Symbol("drop");

function scanValue(
  value: string,
  fieldId: string,
  options: { entities: ReadonlySet<Entity>; decode: boolean },
  tenant: TenantRuntime,
  redactions: Redaction[],
): string | typeof DROP {
  const findings = scanText(value, options);
  if (findings.length === 0) return value;
  let drop = false;
  const kept: PiiFinding[] = [];
  for (const finding of findings) {
    const action = tenant.policy.entityAction(fieldId, finding.entity);
    if (action === "allow") continue;
    redactions.push({ field: fieldId, entity: finding.entity, action });
    if (action === "block") {
      throw new Blocked(
        "E_PII_BLOCKED",
        `Field ${fieldId} holds ${finding.entity}${finding.encoding.length ? ` (${finding.encoding.join(" in ")})` : ""}, which this tenant's policy blocks.`,
      );
    }
    if (action === "drop") drop = true;
    else kept.push(finding);
  }
  if (drop) return DROP;
  if (kept.length === 0) return value;
  return redactText(value, kept, (finding, original) => {
    const action = tenant.policy.entityAction(fieldId, finding.entity);
    return action === "pseudonymise"
      ? `${finding.entity}_${tenant.keys.pseudonym(original)}`
      : maskOf(finding.entity);
  });
}

function applyWhole(
  parent: Record<string, unknown>,
  key: string,
  value: unknown,
  fieldId: string,
  entity: string,
  action: Action,
  tenant: TenantRuntime,
  redactions: Redaction[],
): void {
  redactions.push({ field: fieldId, entity, action });
  switch (action) {
    case "allow":
      return;
    case "block":
      throw new Blocked(
        "E_FIELD_BLOCKED",
        `Field ${fieldId} (${entity}) is blocked by this tenant's policy.`,
      );
    case "drop":
      delete parent[key];
      return;
    case "mask": {
      const mask = maskOf(entity);
      parent[key] = Array.isArray(value) ? value.map(() => mask) : mask;
      return;
    }
    case "pseudonymise": {
      const prefix = `${entity}_`;
      const keys = tenant.keys;
      if (!Array.isArray(value)) {
        parent[key] = prefix + keys.pseudonym(String(value));
        return;
      }
      const out = new Array<string>(value.length);
      for (let i = 0; i < value.length; i++) out[i] = prefix + keys.pseudonym(String(value[i]));
      parent[key] = out;
      return;
    }
  }
}

/** A field declared `ip` holds either family; the finding names the one it is. */
function refineEntity(entity: Entity, value: unknown): Entity {
  if (entity === "IPV4" || entity === "IPV6") {
    const sample = Array.isArray(value) ? value[0] : value;
    return typeof sample === "string" && sample.includes(":") ? "IPV6" : "IPV4";
  }
  return entity;
}
