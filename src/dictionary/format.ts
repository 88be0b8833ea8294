/**
 * The telemetry data dictionary: the vendor's declaration of every event type and field it may
 * receive, with each field's type, purpose, sensitivity (Glean's data categories) and retention.
 * Written in YAML (JSON is YAML too), in the spirit of Glean's metrics.yaml:
 *
 *   $schema: crosscheck/dictionary/v1
 *   name: edr
 *   version: "2026.11.23.1"
 *   common:   { fields: { id: { type: guid, purpose: …, sensitivity: technical, retention_days: 90 } } }
 *   events:
 *     process_start:
 *       description: A process started.
 *       fields: { pid: { type: integer, purpose: …, sensitivity: technical, retention_days: 90 } }
 *
 * Field names are literal keys (`service.name` is one key); nesting is only through
 * `type: object`. Every record carries `event` (its type's name) implicitly; `common` fields are
 * declared once and merged into every event. Pure: no I/O.
 */
import { type Static, type TSchema, Type } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { isNode, LineCounter, parseDocument } from "yaml";
import { CrosscheckError } from "../errors/index.js";
import { ENTITIES, type Entity, isEntity } from "../gateway/pii/entities.js";

export const DICTIONARY_SCHEMA = "crosscheck/dictionary/v1";

export const SCALAR_TYPES = [
  "integer",
  "number",
  "boolean",
  "timestamp",
  "guid",
  "sha256",
  "sha1",
  "md5",
  "enum",
  "string",
  "text",
  "path",
  "ip",
  "hostname",
  "username",
  "domain_account",
  "url",
  "email",
] as const;
export type ScalarType = (typeof SCALAR_TYPES)[number];
export const FIELD_TYPES = [...SCALAR_TYPES, "object", "array"] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/** Glean's data categories, least sensitive first (the order is used to tell a raise). */
export const SENSITIVITIES = [
  "technical",
  "interaction",
  "web_activity",
  "highly_sensitive",
] as const;
export type Sensitivity = (typeof SENSITIVITIES)[number];

/** Types whose value is free data worth scanning, and so may name what to scan for. */
export const SCANNABLE_TYPES: ReadonlySet<FieldType> = new Set(["string", "text", "path", "url"]);
/** Types that hold strings of unbounded content, and so take `max_length`. */
const STRING_TYPES: ReadonlySet<FieldType> = new Set([
  "string",
  "text",
  "path",
  "ip",
  "hostname",
  "username",
  "domain_account",
  "url",
  "email",
]);

/** Default and hard upper bounds of string lengths, in UTF-16 code units (JSON Schema's unit). */
export const DEFAULT_MAX_LENGTH: Readonly<Partial<Record<FieldType, number>>> = {
  string: 1024,
  text: 8192,
  path: 4096,
  ip: 45,
  hostname: 253,
  username: 256,
  domain_account: 512,
  url: 2048,
  email: 254,
};
export const MAX_STRING_LENGTH = 1 << 20;
export const DEFAULT_MAX_ITEMS = 256;
/** Bounds on the document itself: every download and document has a size bound (Decision 14). */
export const MAX_DICTIONARY_SIZE = 4 << 20;
export const MAX_FIELDS = 20_000;
export const MAX_DEPTH = 8;

export interface FieldSpec {
  /** The literal key in the record. */
  name: string;
  type: FieldType;
  purpose: string;
  sensitivity: Sensitivity;
  retentionDays: number;
  required: boolean;
  description?: string;
  /** `enum` (or an array of enum items): the allowed values. */
  values?: readonly string[];
  /** `array`: the type of its items (a scalar type) and their maximum count. */
  items?: ScalarType;
  maxItems?: number;
  /** String types (and arrays of them): the longest value allowed. */
  maxLength?: number;
  /** `integer`, `number`: bounds. */
  minimum?: number;
  maximum?: number;
  /** Scannable types: which personal data to look for, replacing the type's default. */
  scanFor?: readonly Entity[];
  /** `object`: its fields. */
  fields?: readonly FieldSpec[];
}

export interface EventSpec {
  name: string;
  description: string;
  fields: readonly FieldSpec[];
}

export interface Dictionary {
  schema: typeof DICTIONARY_SCHEMA;
  name: string;
  version: string;
  description?: string;
  /** Fields every event has (beside the implicit `event`). */
  common: readonly FieldSpec[];
  events: readonly EventSpec[];
}

// The document's shape, checked with TypeBox one object at a time (fields recurse by hand, so
// each error can name the event and field it is about).
const Text = (max: number) => Type.String({ minLength: 1, maxLength: max });
const FieldMap = Type.Record(Type.String(), Type.Unknown());

const FieldDoc = Type.Object(
  {
    type: Type.String(),
    purpose: Text(2000),
    sensitivity: Type.Optional(Type.String()),
    retention_days: Type.Optional(Type.Integer({ minimum: 0, maximum: 36_500 })),
    required: Type.Optional(Type.Boolean()),
    description: Type.Optional(Type.String({ maxLength: 4000 })),
    values: Type.Optional(
      Type.Array(Text(256), { minItems: 1, maxItems: 4096, uniqueItems: true }),
    ),
    items: Type.Optional(Type.String()),
    max_items: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    max_length: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_STRING_LENGTH })),
    minimum: Type.Optional(Type.Number()),
    maximum: Type.Optional(Type.Number()),
    scan_for: Type.Optional(Type.Array(Type.String(), { minItems: 1, uniqueItems: true })),
    fields: Type.Optional(FieldMap),
  },
  { additionalProperties: false },
);
type FieldDoc = Static<typeof FieldDoc>;

const EventDoc = Type.Object(
  { description: Text(4000), fields: Type.Optional(FieldMap) },
  { additionalProperties: false },
);

const DictionaryDoc = Type.Object(
  {
    $schema: Type.Literal(DICTIONARY_SCHEMA),
    name: Type.String({ pattern: "^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$" }),
    version: Type.String({ pattern: "^(0|[1-9][0-9]{0,8})(\\.(0|[1-9][0-9]{0,8})){0,7}$" }),
    description: Type.Optional(Type.String({ maxLength: 4000 })),
    common: Type.Optional(Type.Object({ fields: FieldMap }, { additionalProperties: false })),
    events: Type.Record(Type.String(), Type.Unknown()),
  },
  { additionalProperties: false },
);

const EVENT_NAME = /^[A-Za-z][A-Za-z0-9_.:-]{0,127}$/;
// Paths join keys with "/", so a key may not hold "/" (nor "~", JSON Pointer's escape).
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const FIELD_NAME = /^[^/~\u0000-\u001f\u007f]{1,128}$/;
/** The implicit field naming a record's event type. */
export const EVENT_FIELD = "event";

/** Parses and checks a dictionary; every refusal is E_DICTIONARY_INVALID naming where. */
export function parseDictionary(text: string): Dictionary {
  if (text.length > MAX_DICTIONARY_SIZE) {
    throw invalid(`The dictionary is longer than ${MAX_DICTIONARY_SIZE} characters.`);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const syntax = doc.errors[0];
  if (syntax) {
    const at = syntax.linePos?.[0] ?? lineCounter.linePos(syntax.pos[0]);
    throw invalid(
      `The dictionary is not valid YAML at line ${at.line}, column ${at.col}: ${firstLine(syntax.message)}`,
    );
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 64 });
  } catch (err) {
    // yaml refuses alias expansions past the count (a "billion laughs" document).
    throw invalid(`The dictionary cannot be read: ${(err as Error).message}.`);
  }
  const parser = new DictionaryParser(value, (path) => {
    // A missing key has no node: point at the nearest enclosing one instead.
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
      const range = isNode(node) ? node.range : undefined;
      if (range) {
        const at = lineCounter.linePos(range[0]);
        return `line ${at.line}, column ${at.col}: `;
      }
    }
    return "";
  });
  return parser.dictionary();
}

type Path = (string | number)[];

class DictionaryParser {
  private fieldCount = 0;

  constructor(
    private readonly root: unknown,
    private readonly where: (path: Path) => string,
  ) {}

  dictionary(): Dictionary {
    const doc = this.shape(DictionaryDoc, this.root, [], "The dictionary");
    const common = doc.common
      ? this.fields(doc.common.fields, ["common", "fields"], "common", undefined, 1)
      : [];
    const events: EventSpec[] = [];
    for (const name of Object.keys(doc.events)) {
      const path = ["events", name];
      if (!EVENT_NAME.test(name)) {
        this.fail(
          path,
          `The event name ${JSON.stringify(name)} must start with a letter and hold only letters, digits and _ . : - (at most 128).`,
        );
      }
      const event = this.shape(EventDoc, doc.events[name], path, `Event ${name}`);
      const fields = this.fields(event.fields ?? {}, [...path, "fields"], name, undefined, 1);
      for (const f of fields) {
        if (common.some((c) => c.name === f.name)) {
          this.fail(
            [...path, "fields", f.name],
            `Event ${name}, field ${f.name}: it is already a common field; declare it once.`,
          );
        }
      }
      events.push({ name, description: event.description, fields });
    }
    if (events.length === 0) this.fail(["events"], "The dictionary declares no events.");
    const out: Dictionary = {
      schema: DICTIONARY_SCHEMA,
      name: doc.name,
      version: doc.version,
      common,
      events,
    };
    if (doc.description !== undefined) out.description = doc.description;
    return out;
  }

  private fields(
    map: Record<string, unknown>,
    path: Path,
    event: string,
    parent: { field: string; sensitivity?: Sensitivity; retentionDays?: number } | undefined,
    depth: number,
  ): FieldSpec[] {
    if (depth > MAX_DEPTH)
      this.fail(path, `Event ${event}: objects nest deeper than ${MAX_DEPTH} levels.`);
    const out: FieldSpec[] = [];
    for (const name of Object.keys(map)) {
      const at = [...path, name];
      const id = parent ? `${parent.field}/${name}` : name;
      const what = `Event ${event}, field ${id}`;
      if (++this.fieldCount > MAX_FIELDS)
        this.fail(at, `The dictionary declares more than ${MAX_FIELDS} fields.`);
      if (!FIELD_NAME.test(name)) {
        this.fail(
          at,
          `${what}: a field name is 1 to 128 characters without "/", "~" or control characters.`,
        );
      }
      if (name === "__proto__") this.fail(at, `${what}: this name is reserved.`);
      if (!parent && name === EVENT_FIELD) {
        this.fail(at, `${what}: "event" is implicit (the event type's name); do not declare it.`);
      }
      out.push(
        this.field(
          this.shape(FieldDoc, map[name], at, what),
          name,
          at,
          event,
          id,
          what,
          parent,
          depth,
        ),
      );
    }
    return out;
  }

  private field(
    doc: FieldDoc,
    name: string,
    at: Path,
    event: string,
    id: string,
    what: string,
    parent: { sensitivity?: Sensitivity; retentionDays?: number } | undefined,
    depth: number,
  ): FieldSpec {
    const type = doc.type as FieldType;
    if (!(FIELD_TYPES as readonly string[]).includes(type)) {
      this.fail(
        [...at, "type"],
        `${what}: unknown type ${JSON.stringify(doc.type)}; use one of ${FIELD_TYPES.join(", ")}.`,
      );
    }
    if (
      doc.sensitivity !== undefined &&
      !(SENSITIVITIES as readonly string[]).includes(doc.sensitivity)
    ) {
      this.fail(
        [...at, "sensitivity"],
        `${what}: unknown sensitivity ${JSON.stringify(doc.sensitivity)}; use one of ${SENSITIVITIES.join(", ")}.`,
      );
    }
    // Inside an object a field may leave sensitivity and retention to the object it belongs to.
    const sensitivity = (doc.sensitivity as Sensitivity | undefined) ?? parent?.sensitivity;
    const retentionDays = doc.retention_days ?? parent?.retentionDays;
    if (sensitivity === undefined)
      this.fail(at, `${what}: sensitivity is missing (${SENSITIVITIES.join(", ")}).`);
    if (retentionDays === undefined) this.fail(at, `${what}: retention_days is missing.`);

    const allowed = new Set([
      "type",
      "purpose",
      "sensitivity",
      "retention_days",
      "required",
      "description",
    ]);
    const elementType: FieldType = type === "array" ? (doc.items as FieldType) : type;
    if (type === "array") {
      allowed.add("items").add("max_items");
      if (doc.items === undefined)
        this.fail(at, `${what}: an array needs items (the type of its elements).`);
      if (!(SCALAR_TYPES as readonly string[]).includes(doc.items)) {
        this.fail(
          [...at, "items"],
          `${what}: items must be a scalar type (${SCALAR_TYPES.join(", ")}), not ${JSON.stringify(doc.items)}.`,
        );
      }
    }
    if (type === "object") {
      allowed.add("fields");
      if (doc.fields === undefined) this.fail(at, `${what}: an object needs fields.`);
    }
    if (elementType === "enum") {
      allowed.add("values");
      if (doc.values === undefined) this.fail(at, `${what}: an enum needs values.`);
    }
    if (STRING_TYPES.has(elementType)) allowed.add("max_length");
    if (SCANNABLE_TYPES.has(elementType)) allowed.add("scan_for");
    if (elementType === "integer" || elementType === "number")
      allowed.add("minimum").add("maximum");
    for (const key of Object.keys(doc)) {
      if (!allowed.has(key)) {
        this.fail(
          [...at, key],
          `${what}: ${key} does not apply to a field of type ${type}${type === "array" ? ` of ${doc.items}` : ""}.`,
        );
      }
    }
    if (doc.minimum !== undefined && doc.maximum !== undefined && doc.minimum > doc.maximum) {
      this.fail([...at, "minimum"], `${what}: minimum is above maximum.`);
    }
    const scanFor = doc.scan_for;
    if (scanFor) {
      const unknown = scanFor.find((e) => !isEntity(e));
      if (unknown !== undefined) {
        this.fail(
          [...at, "scan_for"],
          `${what}: unknown entity ${JSON.stringify(unknown)}; use ${ENTITIES.join(", ")}.`,
        );
      }
    }

    const spec: FieldSpec = {
      name,
      type,
      purpose: doc.purpose,
      sensitivity: sensitivity as Sensitivity,
      retentionDays: retentionDays as number,
      required: doc.required ?? false,
    };
    if (doc.description !== undefined) spec.description = doc.description;
    if (doc.values !== undefined) spec.values = doc.values;
    if (type === "array") {
      spec.items = doc.items as ScalarType;
      spec.maxItems = doc.max_items ?? DEFAULT_MAX_ITEMS;
    }
    const defaultLength = DEFAULT_MAX_LENGTH[elementType];
    if (defaultLength !== undefined) spec.maxLength = doc.max_length ?? defaultLength;
    if (doc.minimum !== undefined) spec.minimum = doc.minimum;
    if (doc.maximum !== undefined) spec.maximum = doc.maximum;
    if (scanFor) spec.scanFor = scanFor as Entity[];
    if (type === "object") {
      spec.fields = this.fields(
        doc.fields ?? {},
        [...at, "fields"],
        event,
        { field: id, sensitivity: spec.sensitivity, retentionDays: spec.retentionDays },
        depth + 1,
      );
      if (spec.fields.length === 0)
        this.fail([...at, "fields"], `${what}: an object needs at least one field.`);
    }
    return spec;
  }

  private shape<T extends TSchema>(schema: T, value: unknown, path: Path, what: string): Static<T> {
    if (Value.Check(schema, value)) return value;
    const error = Value.Errors(schema, value).First();
    const inner = error?.path ? error.path.split("/").slice(1).map(unescapePointer) : [];
    const property = inner.length > 0 ? `${inner.join(".")}: ` : "";
    const message = error ? describeError(error.message, value, inner) : "unexpected shape";
    return this.fail([...path, ...inner], `${what}: ${property}${message}.`);
  }

  private fail(path: Path, message: string): never {
    throw invalid(`${this.where(path)}${message}`);
  }
}

/** TypeBox's messages are terse; say what is missing or wrong in the words of the format. */
function describeError(message: string, value: unknown, inner: string[]): string {
  if (message === "Expected required property") return "is missing";
  if (message === "Unexpected property") return "is not a known key here";
  if (inner.length === 0 && (typeof value !== "object" || value === null))
    return "expected a mapping";
  return message.charAt(0).toLowerCase() + message.slice(1);
}

function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, "/").replace(/~0/g, "~");
}

function firstLine(message: string): string {
  return message.split("\n")[0] ?? message;
}

function invalid(message: string): CrosscheckError {
  return new CrosscheckError("E_DICTIONARY_INVALID", message);
}

/** Sensitivity rank, for "raised" comparisons. */
export function sensitivityRank(s: Sensitivity): number {
  return SENSITIVITIES.indexOf(s);
}
