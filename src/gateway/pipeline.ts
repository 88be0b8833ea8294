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
  const outcome: BatchOutcome = {
    lines: [],
    decisions: [],
    refused: [],
    events: {},
    redactions: {},
    bytesIn: 0,
    bytesOut: 0,
  };
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
      for (const step of planFor(tenant, event)) applyField(input.value, step, tenant, redactions);
      line = JSON.stringify(input.value);
    } catch (err) {
      if (!(err instanceof Blocked)) throw err;
      blocked = err;
      eventType ??= eventNameOf(input.value);
    }
    for (const r of redactions)
      outcome.redactions[r.entity] = (outcome.redactions[r.entity] ?? 0) + 1;
    const kept = redactions.length === 0 ? NO_REDACTIONS : redactions.slice();
    if (eventType !== null) outcome.events[eventType] = (outcome.events[eventType] ?? 0) + 1;
    if (line !== undefined) {
      const bytesOut = Buffer.byteLength(line, "utf8");
      outcome.lines.push(line);
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
  return outcome;
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
  /** The tenant's action for the whole field, when its policy names one. */
  whole: Action | undefined;
}

const plans = new WeakMap<TenantRuntime, WeakMap<CompiledEvent, readonly FieldStep[]>>();

function planFor(tenant: TenantRuntime, event: CompiledEvent): readonly FieldStep[] {
  let byEvent = plans.get(tenant);
  if (!byEvent) {
    byEvent = new WeakMap();
    plans.set(tenant, byEvent);
  }
  let steps = byEvent.get(event);
  if (!steps) {
    steps = event.fields
      .map((field) => {
        const id = `${event.name}/${field.name}`;
        return { field, id, whole: tenant.policy.fieldAction(id) };
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
  const field = step.field;
  // Walk to the field's parent; absent optional fields are fine.
  let parent = record as Record<string, unknown>;
  const path = field.path;
  for (let i = 0; i < path.length - 1; i++) {
    const next = parent[path[i] as string];
    if (next === null || typeof next !== "object") return;
    parent = next as Record<string, unknown>;
  }
  const key = path[path.length - 1] as string;
  const value = parent[key];
  if (value === undefined) return;
  const fieldId = step.id;

  const whole = step.whole;
  if (whole !== undefined) {
    if (whole === "allow") return;
    applyWhole(parent, key, value, fieldId, "FIELD", whole, tenant, redactions);
    return;
  }
  const plan = field.scan;
  if (plan.kind === "none") return;
  if (plan.kind === "whole") {
    const entity = refineEntity(plan.entity, value);
    const action = tenant.policy.entityAction(fieldId, entity);
    if (action === "allow") return;
    applyWhole(parent, key, value, fieldId, entity, action, tenant, redactions);
    return;
  }
  const scanOptions = { entities: plan.entities, decode: plan.decode };
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
    case "mask":
      parent[key] = mapScalars(value, () => maskOf(entity));
      return;
    case "pseudonymise":
      parent[key] = mapScalars(value, (v) => `${entity}_${tenant.keys.pseudonym(String(v))}`);
      return;
  }
}

function mapScalars(value: unknown, f: (v: unknown) => string): unknown {
  return Array.isArray(value) ? value.map((v) => f(v)) : f(value);
}

/** A field declared `ip` holds either family; the finding names the one it is. */
function refineEntity(entity: Entity, value: unknown): Entity {
  if (entity === "IPV4" || entity === "IPV6") {
    const sample = Array.isArray(value) ? value[0] : value;
    return typeof sample === "string" && sample.includes(":") ? "IPV6" : "IPV4";
  }
  return entity;
}
