/**
 * What changed between two dictionaries, at the level a reviewer judges: events added and
 * removed, and per declaration scope (`common`, or one event) the leaves added, removed and
 * changed (type, sensitivity, retention, purpose, required, bounds). Common fields are compared
 * once, as common, not once per event. Fields of an added event count as added.
 */
import type { Dictionary, FieldSpec, FieldType, ScalarType, Sensitivity } from "./format.js";

export interface DiffField {
  /** The event, or null for a common field. */
  event: string | null;
  /** Path within its scope, keys joined with "/". */
  field: string;
  type: FieldType;
  items?: ScalarType;
  sensitivity: Sensitivity;
  retentionDays: number;
  purpose: string;
  required: boolean;
}

export interface Change<T> {
  from: T;
  to: T;
}

export interface FieldChange {
  event: string | null;
  field: string;
  /** The field as it is now. */
  now: DiffField;
  type?: Change<string>;
  sensitivity?: Change<Sensitivity>;
  retentionDays?: Change<number>;
  purpose?: Change<string>;
  required?: Change<boolean>;
  /** max_length, max_items, values, minimum, maximum, scan_for: what bounds the content. */
  bounds?: Change<string>;
}

export interface DictionaryDiff {
  from: { name: string; version: string };
  to: { name: string; version: string };
  eventsAdded: string[];
  eventsRemoved: string[];
  fieldsAdded: DiffField[];
  fieldsRemoved: DiffField[];
  fieldsChanged: FieldChange[];
}

interface Leaf {
  field: DiffField;
  bounds: string;
}

export function diffDictionaries(old: Dictionary, next: Dictionary): DictionaryDiff {
  const diff: DictionaryDiff = {
    from: { name: old.name, version: old.version },
    to: { name: next.name, version: next.version },
    eventsAdded: [],
    eventsRemoved: [],
    fieldsAdded: [],
    fieldsRemoved: [],
    fieldsChanged: [],
  };
  const oldEvents = new Map(old.events.map((e) => [e.name, e]));
  const newEvents = new Map(next.events.map((e) => [e.name, e]));
  compareScope(null, old.common, next.common, diff);
  for (const e of next.events) {
    const before = oldEvents.get(e.name);
    if (!before) diff.eventsAdded.push(e.name);
    compareScope(e.name, before?.fields ?? [], e.fields, diff);
  }
  for (const e of old.events) {
    if (newEvents.has(e.name)) continue;
    diff.eventsRemoved.push(e.name);
    compareScope(e.name, e.fields, [], diff);
  }
  return diff;
}

export function isEmptyDictionaryDiff(diff: DictionaryDiff): boolean {
  return (
    diff.eventsAdded.length === 0 &&
    diff.eventsRemoved.length === 0 &&
    diff.fieldsAdded.length === 0 &&
    diff.fieldsRemoved.length === 0 &&
    diff.fieldsChanged.length === 0
  );
}

function compareScope(
  event: string | null,
  before: readonly FieldSpec[],
  after: readonly FieldSpec[],
  diff: DictionaryDiff,
): void {
  const a = flatten(event, before);
  const b = flatten(event, after);
  for (const [path, leaf] of b) {
    const was = a.get(path);
    if (!was) {
      diff.fieldsAdded.push(leaf.field);
      continue;
    }
    const change: FieldChange = { event, field: path, now: leaf.field };
    let changed = false;
    const typeOf = (f: DiffField) => (f.items ? `array of ${f.items}` : f.type);
    if (typeOf(was.field) !== typeOf(leaf.field)) {
      change.type = { from: typeOf(was.field), to: typeOf(leaf.field) };
      changed = true;
    }
    if (was.field.sensitivity !== leaf.field.sensitivity) {
      change.sensitivity = { from: was.field.sensitivity, to: leaf.field.sensitivity };
      changed = true;
    }
    if (was.field.retentionDays !== leaf.field.retentionDays) {
      change.retentionDays = { from: was.field.retentionDays, to: leaf.field.retentionDays };
      changed = true;
    }
    if (was.field.purpose !== leaf.field.purpose) {
      change.purpose = { from: was.field.purpose, to: leaf.field.purpose };
      changed = true;
    }
    if (was.field.required !== leaf.field.required) {
      change.required = { from: was.field.required, to: leaf.field.required };
      changed = true;
    }
    if (was.bounds !== leaf.bounds) {
      change.bounds = { from: was.bounds, to: leaf.bounds };
      changed = true;
    }
    if (changed) diff.fieldsChanged.push(change);
  }
  for (const [path, leaf] of a) if (!b.has(path)) diff.fieldsRemoved.push(leaf.field);
}

function flatten(event: string | null, fields: readonly FieldSpec[]): Map<string, Leaf> {
  const out = new Map<string, Leaf>();
  const walk = (list: readonly FieldSpec[], prefix: string) => {
    for (const f of list) {
      const path = prefix + f.name;
      if (f.type === "object") {
        walk(f.fields ?? [], `${path}/`);
        continue;
      }
      const field: DiffField = {
        event,
        field: path,
        type: f.type,
        sensitivity: f.sensitivity,
        retentionDays: f.retentionDays,
        purpose: f.purpose,
        required: f.required,
      };
      if (f.items) field.items = f.items;
      out.set(path, { field, bounds: bounds(f) });
    }
  };
  walk(fields, "");
  return out;
}

function bounds(f: FieldSpec): string {
  const parts: string[] = [];
  if (f.maxLength !== undefined) parts.push(`max_length ${f.maxLength}`);
  if (f.maxItems !== undefined) parts.push(`max_items ${f.maxItems}`);
  if (f.minimum !== undefined) parts.push(`minimum ${f.minimum}`);
  if (f.maximum !== undefined) parts.push(`maximum ${f.maximum}`);
  if (f.values) parts.push(`values ${f.values.join("|")}`);
  if (f.scanFor) parts.push(`scan_for ${[...f.scanFor].sort().join(",")}`);
  return parts.join("; ");
}
