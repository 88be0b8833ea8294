import { describe, expect, it } from "vitest";
import { isCrosscheckError } from "../../errors/index.js";
import { redactText, scanText } from "./index.js";

describe("redactText", () => {
  it("replaces each finding and keeps the text around it", () => {
    const text = 'user "alice@example.com" from C:\\Users\\alice\\x at 10.0.0.1.';
    const out = redactText(text, scanText(text), (f) => `[${f.entity}]`);
    expect(out).toBe('user "[EMAIL]" from C:\\Users\\[PATH_USER]\\x at [IPV4].');
  });

  it("gives the replacer the original text of the span", () => {
    const text = "ip 10.0.0.1";
    const seen: string[] = [];
    redactText(text, scanText(text), (_f, original) => {
      seen.push(original);
      return "x";
    });
    expect(seen).toEqual(["10.0.0.1"]);
  });

  it("keeps the value a valid string that survives a JSON round trip", () => {
    const text = `name: Anna Schmidt 😀 ${Buffer.from("mail anna@example.org ok").toString("base64")} "quoted"\n`;
    const out = redactText(text, scanText(text), () => "\uD800"); // a careless replacer
    expect(out).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    expect(JSON.parse(JSON.stringify({ v: out })).v).toBe(out);
    expect(out).toContain("😀");
    expect(out).toContain('"quoted"\n');
  });

  it("returns the text unchanged without findings", () => {
    expect(redactText("nothing here", [], () => "x")).toBe("nothing here");
  });

  it("refuses overlapping or out-of-range findings with E_PII_SPAN", () => {
    const bad = [
      { entity: "EMAIL" as const, start: 0, end: 5, encoding: [] },
      { entity: "EMAIL" as const, start: 3, end: 6, encoding: [] },
    ];
    expect(() => redactText("abcdefgh", bad, () => "x")).toThrow();
    try {
      redactText("abc", [{ entity: "EMAIL", start: 1, end: 9, encoding: [] }], () => "x");
    } catch (err) {
      expect(isCrosscheckError(err, "E_PII_SPAN")).toBe(true);
    }
  });
});
