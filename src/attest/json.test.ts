import { describe, expect, it } from "vitest";
import { MAX_JSON_DEPTH, parseStrictJson } from "./json.js";

describe("strict JSON", () => {
  it("reads escaped quotes and backslashes in keys and values as JSON.parse does", () => {
    const text = String.raw`{"a\"b":1,"c\\":"x\\\"y","d":["\\",{"e\\\\":"\""}],"f":"\u00e9\ud83d\ude00"}`;
    expect(parseStrictJson(text)).toEqual({ value: JSON.parse(text) });
  });

  it("refuses a key repeated in one object, also when spelled with an escape", () => {
    expect(parseStrictJson('{"a":1,"a":2}')).toEqual({ error: 'it has the key "a" twice' });
    expect(parseStrictJson(String.raw`{"a":1,"\u0061":2}`)).toEqual({
      error: 'it has the key "a" twice',
    });
    expect(parseStrictJson('{"a":{"b":1},"c":[{"b":2},{"b":3}],"d":"b"}')).toHaveProperty("value");
    expect(parseStrictJson('{"a":{"b":1,"c":{},"b":2}}')).toHaveProperty("error");
  });

  it("refuses escaped lone surrogates, invalid JSON and deep nesting", () => {
    expect(parseStrictJson(String.raw`["\udc00"]`)).toHaveProperty("error");
    expect(parseStrictJson("{'a':1}")).toEqual({ error: "it is not valid JSON" });
    const deep = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`;
    expect(parseStrictJson(deep(MAX_JSON_DEPTH))).toHaveProperty("value");
    expect(parseStrictJson(deep(MAX_JSON_DEPTH + 1))).toHaveProperty("error");
  });
});
