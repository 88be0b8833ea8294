/**
 * Request bodies of `POST /v1/events` turned into records: a JSON array (or `{"events":[…]}`, or a
 * single object) and NDJSON. A line that is not JSON is one refused record, not a refused batch:
 * the rest of the batch is still good data. Each record keeps the bytes its commitment is
 * computed over — the NDJSON line as sent, or the compact JSON of an array element.
 */
import { isAscii, isUtf8 } from "node:buffer";
import { gunzipSync } from "node:zlib";
import { CrosscheckError } from "../errors/index.js";
import type { InputRecord } from "./pipeline.js";

export type EventsFormat = "json" | "ndjson";

export function eventsFormatOf(contentType: string | undefined): EventsFormat {
  const type = (contentType ?? "").split(";")[0]?.trim().toLowerCase();
  if (type === "application/json") return "json";
  if (
    type === "application/x-ndjson" ||
    type === "application/jsonl" ||
    type === "application/ndjson"
  ) {
    return "ndjson";
  }
  throw new CrosscheckError(
    "E_MEDIA_TYPE",
    "Send events as application/json (an array of records) or application/x-ndjson (one record per line).",
  );
}

export interface ParsedEvents {
  /** Every record in order; a line that was not JSON is kept with its `error`. */
  records: InputRecord[];
}

/**
 * Decodes `Content-Encoding: gzip` with a bound on the output (Decision 20: no compression
 * bombs); any other encoding is refused.
 */
export function decodeBody(
  body: Buffer,
  contentEncoding: string | undefined,
  maxBytes: number,
): Buffer {
  const encoding = (contentEncoding ?? "identity").trim().toLowerCase();
  if (encoding === "identity" || encoding === "") return body;
  if (encoding !== "gzip") {
    throw new CrosscheckError(
      "E_CONTENT_ENCODING",
      `Content-Encoding ${encoding} is not supported; send gzip or none.`,
    );
  }
  try {
    return gunzipSync(body, { maxOutputLength: maxBytes });
  } catch (err) {
    const tooLarge = (err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE";
    throw new CrosscheckError(
      tooLarge ? "E_BATCH_TOO_LARGE" : "E_CONTENT_ENCODING",
      tooLarge
        ? `The batch unpacks to more than ${maxBytes} bytes; send smaller batches.`
        : "The body is not valid gzip.",
    );
  }
}

/**
 * Records in order. NDJSON: one per non-empty line (a refusal's `index` counts records, so blank
 * lines do not shift it). The body must be UTF-8 (RFC 8259): a lenient decode would put U+FFFD
 * in place of bad bytes, and the commitment would be over bytes the tenant never sent.
 */
export function parseEvents(body: Buffer, format: EventsFormat, maxRecords: number): ParsedEvents {
  if (!isUtf8(body)) {
    throw new CrosscheckError(
      "E_BATCH_ENCODING",
      "The body is not valid UTF-8; JSON telemetry must be sent as UTF-8.",
    );
  }
  const parsed: ParsedEvents = { records: [] };
  if (format === "json") {
    const text = body.toString("utf8");
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new CrosscheckError("E_BATCH_JSON", `The body is not JSON: ${(err as Error).message}.`);
    }
    const list = Array.isArray(value)
      ? value
      : value !== null &&
          typeof value === "object" &&
          Array.isArray((value as { events?: unknown }).events)
        ? (value as { events: unknown[] }).events
        : [value];
    checkCount(list.length, maxRecords);
    for (const item of list) parsed.records.push({ value: item, raw: JSON.stringify(item) });
    return parsed;
  }
  // Lines are split on the bytes and each decoded on its own: decoding the whole body first made
  // one string as large as the batch (a large-object allocation, then slices of it), which cost
  // more than parsing it. A "\n" or "\r" byte is never part of a multi-byte UTF-8 sequence, so the
  // lines and their text are exactly those of the decoded body. A body of ASCII (the usual case)
  // decodes byte for byte.
  const encoding = isAscii(body) ? "latin1" : "utf8";
  const size = body.length;
  let start = 0;
  let seq = 0;
  while (start <= size) {
    let end = body.indexOf(NEWLINE, start);
    if (end === -1) end = size;
    const stop = end > start && body[end - 1] === CARRIAGE_RETURN ? end - 1 : end;
    const line = body.toString(encoding, start, stop);
    start = end + 1;
    if (isBlank(line)) continue;
    checkCount(seq + 1, maxRecords);
    try {
      parsed.records.push({ value: JSON.parse(line), raw: line });
    } catch (err) {
      // Keep the slot so positions in the answer match the sender's records.
      parsed.records.push({ value: undefined, raw: line, error: (err as Error).message });
    }
    seq++;
  }
  return parsed;
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/** Empty or white space only (as `trim` sees it); a record's `{` answers at the first character. */
function isBlank(line: string): boolean {
  const first = line.charCodeAt(0);
  if (first === 0x7b || first === 0x5b) return false;
  return line.trim() === "";
}

function checkCount(count: number, max: number): void {
  if (count > max) {
    throw new CrosscheckError(
      "E_BATCH_TOO_LARGE",
      `A batch holds at most ${max} records; split it.`,
    );
  }
}
