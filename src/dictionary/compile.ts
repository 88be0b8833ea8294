/**
 * The dictionary compiled for the gateway's hot path. Per event type, one Ajv-compiled validator
 * (closed objects, formats as compiled patterns) decides a record in generated code; only a record
 * that fails is validated again by a second, `allErrors` validator (compiled on first need) to list
 * every undeclared and invalid field. Each declared leaf carries its scan plan: what personal data
 * the gateway looks for in it, if anything (format-checked types hold no free data).
 *
 * Each compile has its own Ajv instances, so dictionaries never share compiled state.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { ENTITIES, type Entity } from "../gateway/pii/entities.js";
import {
  type Dictionary,
  EVENT_FIELD,
  type FieldSpec,
  type FieldType,
  type ScalarType,
  type Sensitivity,
} from "./format.js";

export type ScanPlan =
  | { kind: "none" }
  /**
   * The whole value is one entity. For `ip` fields the entity is given as IPV4: `entityOf` tells
   * IPV4 from IPV6 by the value.
   */
  | { kind: "whole"; entity: Entity }
  | { kind: "scan"; entities: ReadonlySet<Entity>; decode: boolean };

export interface CompiledField {
  /** Keys from the record's root; an array field's items share its plan. */
  path: readonly string[];
  /** `path` joined with "/": the field's stable id in policies and audit records. */
  name: string;
  type: FieldType;
  /** For arrays: the items' type. */
  items?: ScalarType;
  sensitivity: Sensitivity;
  purpose: string;
  retentionDays: number;
  array: boolean;
  scan: ScanPlan;
}

export interface CompiledEvent {
  name: string;
  /** Every declared leaf, common fields included (the implicit `event` is not one). */
  fields: readonly CompiledField[];
  byName: ReadonlyMap<string, CompiledField>;
  /** The declared keys as a tree (undefined marks a leaf), for stripping undeclared ones. */
  keys: DeclaredKeys;
}

export type DeclaredKeys = ReadonlyMap<string, DeclaredKeys | undefined>;

export type CheckCode =
  | "E_RECORD_INVALID"
  | "E_EVENT_UNDECLARED"
  | "E_FIELD_UNDECLARED"
  | "E_FIELD_INVALID";

export type CheckResult =
  | { ok: true; event: CompiledEvent }
  | {
      ok: false;
      /** E_FIELD_UNDECLARED only when undeclared fields are all that is wrong. */
      code: CheckCode;
      event?: string;
      /** Paths like "process/image_path" (JSON Pointer escaping, array items by index). */
      fields: string[];
      /** Undeclared fields, also when the code is E_FIELD_INVALID. */
      undeclared: string[];
      message: string;
    };

export interface CompiledDictionary {
  readonly dictionary: Dictionary;
  check(record: unknown): CheckResult;
  event(name: string): CompiledEvent | undefined;
  /** `stripUndeclared` below: removes undeclared fields in place, returns their paths. */
  stripUndeclared(record: unknown, event: CompiledEvent): string[];
}

const SCAN_NONE: ScanPlan = { kind: "none" };
const SCAN_ALL: ScanPlan = { kind: "scan", entities: new Set(ENTITIES), decode: true };
// A path's user folder is the personal part; emails (OneDrive folders) and secrets in file names
// happen too. Paths are not decoded: percent signs and hex runs in file names are ordinary.
const SCAN_PATH: ScanPlan = {
  kind: "scan",
  entities: new Set<Entity>(["PATH_USER", "EMAIL", "SECRET"]),
  decode: false,
};
const WHOLE: Partial<Record<FieldType, ScanPlan>> = {
  ip: { kind: "whole", entity: "IPV4" },
  hostname: { kind: "whole", entity: "HOSTNAME" },
  username: { kind: "whole", entity: "DOMAIN_ACCOUNT" },
  domain_account: { kind: "whole", entity: "DOMAIN_ACCOUNT" },
  email: { kind: "whole", entity: "EMAIL" },
};

function scanPlan(type: ScalarType, scanFor: readonly Entity[] | undefined): ScanPlan {
  const whole = WHOLE[type];
  if (whole) return whole;
  if (type === "string" || type === "text" || type === "url" || type === "path") {
    const base = type === "path" ? SCAN_PATH : SCAN_ALL;
    return scanFor && base.kind === "scan"
      ? { kind: "scan", entities: new Set(scanFor), decode: base.decode }
      : base;
  }
  return SCAN_NONE;
}

/** The entity a whole-value field's value is: IPV6 for an `ip` value holding a colon. */
export function entityOf(plan: { kind: "whole"; entity: Entity }, value: string): Entity {
  return plan.entity === "IPV4" && value.includes(":") ? "IPV6" : plan.entity;
}

// Formats as patterns, compiled by Ajv into the validator (no format callbacks per record).
const HEX4 = "[0-9a-fA-F]{1,4}";
const OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
const IPV4 = `${OCTET}(?:\\.${OCTET}){3}`;
const IPV6 = [
  `(?:${HEX4}:){7}${HEX4}`,
  `(?:${HEX4}:){1,7}:`,
  `(?:${HEX4}:){1,6}:${HEX4}`,
  `(?:${HEX4}:){1,5}(?::${HEX4}){1,2}`,
  `(?:${HEX4}:){1,4}(?::${HEX4}){1,3}`,
  `(?:${HEX4}:){1,3}(?::${HEX4}){1,4}`,
  `(?:${HEX4}:){1,2}(?::${HEX4}){1,5}`,
  `${HEX4}:(?::${HEX4}){1,6}`,
  `:(?:(?::${HEX4}){1,7}|:)`,
  `(?:${HEX4}:){6}${IPV4}`,
  `::(?:ffff(?::0{1,4})?:)?${IPV4}`,
  `(?:${HEX4}:){1,5}:${IPV4}`,
].join("|");
const LABEL = "[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?";
const NO_CONTROL = "[^\\u0000-\\u001f\\u007f]";
const PATTERNS: Partial<Record<ScalarType, string>> = {
  timestamp:
    "^[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])[Tt](?:[01][0-9]|2[0-3]):[0-5][0-9]:(?:[0-5][0-9]|60)(?:\\.[0-9]{1,9})?(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])$",
  guid: "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
  sha256: "^[0-9a-f]{64}$",
  sha1: "^[0-9a-f]{40}$",
  md5: "^[0-9a-f]{32}$",
  ip: `^(?:${IPV4}|${IPV6})$`,
  hostname: `^${LABEL}(?:\\.${LABEL})*\\.?$`,
  username: `^${NO_CONTROL}+$`,
  domain_account: `^(?:[^\\\\\\u0000-\\u001f\\u007f]+\\\\[^\\\\\\u0000-\\u001f\\u007f]+|[^@\\s]+@[^@\\s]+)$`,
  url: "^[A-Za-z][A-Za-z0-9+.-]*:[^\\s]*$",
  email: "^[^\\s@]{1,64}@[^\\s@]+\\.[^\\s@]+$",
};

const TYPE_WORDS: Record<FieldType, string> = {
  integer: "an integer",
  number: "a number",
  boolean: "true or false",
  timestamp: "an RFC 3339 timestamp",
  guid: "a GUID",
  sha256: "64 lower-case hex digits (SHA-256)",
  sha1: "40 lower-case hex digits (SHA-1)",
  md5: "32 lower-case hex digits (MD5)",
  enum: "one of the declared values",
  string: "a short string",
  text: "a text",
  path: "a path",
  ip: "an IPv4 or IPv6 address",
  hostname: "a host name",
  username: "a user name",
  domain_account: "a DOMAIN\\user or user@domain account",
  url: "a URL",
  email: "an email address",
  object: "an object of the declared fields",
  array: "an array",
};

function scalarSchema(type: ScalarType, spec: FieldSpec): Record<string, unknown> {
  switch (type) {
    case "integer":
      return {
        type: "integer",
        minimum: spec.minimum ?? Number.MIN_SAFE_INTEGER,
        maximum: spec.maximum ?? Number.MAX_SAFE_INTEGER,
      };
    case "number":
      return {
        type: "number",
        ...(spec.minimum === undefined ? {} : { minimum: spec.minimum }),
        ...(spec.maximum === undefined ? {} : { maximum: spec.maximum }),
      };
    case "boolean":
      return { type: "boolean" };
    case "enum":
      return { type: "string", enum: [...(spec.values ?? [])] };
    default: {
      const schema: Record<string, unknown> = { type: "string" };
      if (spec.maxLength !== undefined) schema.maxLength = spec.maxLength;
      const pattern = PATTERNS[type];
      if (pattern) schema.pattern = pattern;
      return schema;
    }
  }
}

function objectSchema(
  fields: readonly FieldSpec[],
  extra?: [string, unknown],
): Record<string, unknown> {
  // Keys are set as own data properties: a field may be named like an Object.prototype member.
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  const define = (key: string, value: unknown) =>
    Object.defineProperty(properties, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  if (extra) {
    define(extra[0], extra[1]);
    required.push(extra[0]);
  }
  for (const f of fields) {
    define(f.name, fieldSchema(f));
    if (f.required) required.push(f.name);
  }
  return { type: "object", properties, required, additionalProperties: false };
}

function fieldSchema(f: FieldSpec): Record<string, unknown> {
  if (f.type === "object") return objectSchema(f.fields ?? []);
  if (f.type === "array") {
    return {
      type: "array",
      items: scalarSchema(f.items as ScalarType, f),
      maxItems: f.maxItems,
    };
  }
  return scalarSchema(f.type, f);
}

function leaves(
  fields: readonly FieldSpec[],
  prefix: readonly string[],
  out: CompiledField[],
): Map<string, DeclaredKeys | undefined> {
  const keys = new Map<string, DeclaredKeys | undefined>();
  for (const f of fields) {
    const path = [...prefix, f.name];
    if (f.type === "object") {
      keys.set(f.name, leaves(f.fields ?? [], path, out));
      continue;
    }
    keys.set(f.name, undefined);
    const scalar = (f.type === "array" ? f.items : f.type) as ScalarType;
    const field: CompiledField = {
      path,
      name: path.join("/"),
      type: f.type,
      sensitivity: f.sensitivity,
      purpose: f.purpose,
      retentionDays: f.retentionDays,
      array: f.type === "array",
      scan: scanPlan(scalar, f.scanFor),
    };
    if (f.items) field.items = f.items;
    out.push(field);
  }
  return keys;
}

interface EventEntry {
  event: CompiledEvent;
  ok: CheckResult;
  fast: ValidateFunction;
  full?: ValidateFunction;
  schema: Record<string, unknown>;
}

export function compileDictionary(dictionary: Dictionary): CompiledDictionary {
  // The format patterns are plain ASCII classes: no `u` flag, which makes every match slower.
  const options = { strict: true, unicodeRegExp: false, code: { optimize: true } } as const;
  const fastAjv = new Ajv({ ...options, allErrors: false });
  let fullAjv: Ajv | undefined;
  const events = new Map<string, EventEntry>();
  for (const e of dictionary.events) {
    const declared = [...dictionary.common, ...e.fields];
    const schema = objectSchema(declared, [EVENT_FIELD, { const: e.name }]);
    const fields: CompiledField[] = [];
    const keys = leaves(declared, [], fields);
    keys.set(EVENT_FIELD, undefined);
    const event: CompiledEvent = {
      name: e.name,
      fields,
      byName: new Map(fields.map((f) => [f.name, f])),
      keys,
    };
    events.set(e.name, { event, ok: { ok: true, event }, fast: fastAjv.compile(schema), schema });
  }
  const label = `dictionary ${dictionary.name} ${dictionary.version}`;

  return {
    dictionary,
    event: (name) => events.get(name)?.event,
    stripUndeclared,
    check(record: unknown): CheckResult {
      if (typeof record !== "object" || record === null || Array.isArray(record)) {
        return failure("E_RECORD_INVALID", undefined, [], [], "A record must be a JSON object.");
      }
      const name = (record as { event?: unknown }).event;
      if (typeof name !== "string") {
        return failure(
          "E_RECORD_INVALID",
          undefined,
          [EVENT_FIELD],
          [],
          'A record must name its event type in the string field "event".',
        );
      }
      const entry = events.get(name);
      if (!entry) {
        return failure(
          "E_EVENT_UNDECLARED",
          name,
          [],
          [],
          `The event type ${JSON.stringify(name.slice(0, 128))} is not declared in the ${label}.`,
        );
      }
      if (entry.fast(record)) return entry.ok;
      if (!entry.full) {
        fullAjv ??= new Ajv({ ...options, allErrors: true });
        entry.full = fullAjv.compile(entry.schema);
      }
      entry.full(record);
      return diagnose(entry.event, entry.full.errors ?? [], label);
    },
  };
}

function failure(
  code: CheckCode,
  event: string | undefined,
  fields: string[],
  undeclared: string[],
  message: string,
): CheckResult {
  return event === undefined
    ? { ok: false, code, fields, undeclared, message }
    : { ok: false, code, event, fields, undeclared, message };
}

function diagnose(
  event: CompiledEvent,
  errors: readonly ErrorObject[],
  label: string,
): CheckResult {
  const undeclared = new Set<string>();
  const invalid = new Map<string, string>();
  for (const e of errors) {
    const at = e.instancePath.slice(1);
    if (e.keyword === "additionalProperties") {
      const key = escapePointer(
        String((e.params as { additionalProperty: string }).additionalProperty),
      );
      undeclared.add(at ? `${at}/${key}` : key);
    } else if (e.keyword === "required") {
      const key = escapePointer(String((e.params as { missingProperty: string }).missingProperty));
      const path = at ? `${at}/${key}` : key;
      if (!invalid.has(path)) invalid.set(path, "is required but missing");
    } else if (!invalid.has(at)) {
      invalid.set(at, `must be ${describe(event, at, e)}`);
    }
  }
  const undeclaredList = [...undeclared];
  if (invalid.size === 0 && undeclaredList.length > 0) {
    return failure(
      "E_FIELD_UNDECLARED",
      event.name,
      undeclaredList,
      undeclaredList,
      `The ${event.name} record has fields the ${label} does not declare: ${list(undeclaredList)}.`,
    );
  }
  const fields = [...invalid.keys()];
  const [first, why] = [...invalid][0] ?? ["", "is invalid"];
  const more =
    fields.length > 1 ? ` (and ${fields.length - 1} more: ${list(fields.slice(1))})` : "";
  const extra = undeclaredList.length > 0 ? `; undeclared: ${list(undeclaredList)}` : "";
  return failure(
    "E_FIELD_INVALID",
    event.name,
    fields,
    undeclaredList,
    `The ${event.name} record's field ${first || "(root)"} ${why}${more}${extra}.`,
  );
}

/** What a field must be, in words: its declared type, and the bound it broke when that says more. */
function describe(event: CompiledEvent, at: string, error: ErrorObject): string {
  // Array items are reported by index; their plan is the array field's.
  const segments = at.split("/");
  let field = event.byName.get(at);
  if (!field && /^[0-9]+$/.test(segments[segments.length - 1] ?? "")) {
    field = event.byName.get(segments.slice(0, -1).join("/"));
  }
  const type = field
    ? field.array && segments.length > field.path.length
      ? field.items
      : field.type
    : undefined;
  const words = type ? TYPE_WORDS[type] : "an object of the declared fields";
  switch (error.keyword) {
    case "maxLength":
    case "maxItems":
    case "minimum":
    case "maximum":
    case "enum":
      return `${words} (${error.message ?? error.keyword})`;
    default:
      return words;
  }
}

function list(paths: readonly string[]): string {
  const shown = paths.slice(0, 10).join(", ");
  return paths.length > 10 ? `${shown}, …` : shown;
}

function escapePointer(key: string): string {
  return key.replace(/~/g, "~0").replace(/\//g, "~1");
}

/**
 * Removes, in place, the fields `event` does not declare (objects recursively) and returns their
 * paths. In place because the gateway owns the parsed record and would only copy it to discard it.
 */
export function stripUndeclared(record: unknown, event: CompiledEvent): string[] {
  const removed: string[] = [];
  if (typeof record === "object" && record !== null && !Array.isArray(record)) {
    strip(record as Record<string, unknown>, event.keys, "", removed);
  }
  return removed;
}

function strip(
  value: Record<string, unknown>,
  keys: DeclaredKeys,
  prefix: string,
  removed: string[],
): void {
  for (const key of Object.keys(value)) {
    if (!keys.has(key)) {
      removed.push(prefix + escapePointer(key));
      delete value[key];
      continue;
    }
    const child = keys.get(key);
    const v = value[key];
    if (child && typeof v === "object" && v !== null && !Array.isArray(v)) {
      strip(v as Record<string, unknown>, child, `${prefix}${escapePointer(key)}/`, removed);
    }
  }
}
