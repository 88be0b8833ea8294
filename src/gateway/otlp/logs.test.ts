import { describe, expect, it } from "vitest";
import { isCrosscheckError } from "../../errors/index.js";
import {
  decodeLogsRequest,
  encodeLogsResponse,
  type OtlpLogRecord,
  otlpEncodingOf,
  toGatewayRecord,
} from "./index.js";
import { ExportLogsServiceRequest, ExportLogsServiceResponse } from "./proto.js";

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

function request(logRecords: unknown[], resourceAttributes: unknown[] = []) {
  return {
    resourceLogs: [
      {
        resource: { attributes: resourceAttributes },
        scopeLogs: [{ scope: { name: "agent" }, logRecords }],
      },
    ],
  };
}

function decodeError(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    if (isCrosscheckError(err)) return { code: err.code, message: err.message };
    throw new Error(`expected a CrosscheckError, got ${String(err)}`);
  }
  throw new Error("expected an error");
}

/** Protobuf length-delimited field, to build bodies byte by byte. */
function field(number: number, payload: Uint8Array): Uint8Array {
  const header = [(number << 3) | 2];
  let n = payload.length;
  const len: number[] = [];
  do {
    len.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
    n >>>= 7;
  } while (n > 0);
  return Uint8Array.from([...header, ...len, ...payload]);
}

describe("otlpEncodingOf", () => {
  it("reads the two OTLP/HTTP media types, ignoring parameters and case", () => {
    expect(otlpEncodingOf("application/json")).toBe("json");
    expect(otlpEncodingOf("Application/JSON; charset=utf-8")).toBe("json");
    expect(otlpEncodingOf("application/x-protobuf")).toBe("protobuf");
  });

  it("refuses anything else with E_OTLP_CONTENT_TYPE", () => {
    expect(decodeError(() => otlpEncodingOf("text/plain")).code).toBe("E_OTLP_CONTENT_TYPE");
    expect(decodeError(() => otlpEncodingOf(undefined)).message).toMatch(/no Content-Type/);
  });
});

describe("decodeLogsRequest (JSON)", () => {
  it("converts every AnyValue kind to plain JSON", () => {
    const body = json(
      request(
        [
          {
            timeUnixNano: "1795428000123456789",
            observedTimeUnixNano: 1795428000124000000,
            severityNumber: 17,
            severityText: "ERROR",
            traceId: "5B8EFFF798038103D269B633813FC60C",
            spanId: "eee19b7ec3c1b174",
            body: { stringValue: "disk full" },
            attributes: [
              { key: "s", value: { stringValue: "x" } },
              { key: "b", value: { boolValue: false } },
              { key: "i", value: { intValue: "-7" } },
              { key: "i.big", value: { intValue: "9223372036854775807" } },
              { key: "i.num", value: { intValue: 12 } },
              { key: "d", value: { doubleValue: 1.5 } },
              { key: "d.nan", value: { doubleValue: "NaN" } },
              { key: "bytes", value: { bytesValue: "AQID" } },
              { key: "empty", value: {} },
              {
                key: "list",
                value: { arrayValue: { values: [{ intValue: "1" }, { kvlistValue: {} }] } },
              },
              {
                key: "map",
                value: { kvlistValue: { values: [{ key: "a.b", value: { stringValue: "c" } }] } },
              },
              { key: "__proto__", value: { stringValue: "kept as a field" } },
            ],
          },
        ],
        [{ key: "service.name", value: { stringValue: "av" } }],
      ),
    );
    const [record] = decodeLogsRequest(body, "json");
    expect(record).toEqual({
      resource: { "service.name": "av" },
      scope: { name: "agent" },
      timeUnixNano: "1795428000123456789",
      observedTimeUnixNano: "1795428000124000000",
      severityNumber: 17,
      severityText: "ERROR",
      traceId: "5b8efff798038103d269b633813fc60c",
      spanId: "eee19b7ec3c1b174",
      body: "disk full",
      attributes: {
        s: "x",
        b: false,
        i: -7,
        "i.big": "9223372036854775807",
        "i.num": 12,
        d: 1.5,
        "d.nan": "NaN",
        bytes: "AQID",
        empty: null,
        list: [1, {}],
        map: { "a.b": "c" },
        ["__proto__"]: "kept as a field",
      },
    });
    expect(Object.getPrototypeOf(record?.attributes)).toBe(Object.prototype);
    expect(Object.keys(record?.attributes ?? {})).toContain("__proto__");
  });

  it("treats absent parts as empty: no resource, no scope, no times", () => {
    const [record] = decodeLogsRequest(
      json({ resourceLogs: [{ scopeLogs: [{ logRecords: [{}] }] }] }),
      "json",
    );
    expect(record).toEqual({
      resource: {},
      scope: { name: "" },
      timeUnixNano: "0",
      observedTimeUnixNano: "0",
      attributes: {},
    });
    expect(decodeLogsRequest(json({}), "json")).toEqual([]);
  });

  it.each([
    ["not JSON", new TextEncoder().encode("{"), /not valid JSON/],
    ["not UTF-8", Uint8Array.from([0x7b, 0xff, 0x7d]), /not valid UTF-8/],
    ["an array at the top", json([]), /the request must be an object/],
    ["a string resourceLogs", json({ resourceLogs: "x" }), /resourceLogs must be an array/],
    [
      "a base64 trace id",
      json(request([{ traceId: "W47/95gDgQPSabYzgT/GDA==" }])),
      /logRecords\[0\]\.traceId must be hex/,
    ],
    ["a short span id", json(request([{ spanId: "abcd" }])), /spanId must be 8 bytes, got 2/],
    [
      "a fractional time",
      json(request([{ timeUnixNano: 1.5 }])),
      /timeUnixNano must be an integer/,
    ],
    ["a negative time", json(request([{ timeUnixNano: "-1" }])), /out of the uint64 range/],
    [
      "an int64 overflow",
      json(request([{ body: { intValue: "9223372036854775808" } }])),
      /body\.intValue is out of the int64 range/,
    ],
    [
      "two values in one AnyValue",
      json(request([{ body: { stringValue: "a", intValue: 1 } }])),
      /sets stringValue and intValue/,
    ],
    ["a string bool", json(request([{ body: { boolValue: "true" } }])), /must be true or false/],
    ["bad base64", json(request([{ body: { bytesValue: "**" } }])), /must be base64/],
    [
      "a non-string key",
      json(request([{ attributes: [{ key: 1, value: { stringValue: "v" } }] }])),
      /attributes\[0\]\.key must be a string/,
    ],
  ])("refuses %s with E_OTLP_DECODE and says where", (_name, body, message) => {
    const err = decodeError(() => decodeLogsRequest(body, "json"));
    expect(err.code).toBe("E_OTLP_DECODE");
    expect(err.message).toMatch(message);
  });

  it("bounds AnyValue nesting depth", () => {
    let value: unknown = { stringValue: "leaf" };
    for (let i = 0; i < 40; i++) value = { arrayValue: { values: [value] } };
    const body = json(request([{ body: value }]));
    const err = decodeError(() => decodeLogsRequest(body, "json"));
    expect(err.code).toBe("E_OTLP_DECODE");
    expect(err.message).toMatch(/deeper than 32 levels/);
    expect(() => decodeLogsRequest(body, "json", { maxDepth: 41 })).not.toThrow();
  });

  it("survives a hostile nesting far beyond the stack", () => {
    const deep = `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":${'{"arrayValue":{"values":['.repeat(100_000)}${"]}}".repeat(100_000)}}]}]}]}`;
    const err = decodeError(() =>
      decodeLogsRequest(new TextEncoder().encode(deep), "json", { maxDepth: 1_000_000 }),
    );
    expect(err.code).toBe("E_OTLP_DECODE");
  });

  it("bounds the record count", () => {
    const body = json(request([{}, {}, {}]));
    expect(decodeLogsRequest(body, "json", { maxRecords: 3 })).toHaveLength(3);
    const err = decodeError(() => decodeLogsRequest(body, "json", { maxRecords: 2 }));
    expect(err.code).toBe("E_BATCH_TOO_LARGE");
  });
});

describe("decodeLogsRequest (protobuf)", () => {
  it("decodes ids, 64-bit times and int64 values exactly", () => {
    const message = ExportLogsServiceRequest.fromObject({
      resourceLogs: [
        {
          scopeLogs: [
            {
              scope: { name: "s", version: "2" },
              logRecords: [
                {
                  timeUnixNano: "18446744073709551615",
                  traceId: Buffer.from("5b8efff798038103d269b633813fc60c", "hex"),
                  spanId: Buffer.from("eee19b7ec3c1b174", "hex"),
                  eventName: "e",
                  body: { bytesValue: Buffer.from([1, 2, 3]) },
                  attributes: [
                    { key: "neg", value: { intValue: "-9007199254740993" } },
                    { key: "small", value: { intValue: -3 } },
                    { key: "zero", value: { stringValue: "" } },
                  ],
                },
              ],
            },
          ],
        },
      ],
    });
    const body = ExportLogsServiceRequest.encode(message).finish();
    const [record] = decodeLogsRequest(body, "protobuf");
    expect(record).toEqual({
      resource: {},
      scope: { name: "s", version: "2" },
      timeUnixNano: "18446744073709551615",
      observedTimeUnixNano: "0",
      eventName: "e",
      traceId: "5b8efff798038103d269b633813fc60c",
      spanId: "eee19b7ec3c1b174",
      body: "AQID",
      attributes: { neg: "-9007199254740993", small: -3, zero: "" },
    });
  });

  it("refuses a truncated body with E_OTLP_DECODE", () => {
    const err = decodeError(() =>
      decodeLogsRequest(Uint8Array.from([0x0a, 0xff, 0xff, 0x03, 0x0a]), "protobuf"),
    );
    expect(err.code).toBe("E_OTLP_DECODE");
    expect(err.message).toMatch(/could not be decoded \(.*range/);
  });

  it("refuses a JSON body sent as protobuf", () => {
    const err = decodeError(() => decodeLogsRequest(json(request([{}])), "protobuf"));
    expect(err.code).toBe("E_OTLP_DECODE");
  });

  it("bounds nesting below and beyond protobufjs's own recursion limit", () => {
    // AnyValue{arrayValue{values:[AnyValue…]}} built byte by byte, wrapped in the request path.
    const nested = (levels: number) => {
      let value = field(1, new TextEncoder().encode("leaf"));
      for (let i = 0; i < levels; i++) value = field(5, field(1, value));
      const logRecord = field(5, value);
      return field(1, field(2, field(2, logRecord)));
    };
    expect(decodeLogsRequest(nested(20), "protobuf")).toHaveLength(1);
    expect(decodeError(() => decodeLogsRequest(nested(40), "protobuf")).message).toMatch(
      /deeper than 32 levels/,
    );
    expect(decodeError(() => decodeLogsRequest(nested(500), "protobuf")).code).toBe(
      "E_OTLP_DECODE",
    );
  });

  it("counts records before converting them", () => {
    const record = field(2, new Uint8Array());
    const body = field(1, field(2, Uint8Array.from([...record, ...record, ...record])));
    expect(decodeLogsRequest(body, "protobuf")).toHaveLength(3);
    expect(decodeError(() => decodeLogsRequest(body, "protobuf", { maxRecords: 2 })).code).toBe(
      "E_BATCH_TOO_LARGE",
    );
  });
});

describe("encodeLogsResponse", () => {
  it("is empty when everything was accepted", () => {
    expect(encodeLogsResponse({ rejectedLogRecords: 0 }, "protobuf")).toHaveLength(0);
    expect(new TextDecoder().decode(encodeLogsResponse({ rejectedLogRecords: 0 }, "json"))).toBe(
      "{}",
    );
  });

  it("reports rejections as partial success in both encodings", () => {
    const result = { rejectedLogRecords: 2, errorMessage: "blocked: personal data" };
    expect(JSON.parse(new TextDecoder().decode(encodeLogsResponse(result, "json")))).toEqual({
      partialSuccess: { rejectedLogRecords: "2", errorMessage: "blocked: personal data" },
    });
    const decoded = ExportLogsServiceResponse.toObject(
      ExportLogsServiceResponse.decode(encodeLogsResponse(result, "protobuf")),
      { longs: Number },
    );
    expect(decoded).toEqual({ partialSuccess: result });
  });

  it("carries a warning message without rejections", () => {
    const body = encodeLogsResponse({ rejectedLogRecords: 0, errorMessage: "slow down" }, "json");
    expect(JSON.parse(new TextDecoder().decode(body))).toEqual({
      partialSuccess: { errorMessage: "slow down" },
    });
  });
});

describe("toGatewayRecord", () => {
  const base: OtlpLogRecord = {
    resource: { "service.name": "av" },
    scope: { name: "agent" },
    timeUnixNano: "0",
    observedTimeUnixNano: "1795428000123999999",
    attributes: {},
  };

  it("takes the event from event.name when the record has no event name, and observed time when time is unset", () => {
    const record = toGatewayRecord({
      ...base,
      body: "free text",
      attributes: { "event.name": "scan", "file.path": "C:/x" },
    });
    expect(record).toEqual({
      event: "scan",
      time: "2026-11-23T10:00:00.123Z",
      body: "free text",
      "file.path": "C:/x",
      resource: { "service.name": "av" },
    });
  });

  it("merges a map body, attributes winning, and takes the body's event last", () => {
    const record = toGatewayRecord({
      ...base,
      severityText: "WARN",
      body: { event: "from-body", size: 1, "file.path": "body" },
      attributes: { "file.path": "attribute" },
    });
    expect(record).toEqual({
      event: "from-body",
      time: "2026-11-23T10:00:00.123Z",
      severity_text: "WARN",
      size: 1,
      "file.path": "attribute",
      resource: { "service.name": "av" },
    });
    expect(toGatewayRecord({ ...base, eventName: "named", body: { event: "b" } }).event).toBe(
      "named",
    );
  });

  it("keeps the envelope's names for the envelope", () => {
    const record = toGatewayRecord({
      ...base,
      observedTimeUnixNano: "0",
      attributes: { time: "yesterday", resource: "spoofed", severity_text: "x", event: 5 },
    });
    expect(record).toEqual({ resource: { "service.name": "av" } });
  });
});
