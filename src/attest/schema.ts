/**
 * The building blocks of our predicate schemas, and how a value is checked against one.
 *
 * Schemas are TypeBox types, so each is at once a TypeScript type (`Static<typeof S>`) and a
 * JSON Schema document (`JSON.stringify(S)`). Values are checked with `Value.Check` and
 * `Value.Errors`, which interpret the schema: no code generation, no `eval`, so the same checks
 * run under the portal's strict Content Security Policy. `format` keywords are never used (they
 * need a registry); patterns say everything.
 *
 * Every object refuses properties it does not declare, every string and array has a bound.
 */
import { type Static, type TSchema, Type } from "@sinclair/typebox";
import { Value, ValueErrorType } from "@sinclair/typebox/value";
import { CrosscheckError } from "../errors/index.js";

export const Sha256Hex = Type.String({
  pattern: "^[0-9a-f]{64}$",
  description: "SHA-256 digest, 64 lowercase hex digits",
});

export const Channel = Type.Union(
  [
    Type.Literal("product"),
    Type.Literal("sigdb"),
    Type.Literal("rules"),
    Type.Literal("dictionary"),
  ],
  { description: "release channel: product, sigdb, rules or dictionary" },
);
export type Channel = Static<typeof Channel>;

export const VERSION_PATTERN = "^(0|[1-9][0-9]*)(\\.(0|[1-9][0-9]*))*$";

export const Version = Type.String({
  pattern: VERSION_PATTERN,
  maxLength: 64,
  description:
    "dot-separated non-negative integers without leading zeros (e.g. 2026.11.22.3), compared numerically",
});

/** RFC 3339 date-time in UTC ("Z"), seconds required, fraction optional. */
export const Timestamp = Type.String({
  pattern:
    "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,9})?Z$",
  description: "RFC 3339 date-time in UTC, e.g. 2026-11-22T08:00:00Z",
});

/** A single-line name: no control characters. */
export function Name(maxLength = 256, description?: string) {
  return Type.String({
    minLength: 1,
    maxLength,
    pattern: "^[^\\u0000-\\u001f\\u007f]+$",
    ...(description === undefined ? {} : { description }),
  });
}

/** Free text: may hold tabs and line breaks, no other control characters. */
export function Text(maxLength: number, description?: string) {
  return Type.String({
    maxLength,
    pattern: "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$",
    ...(description === undefined ? {} : { description }),
  });
}

/** Properties of every object schema: nothing undeclared. */
export const CLOSED = { additionalProperties: false } as const;

/** Milliseconds since the epoch of a `Timestamp`, or NaN when the date does not exist (Feb 30). */
export function timestampMillis(text: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/.exec(text);
  if (!match) return Number.NaN;
  const [y, mo, d, h, mi, s] = match.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  // setUTCFullYear, unlike Date.UTC, takes years below 100 literally.
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, 0);
  // Feb 30 rolls over into March: a real date maps back to the same day.
  if (date.getUTCDate() !== d) return Number.NaN;
  return date.getTime() + (match[7] === undefined ? 0 : Math.floor(Number(`0.${match[7]}`) * 1000));
}

export function predicateInvalid(what: string, path: string, message: string): CrosscheckError {
  return new CrosscheckError(
    "E_PREDICATE_INVALID",
    `The ${what} is invalid at ${path === "" ? "/" : path}: ${message}`,
  );
}

/**
 * Checks `value` against `schema`; on failure throws `code` with the first error's path (a JSON
 * pointer) and what was expected there (the failing schema's description when it has one).
 */
export function checkSchema<T extends TSchema>(
  schema: T,
  value: unknown,
  what: string,
  code = "E_PREDICATE_INVALID",
): Static<T> {
  if (Value.Check(schema, value)) return value;
  const first = Value.Errors(schema, value).First();
  const path = first?.path || "/";
  let message: string;
  if (!first) message = "it does not match the schema";
  else if (first.type === ValueErrorType.ObjectRequiredProperty)
    message = "this property is missing";
  else if (first.type === ValueErrorType.ObjectAdditionalProperties) {
    message = "this property is not allowed";
  } else if (typeof first.schema.description === "string") {
    message = `expected ${first.schema.description}`;
  } else message = first.message;
  throw new CrosscheckError(code, `The ${what} is invalid at ${path}: ${message}.`);
}

/** Refuses a timestamp field that matches the pattern but names no real date. */
export function checkTimestamp(what: string, path: string, text: string): number {
  const millis = timestampMillis(text);
  if (Number.isNaN(millis)) throw predicateInvalid(what, path, `${text} is not a real date.`);
  return millis;
}

/** Refuses a list of objects whose `name` repeats. */
export function checkUniqueNames(
  what: string,
  path: string,
  items: readonly { name: string }[],
): void {
  const names = new Set<string>();
  for (const [i, item] of items.entries()) {
    if (names.has(item.name)) {
      throw predicateInvalid(
        what,
        `${path}/${i}/name`,
        `the name ${JSON.stringify(item.name)} appears twice.`,
      );
    }
    names.add(item.name);
  }
}

/** `Value.Check(schema, ·)` as a type guard, for callers that branch rather than throw. */
export function schemaCheck<T extends TSchema>(schema: T): (value: unknown) => value is Static<T> {
  return (value): value is Static<T> => Value.Check(schema, value);
}
