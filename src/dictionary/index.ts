/**
 * The telemetry data dictionary (issue 7): the format (`format.ts`: parse and check the YAML the
 * vendor publishes on the `dictionary` channel), its compiled form for the gateway (`compile.ts`:
 * one Ajv validator per event, each field's scan plan), and the diff reviewers read (`diff.ts`).
 * Pure: no I/O, nothing from `node:`.
 */
export {
  type CheckCode,
  type CheckResult,
  type CompiledDictionary,
  type CompiledEvent,
  type CompiledField,
  compileDictionary,
  type DeclaredKeys,
  entityOf,
  type ScanPlan,
  stripUndeclared,
} from "./compile.js";
export {
  type Change,
  type DictionaryDiff,
  type DiffField,
  diffDictionaries,
  type FieldChange,
  isEmptyDictionaryDiff,
} from "./diff.js";
export {
  DEFAULT_MAX_ITEMS,
  DEFAULT_MAX_LENGTH,
  DICTIONARY_SCHEMA,
  type Dictionary,
  EVENT_FIELD,
  type EventSpec,
  FIELD_TYPES,
  type FieldSpec,
  type FieldType,
  MAX_DICTIONARY_SIZE,
  parseDictionary,
  SCALAR_TYPES,
  type ScalarType,
  SENSITIVITIES,
  type Sensitivity,
  sensitivityRank,
} from "./format.js";
