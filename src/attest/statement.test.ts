import { describe, expect, it } from "vitest";
import { utf8Encode } from "../crypto/index.js";
import {
  IN_TOTO_PAYLOAD_TYPE,
  makeStatement,
  parseStatement,
  STATEMENT_TYPE,
  serializeStatement,
} from "./index.js";

const DIGEST = "a".repeat(64);
const subject = [{ name: "daily.cvd", digest: { sha256: DIGEST } }];

function parseText(text: string) {
  return parseStatement(utf8Encode(text));
}

describe("in-toto statements", () => {
  it("serialises in the spec's field order and parses back", () => {
    const statement = makeStatement(subject, "https://example.com/p/v1", { a: 1 });
    const bytes = serializeStatement(statement);
    expect(new TextDecoder().decode(bytes)).toBe(
      `{"_type":"${STATEMENT_TYPE}","subject":[{"name":"daily.cvd","digest":{"sha256":"${DIGEST}"}}],"predicateType":"https://example.com/p/v1","predicate":{"a":1}}`,
    );
    expect(parseStatement(bytes)).toEqual(statement);
    expect(IN_TOTO_PAYLOAD_TYPE).toBe("application/vnd.in-toto+json");
  });

  const good = {
    _type: STATEMENT_TYPE,
    subject,
    predicateType: "https://example.com/p/v1",
    predicate: {},
  };
  const refusals: [string, unknown, string][] = [
    ["another statement type", { ...good, _type: "https://in-toto.io/Statement/v0.1" }, "/_type"],
    ["an extra field", { ...good, extra: true }, "/extra"],
    ["no subjects", { ...good, subject: [] }, "/subject"],
    [
      "a subject without a name",
      { ...good, subject: [{ digest: { sha256: DIGEST } }] },
      "/subject/0",
    ],
    [
      "an uppercase digest",
      { ...good, subject: [{ name: "x", digest: { sha256: DIGEST.toUpperCase() } }] },
      "/subject/0/digest/sha256",
    ],
    [
      "another digest algorithm",
      { ...good, subject: [{ name: "x", digest: { sha256: DIGEST, sha512: DIGEST } }] },
      "/subject/0/digest",
    ],
    ["a duplicate subject", { ...good, subject: [...subject, ...subject] }, "/subject/1/name"],
    ["a missing predicate", { _type: STATEMENT_TYPE, subject, predicateType: "x" }, "/predicate"],
    ["an array predicate", { ...good, predicate: [] }, "/predicate"],
    ["an empty predicateType", { ...good, predicateType: "" }, "/predicateType"],
  ];
  for (const [what, value, path] of refusals) {
    it(`refuses ${what}`, () => {
      expect(() => parseText(JSON.stringify(value))).toThrow(
        expect.objectContaining({
          code: "E_STATEMENT_MALFORMED",
          message: expect.stringContaining(`at ${path}`),
        }),
      );
    });
  }

  it("refuses duplicate keys, which JSON.parse would silently resolve", () => {
    const text = JSON.stringify(good).replace('"predicate":{}', '"predicate":{"a":1,"a":2}');
    expect(() => parseText(text)).toThrow(
      expect.objectContaining({ code: "E_STATEMENT_MALFORMED" }),
    );
  });

  it("refuses bytes that are not UTF-8 JSON", () => {
    expect(() => parseStatement(new Uint8Array([0xc3]))).toThrow(
      expect.objectContaining({ code: "E_STATEMENT_MALFORMED" }),
    );
    expect(() => parseText("not json")).toThrow(
      expect.objectContaining({ code: "E_STATEMENT_MALFORMED" }),
    );
  });
});
