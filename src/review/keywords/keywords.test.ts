/**
 * One keyword and encoding engine: the cascade on its own, and the same markings hidden the same
 * ways in a YARA rule and in a ClamAV signature, found as the same terms at the same severity.
 */
import { describe, expect, it } from "vitest";
import { analyzeRules } from "../rules/findings/index.js";
import { parseRules } from "../rules/index.js";
import { openDatabase } from "../sigdb/database.js";
import { analyzeDatabase } from "../sigdb/findings/index.js";
import { huntingLevel, spelledTerms } from "./index.js";

const hex = (s: string, enc: BufferEncoding = "latin1") => Buffer.from(s, enc).toString("hex");

describe("the spelling cascade", () => {
  it("reads text as written, then hex text, then base64, then one-byte XOR", () => {
    expect(spelledTerms(["TOP SECRET"], { nocase: false, xor: true })[0]).toMatchObject({
      way: "as written",
      level: 3,
    });
    const h = hex("TOP SECRET");
    expect(spelledTerms([h], { nocase: false, literal: h, xor: true })[0]?.way).toBe(
      "hex text written out",
    );
    const b = Buffer.from("EYES ONLY").toString("base64");
    expect(spelledTerms([b], { nocase: false, literal: b, xor: true })[0]?.way).toBe(
      "base64 written out",
    );
    const x = Buffer.from([...Buffer.from("NATO SECRET")].map((c) => c ^ 0x33)).toString("latin1");
    expect(spelledTerms([x], { nocase: false, xor: true })[0]).toMatchObject({
      way: "XOR written out",
      key: 0x33,
    });
    expect(spelledTerms([x], { nocase: false, xor: false })).toEqual([]);
  });
  it("counts a capitals-only term in lower case only under nocase, one level lower", () => {
    expect(spelledTerms(["master secret"], { nocase: false, xor: false })).toEqual([]);
    expect(spelledTerms(["the secret plan"], { nocase: true, xor: false })[0]?.level).toBe(1);
  });
  it("weighs documents up and malware down", () => {
    expect(huntingLevel(3, true, false)).toBe(4);
    expect(huntingLevel(3, true, true)).toBe(2);
    expect(huntingLevel(2, false, false)).toBe(2);
  });
});

describe("the same hiding places in both formats", () => {
  const cases: [string, string, string][] = [
    ["ASCII", `$a = "TOP SECRET"`, hex("TOP SECRET")],
    ["UTF-16LE", `$a = "NOFORN" wide`, hex("NOFORN", "utf16le")],
    ["hex with gaps", `$a = { 4E 4F ?? 46 4F ?? 52 4E }`, "4e4f??464f??524e"],
    ["hex text", `$a = "${hex("TOP SECRET")}"`, hex(hex("TOP SECRET"))],
    ["Cyrillic UTF-8", `$a = "СОВЕРШЕННО СЕКРЕТНО"`, hex("СОВЕРШЕННО СЕКРЕТНО", "utf8")],
  ];
  it.each(cases)("%s", (_, yaraString, clamHex) => {
    const rule = parseRules(
      `rule r { meta: description = "x" reference = "y" hash = "0123456789abcdef0123456789abcdef" strings: ${yaraString} condition: $a }`,
      { file: "t.yar" },
    );
    const fromYara = analyzeRules([rule]).filter((f) => f.category === "document-hunting");
    const db = openDatabase("t.ndb", Buffer.from(`Sig.X-1:0:*:${clamHex}\n`));
    const fromClam = analyzeDatabase(db).filter((f) => f.category === "document-hunting");
    expect(fromYara).toHaveLength(1);
    expect(fromClam).toHaveLength(1);
    expect(fromClam[0]?.severity).toBe(fromYara[0]?.severity);
    const term = (m: string | undefined) => /"([^"]+)" \(/.exec(m ?? "")?.[1];
    expect(term(fromClam[0]?.message)).toBe(term(fromYara[0]?.message));
  });
});
