import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { decodeBody, eventsFormatOf, parseEvents } from "./ingest-formats.js";

const code = (c: string) => expect.objectContaining({ code: c });

describe("event batches", () => {
  it("reads a JSON array, an {events:[…]} object and a single object", () => {
    const array = parseEvents(Buffer.from('[{"a":1}, {"b":[2, 3]}]'), "json", 10);
    expect(array.records.map((r) => [r.value, r.raw])).toEqual([
      [{ a: 1 }, '{"a":1}'],
      [{ b: [2, 3] }, '{"b":[2,3]}'],
    ]);
    expect(parseEvents(Buffer.from('{"events":[{"a":1}]}'), "json", 10).records).toHaveLength(1);
    expect(parseEvents(Buffer.from('{"a":1}'), "json", 10).records[0]?.value).toEqual({ a: 1 });
    expect(() => parseEvents(Buffer.from("[1,"), "json", 10)).toThrow(code("E_BATCH_JSON"));
  });

  it("reads NDJSON line by line: CRLF, blank lines skipped, a bad line is one refused record", () => {
    const { records } = parseEvents(Buffer.from('{"a":1}\r\n\n{oops\n{"b":2}'), "ndjson", 10);
    expect(records.map((r) => r.raw)).toEqual(['{"a":1}', "{oops", '{"b":2}']);
    expect(records[1]?.error).toBeTruthy();
    expect(records[2]?.value).toEqual({ b: 2 });
  });

  it("refuses more records than the limit, and a body that is not UTF-8", () => {
    expect(() => parseEvents(Buffer.from("{}\n{}\n{}\n"), "ndjson", 2)).toThrow(
      code("E_BATCH_TOO_LARGE"),
    );
    expect(() => parseEvents(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]), "ndjson", 2)).toThrow(
      code("E_BATCH_ENCODING"),
    );
  });

  it("knows the media types, and refuses others", () => {
    expect(eventsFormatOf("application/json; charset=utf-8")).toBe("json");
    expect(eventsFormatOf("application/x-ndjson")).toBe("ndjson");
    expect(() => eventsFormatOf("text/plain")).toThrow(code("E_MEDIA_TYPE"));
  });

  it("unpacks gzip bodies within the limit, and refuses bombs and other encodings", () => {
    const body = Buffer.from('{"a":1}\n'.repeat(100));
    expect(decodeBody(gzipSync(body), "gzip", 10_000)).toEqual(body);
    expect(() => decodeBody(gzipSync(Buffer.alloc(1_000_000)), "gzip", 10_000)).toThrow(
      code("E_BATCH_TOO_LARGE"),
    );
    expect(() => decodeBody(Buffer.from("not gzip"), "gzip", 10_000)).toThrow(
      code("E_CONTENT_ENCODING"),
    );
    expect(() => decodeBody(body, "br", 10_000)).toThrow(code("E_CONTENT_ENCODING"));
  });
});
