/**
 * OTLP/HTTP logs (`POST /v1/logs`): the request body in either encoding becomes flat
 * `OtlpLogRecord`s, and the answer is an ExportLogsServiceResponse. Both encodings go through one
 * converter: protobuf is decoded with protobufjs and turned into the OTLP/JSON object shape
 * (lowerCamelCase names, 64-bit integers as decimal strings, bytes as base64), then read exactly
 * like a JSON body. Decoding is bounded (Decision 20): record count and AnyValue nesting depth.
 */
import { CrosscheckError, isCrosscheckError } from "../../errors/index.js";
import { ExportLogsServiceRequest, ExportLogsServiceResponse, Status } from "./proto.js";

export type OtlpEncoding = "json" | "protobuf";

export interface OtlpLogRecord {
  /** Resource attributes, keys literal (`service.name`); shared by records of one resource. */
  resource: Record<string, unknown>;
  scope: { name: string; version?: string };
  /** Nanoseconds since the epoch as decimal strings: uint64 does not fit a JS number. */
  timeUnixNano: string;
  observedTimeUnixNano: string;
  severityNumber?: number;
  severityText?: string;
  /** LogRecord.event_name (field 12) when set. */
  eventName?: string;
  /** The AnyValue as plain JSON; an AnyValue with no value set is `null`. */
  body?: unknown;
  attributes: Record<string, unknown>;
  /** Lowercase hex, absent when the sender left it empty. */
  traceId?: string;
  spanId?: string;
}

export interface OtlpDecodeLimits {
  /** Most log records one request may carry (default 10,000; the OTel SDKs batch 512). */
  maxRecords?: number;
  /** Deepest AnyValue nesting accepted, the body or attribute value itself being level 1 (default 32). */
  maxDepth?: number;
}

const DEFAULT_MAX_RECORDS = 10_000;
const DEFAULT_MAX_DEPTH = 32;
const MAX_UINT64 = (1n << 64n) - 1n;
const MIN_INT64 = -(1n << 63n);
const MAX_INT64 = (1n << 63n) - 1n;

/** The body encoding named by a Content-Type header (parameters such as charset are ignored). */
export function otlpEncodingOf(contentType: string | undefined): OtlpEncoding {
  const mediaType = contentType?.split(";")[0]?.trim().toLowerCase();
  if (mediaType === "application/json") return "json";
  if (mediaType === "application/x-protobuf") return "protobuf";
  throw new CrosscheckError(
    "E_OTLP_CONTENT_TYPE",
    mediaType
      ? `OTLP/HTTP takes Content-Type application/x-protobuf or application/json, not "${mediaType}"; configure the exporter's protocol as http/protobuf or http/json.`
      : "The OTLP/HTTP request has no Content-Type; send application/x-protobuf or application/json.",
  );
}

/** Decodes an ExportLogsServiceRequest into one flat record per LogRecord, in order. */
export function decodeLogsRequest(
  body: Uint8Array,
  encoding: OtlpEncoding,
  limits: OtlpDecodeLimits = {},
): OtlpLogRecord[] {
  const bounds = {
    maxRecords: limits.maxRecords ?? DEFAULT_MAX_RECORDS,
    maxDepth: limits.maxDepth ?? DEFAULT_MAX_DEPTH,
  };
  try {
    const request =
      encoding === "json" ? parseJsonBody(body) : parseProtobufBody(body, bounds.maxRecords);
    return readRequest(request, encoding, bounds);
  } catch (err) {
    if (isCrosscheckError(err)) throw err;
    // Anything else (a protobufjs range error, a stack overflow) is still the sender's bad input.
    const reason = err instanceof Error ? err.message : String(err);
    throw new CrosscheckError(
      "E_OTLP_DECODE",
      `The OTLP ${encoding} logs request could not be decoded (${reason}); check that the body is an ExportLogsServiceRequest and matches its Content-Type.`,
      { cause: err },
    );
  }
}

/**
 * An ExportLogsServiceResponse. `partial_success` is left out when nothing was rejected and there
 * is no message, as the spec asks: an empty partial_success would read as a warning.
 */
export function encodeLogsResponse(
  result: { rejectedLogRecords: number; errorMessage?: string },
  encoding: OtlpEncoding,
): Uint8Array {
  const { rejectedLogRecords, errorMessage } = result;
  if (!Number.isSafeInteger(rejectedLogRecords) || rejectedLogRecords < 0) {
    throw new CrosscheckError(
      "E_OTLP_RESPONSE",
      `rejectedLogRecords must be a non-negative integer, not ${rejectedLogRecords}.`,
    );
  }
  const partialSuccess: { rejectedLogRecords?: number | string; errorMessage?: string } = {};
  if (rejectedLogRecords > 0) partialSuccess.rejectedLogRecords = rejectedLogRecords;
  if (errorMessage) partialSuccess.errorMessage = errorMessage;
  const hasPartialSuccess = Object.keys(partialSuccess).length > 0;

  if (encoding === "json") {
    // protojson writes int64 as a decimal string; receivers accept strings and numbers.
    if (partialSuccess.rejectedLogRecords !== undefined) {
      partialSuccess.rejectedLogRecords = String(partialSuccess.rejectedLogRecords);
    }
    return new TextEncoder().encode(JSON.stringify(hasPartialSuccess ? { partialSuccess } : {}));
  }
  const message = ExportLogsServiceResponse.fromObject(hasPartialSuccess ? { partialSuccess } : {});
  return ExportLogsServiceResponse.encode(message).finish();
}

/** gRPC status codes for the HTTP statuses our errors take (OTLP/HTTP maps them the same way). */
function grpcCodeOf(httpStatus: number): number {
  if (httpStatus === 401) return 16; // UNAUTHENTICATED
  if (httpStatus === 403) return 7; // PERMISSION_DENIED
  if (httpStatus === 404) return 5; // NOT_FOUND
  if (httpStatus === 413 || httpStatus === 429) return 8; // RESOURCE_EXHAUSTED
  if (httpStatus === 503) return 14; // UNAVAILABLE
  if (httpStatus >= 500) return 13; // INTERNAL
  return 3; // INVALID_ARGUMENT
}

/**
 * The body of an OTLP/HTTP error answer: a google.rpc.Status in the request's encoding, as the
 * spec requires. The message starts with our stable error code.
 */
export function encodeOtlpStatus(
  httpStatus: number,
  message: string,
  encoding: OtlpEncoding,
): Uint8Array {
  const status = { code: grpcCodeOf(httpStatus), message };
  if (encoding === "json") return new TextEncoder().encode(JSON.stringify(status));
  return Status.encode(Status.fromObject(status)).finish();
}

// ---- parsing the two encodings into the OTLP/JSON object shape ----

function parseJsonBody(body: Uint8Array): unknown {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(body);
  } catch {
    fail("the JSON body is not valid UTF-8");
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    fail(`the body is not valid JSON: ${(err as Error).message}`);
  }
}

function parseProtobufBody(body: Uint8Array, maxRecords: number): unknown {
  const message = ExportLogsServiceRequest.decode(body) as unknown as {
    resourceLogs?: { scopeLogs?: { logRecords?: unknown[] }[] }[];
  };
  // Count before converting to objects so an oversized batch costs no more work.
  let records = 0;
  for (const resourceLogs of message.resourceLogs ?? []) {
    for (const scopeLogs of resourceLogs.scopeLogs ?? [])
      records += scopeLogs.logRecords?.length ?? 0;
  }
  if (records > maxRecords) tooManyRecords(maxRecords);
  return ExportLogsServiceRequest.toObject(message as unknown as protobufMessage, {
    longs: String,
    bytes: String,
  });
}

type protobufMessage = ReturnType<typeof ExportLogsServiceRequest.decode>;

// ---- reading the OTLP/JSON shape ----

interface Context {
  encoding: OtlpEncoding;
  maxRecords: number;
  maxDepth: number;
}

function readRequest(request: unknown, encoding: OtlpEncoding, bounds: Omit<Context, "encoding">) {
  const ctx: Context = { encoding, ...bounds };
  const out: OtlpLogRecord[] = [];
  const root = object(request, "the request");
  array(root.resourceLogs, "resourceLogs").forEach((rl, i) => {
    const rlPath = `resourceLogs[${i}]`;
    const resourceLogs = object(rl, rlPath);
    const resource =
      resourceLogs.resource === undefined || resourceLogs.resource === null
        ? {}
        : keyValues(
            object(resourceLogs.resource, `${rlPath}.resource`).attributes,
            `${rlPath}.resource.attributes`,
            ctx,
          );
    array(resourceLogs.scopeLogs, `${rlPath}.scopeLogs`).forEach((sl, j) => {
      const slPath = `${rlPath}.scopeLogs[${j}]`;
      const scopeLogs = object(sl, slPath);
      const scope = readScope(scopeLogs.scope, `${slPath}.scope`);
      array(scopeLogs.logRecords, `${slPath}.logRecords`).forEach((lr, k) => {
        if (out.length >= ctx.maxRecords) tooManyRecords(ctx.maxRecords);
        out.push(readLogRecord(lr, `${slPath}.logRecords[${k}]`, resource, scope, ctx));
      });
    });
  });
  return out;
}

function readScope(value: unknown, path: string): OtlpLogRecord["scope"] {
  if (value === undefined || value === null) return { name: "" };
  const scope = object(value, path);
  const name = string(scope.name, `${path}.name`) ?? "";
  const version = string(scope.version, `${path}.version`);
  return version ? { name, version } : { name };
}

function readLogRecord(
  value: unknown,
  path: string,
  resource: Record<string, unknown>,
  scope: OtlpLogRecord["scope"],
  ctx: Context,
): OtlpLogRecord {
  const lr = object(value, path);
  const record: OtlpLogRecord = {
    // Shared by the records of one ResourceLogs: treat it as read-only.
    resource,
    scope: { ...scope },
    timeUnixNano: uint64(lr.timeUnixNano, `${path}.timeUnixNano`),
    observedTimeUnixNano: uint64(lr.observedTimeUnixNano, `${path}.observedTimeUnixNano`),
    attributes: keyValues(lr.attributes, `${path}.attributes`, ctx),
  };
  if (lr.severityNumber !== undefined && lr.severityNumber !== null) {
    const n = lr.severityNumber;
    if (typeof n !== "number" || !Number.isInteger(n) || n < -(2 ** 31) || n >= 2 ** 31) {
      fail(`${path}.severityNumber must be an integer (the SeverityNumber enum value)`);
    }
    record.severityNumber = n;
  }
  const severityText = string(lr.severityText, `${path}.severityText`);
  if (severityText) record.severityText = severityText;
  const eventName = string(lr.eventName, `${path}.eventName`);
  if (eventName) record.eventName = eventName;
  if (lr.body !== undefined && lr.body !== null) {
    // An empty AnyValue (the JSON exporter sends `"body":{}` when no body was emitted) is no body.
    const body = anyValue(lr.body, `${path}.body`, 1, ctx);
    if (body !== null) record.body = body;
  }
  const traceId = id(lr.traceId, 16, `${path}.traceId`, ctx.encoding);
  if (traceId) record.traceId = traceId;
  const spanId = id(lr.spanId, 8, `${path}.spanId`, ctx.encoding);
  if (spanId) record.spanId = spanId;
  return record;
}

function keyValues(value: unknown, path: string, ctx: Context, depth = 1) {
  const out: Record<string, unknown> = {};
  array(value, path).forEach((kv, i) => {
    const kvPath = `${path}[${i}]`;
    const pair = object(kv, kvPath);
    const key = string(pair.key, `${kvPath}.key`) ?? "";
    const v = pair.value === undefined || pair.value === null ? null : pair.value;
    // Keys must be unique per the spec; if a sender repeats one, the last wins (as in protojson maps).
    setField(out, key, v === null ? null : anyValue(v, `${kvPath}.value`, depth, ctx));
  });
  return out;
}

const VALUE_KEYS = [
  "stringValue",
  "boolValue",
  "intValue",
  "doubleValue",
  "arrayValue",
  "kvlistValue",
  "bytesValue",
] as const;

function anyValue(value: unknown, path: string, depth: number, ctx: Context): unknown {
  if (depth > ctx.maxDepth) fail(`${path} nests values deeper than ${ctx.maxDepth} levels`);
  const v = object(value, path);
  const set = VALUE_KEYS.filter((k) => v[k] !== undefined && v[k] !== null);
  if (set.length === 0) return null; // an AnyValue with nothing set is the empty value
  if (set.length > 1) fail(`${path} sets ${set.join(" and ")}; an AnyValue holds one value`);
  const key = set[0] as (typeof VALUE_KEYS)[number];
  const inner = v[key];
  const innerPath = `${path}.${key}`;
  switch (key) {
    case "stringValue":
      return string(inner, innerPath);
    case "boolValue":
      if (typeof inner !== "boolean") fail(`${innerPath} must be true or false`);
      return inner;
    case "intValue":
      return int64(inner, innerPath);
    case "doubleValue":
      return double(inner, innerPath);
    case "bytesValue":
      return base64(inner, innerPath);
    case "arrayValue":
      return array(object(inner, innerPath).values, `${innerPath}.values`).map((item, i) =>
        anyValue(item, `${innerPath}.values[${i}]`, depth + 1, ctx),
      );
    case "kvlistValue":
      return keyValues(object(inner, innerPath).values, `${innerPath}.values`, ctx, depth + 1);
  }
}

// ---- scalars ----

function uint64(value: unknown, path: string): string {
  if (value === undefined || value === null) return "0";
  const n = integer(value, path);
  if (n < 0n || n > MAX_UINT64) fail(`${path} is out of the uint64 range`);
  return n.toString();
}

/** int64 as a number when exact, else as its decimal string. */
function int64(value: unknown, path: string): number | string {
  const n = integer(value, path);
  if (n < MIN_INT64 || n > MAX_INT64) fail(`${path} is out of the int64 range`);
  const asNumber = Number(n);
  return Number.isSafeInteger(asNumber) ? asNumber : n.toString();
}

function integer(value: unknown, path: string): bigint {
  // OTLP/JSON allows 64-bit integers as decimal strings or as JSON numbers.
  if (typeof value === "string" && /^-?\d{1,20}$/.test(value)) return BigInt(value);
  if (typeof value === "number" && Number.isInteger(value)) return BigInt(value);
  return fail(`${path} must be an integer (a decimal string or a JSON number)`);
}

/** Non-finite doubles stay the protojson strings "NaN", "Infinity", "-Infinity": JSON has no such numbers. */
function double(value: unknown, path: string): number | string {
  if (typeof value === "number") return Number.isFinite(value) ? value : String(value);
  if (value === "NaN" || value === "Infinity" || value === "-Infinity") return value;
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) {
    return Number(value);
  }
  return fail(`${path} must be a number`);
}

const BASE64 =
  /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

function base64(value: unknown, path: string): string {
  if (typeof value !== "string" || !(BASE64.test(value) || BASE64URL.test(value))) {
    fail(`${path} must be base64`);
  }
  // One spelling downstream, whichever alphabet or padding the sender used.
  return Buffer.from(
    value,
    value.includes("-") || value.includes("_") ? "base64url" : "base64",
  ).toString("base64");
}

/** Trace and span ids: hex in OTLP/JSON (not base64, unlike other bytes), raw bytes in protobuf. */
function id(value: unknown, bytes: number, path: string, encoding: OtlpEncoding) {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") fail(`${path} must be a hex string`);
  let hex: string;
  if (encoding === "json") {
    if (!/^[0-9a-fA-F]*$/.test(value)) fail(`${path} must be hex (OTLP/JSON ids are not base64)`);
    hex = value.toLowerCase();
  } else {
    hex = Buffer.from(value, "base64").toString("hex");
  }
  if (hex.length !== bytes * 2) fail(`${path} must be ${bytes} bytes, got ${hex.length / 2}`);
  return hex;
}

function string(value: unknown, path: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") fail(`${path} must be a string`);
  return value;
}

function object(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail(`${path} must be an object`);
  }
  return value as Record<string, unknown>;
}

function array(value: unknown, path: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(`${path} must be an array`);
  return value;
}

/** Defines rather than assigns, so a literal key such as `__proto__` stays an ordinary field. */
export function setField(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

function tooManyRecords(maxRecords: number): never {
  throw new CrosscheckError(
    "E_BATCH_TOO_LARGE",
    `The OTLP logs request holds more than ${maxRecords} log records; lower the exporter's batch size (maxExportBatchSize).`,
  );
}

function fail(reason: string): never {
  throw new CrosscheckError("E_OTLP_DECODE", `The OTLP logs request is malformed: ${reason}.`);
}
