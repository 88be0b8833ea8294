import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { scanText } from "./index.js";

function elapsed(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

describe("bounded decoding (Decision 20)", () => {
  it("refuses a gzip bomb quickly and finds nothing in it", () => {
    // 64 MiB of zeros then an address: compresses ~1000:1, far past the 100:1 limit.
    const bomb = gzipSync(Buffer.concat([Buffer.alloc(64 << 20), Buffer.from(" bob@example.org")]));
    const token = bomb.toString("base64");
    let found: unknown[] = [];
    const ms = elapsed(() => {
      found = scanText(`blob ${token}`);
    });
    expect(found).toEqual([]);
    expect(ms).toBeLessThan(500);
  });

  it("decodes gzip within the ratio and size limits, and not beyond maxDecodedBytes", () => {
    const token = gzipSync(Buffer.from(`${"padding ".repeat(50)} bob@example.org`)).toString(
      "base64",
    );
    expect(scanText(token)[0]?.encoding).toEqual(["base64", "gzip"]);
    expect(scanText(token, { limits: { maxRatio: 2 } })).toEqual([]);
    expect(scanText(token, { limits: { maxDecodedBytes: 64 } })).toEqual([]);
  });

  it("charges every token to one budget per call", () => {
    const one = Buffer.from("mail bob@example.org now").toString("base64");
    const text = Array.from({ length: 50 }, () => one).join(" ");
    expect(scanText(text).length).toBe(50);
    expect(scanText(text, { limits: { maxDecodedBytes: 200 } }).length).toBeLessThan(50);
  });
});

describe("pathological input is scanned in linear time", () => {
  const MB = 1 << 20;
  const cases: [string, string][] = [
    ["one long word", "a".repeat(MB)],
    ["local parts without a domain", "a.".repeat(MB / 2)],
    ["many @", "a@".repeat(MB / 2)],
    ["dotted single letters", "a.b.".repeat(MB / 4)],
    ["digits with separators", "1-2 ".repeat(MB / 4)],
    ["one long number", "4".repeat(MB)],
    ["base64 alphabet", "Ab1+".repeat(MB / 4)],
    ["hex", "ab".repeat(MB / 2)],
    ["percent signs", "%4".repeat(MB / 2)],
    ["open braces", '{"'.repeat(MB / 2)],
    ["colons and hex", "a:".repeat(MB / 2)],
    ["capitalised words", "Anna ".repeat(MB / 5)],
    ["backslashes", "\\Users\\".repeat(MB / 7)],
    ["password words", "password=".repeat(MB / 9)],
    ["deeply nested JSON", `${"[".repeat(MB / 2)}${"]".repeat(MB / 2)}`],
    ["unclosed JSON", `{"a":${"[".repeat(MB / 2)}`],
    ["name-like words", "Mr Anna Maria Smith ".repeat(MB / 20)],
  ];
  it.each(cases)("%s (1 MiB) in well under a second", (_name, text) => {
    const ms = elapsed(() => scanText(text));
    expect(ms).toBeLessThan(1000);
  });
});
