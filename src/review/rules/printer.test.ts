import { describe, expect, it } from "vitest";
import { parseRules, printRules } from "./index.js";

const strip = (f: ReturnType<typeof parseRules>) =>
  JSON.parse(
    JSON.stringify(f.rules, (k, v) => (k === "loc" || k === "raw" ? undefined : v)),
  ) as unknown;

describe("printer", () => {
  it("prints a file that parses back to the same tree", () => {
    const src = String.raw`import "pe"
import "math"
private rule helper { condition: uint16(0) == 0x5A4D }
global rule g : a b {
  meta:
    s = "quote \" back \\ tab \t é"
    n = -3
    t = true
  strings:
    $t = "bytes \x00\xff\"\\" nocase wide ascii fullword private
    $x = "k" xor(1-3)
    $b = "abc" base64("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") base64wide("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    $h = { 4D 5A ?? 9? ?0 [2-4] ( 01 | 02 [1-] 03 ) ~00 FF }
    $r = /a\/b[\]\/]+\x41/is
  condition:
    helper and (#t > 1 or @x[1] < 10) and for any of ($b, $h) : ($ in (0..100)) and
    $r at pe.entry_point and math.entropy(0, filesize) > 7.0 and - - 1 == 1 and
    for all i in (1..2) : (uint8(i) != 0 and !t[i] > 0)
}`;
    const f = parseRules(src);
    const printed = printRules(f);
    expect(strip(parseRules(printed))).toEqual(strip(f));
    expect(printRules(parseRules(printed))).toBe(printed);
    expect(printed).toContain("$h = { 4D 5A ?? 9? ?0 [2-4] ( 01 | 02 [1-] 03 ) ~00 FF }");
    expect(printed).toContain(
      String.raw`$t = "bytes \x00\xff\"\\" nocase wide ascii fullword private`,
    );
    expect(printed).toContain('s = "quote \\" back \\\\ tab \\t é"');
  });
});
