import { describe, expect, it } from "vitest";
import { type DiffSide, diffRules, isEmptyDiff } from "./diff.js";
import { parseRules } from "./index.js";

/** Parses files `{name: source}` into one side of a diff. */
function side(files: Record<string, string>): DiffSide {
  const rules = Object.entries(files).flatMap(
    ([file, source]) => parseRules(source, { file }).rules,
  );
  return { rules, source: (f) => files[f] };
}

const diff = (old: Record<string, string>, next: Record<string, string>) =>
  diffRules(side(old), side(next));

const ORIGINAL = `
rule maldoc : office dropper {
  meta:
    author = "a"
    score = 70
  strings:
    $a = "abc"
    $b = { 4D 5A ?? 00 }
    $c = /evil[0-9]+/ nocase
  condition:
    uint16(0) == 0x5A4D and ($a or $b) and #c > 2 and filesize < 2MB
}
`;

describe("diffRules", () => {
  it("does not count a reformatted rule as changed", () => {
    // Whitespace, comments, parentheses, hex spelling, tag and meta order, explicit `ascii`, a
    // text string written as hex bytes and a size written in bytes.
    const reformatted = `
/* reformatted by a linter */
rule maldoc : dropper office
{
    meta:
        score = 70 // scored
        author = "a"
    strings:
        $a = { 61 62 63 } // "abc"
        $b = { 4d 5a ?? 00 }
        $c = /evil[0-9]+/ nocase ascii
    condition:
        (uint16(0) == 23117) and (($a) or ($b)) and (#c > 2) and (filesize < 2097152)
}
`;
    const d = diff({ "a.yar": ORIGINAL }, { "a.yar": reformatted });
    expect(d.changed).toEqual([]);
    expect(isEmptyDiff(d)).toBe(true);
    expect(d.unchanged).toBe(1);
  });

  it("treats a rule that only moved to another file as unchanged", () => {
    const d = diff({ "a.yar": ORIGINAL }, { "b/c.yar": ORIGINAL });
    expect(isEmptyDiff(d)).toBe(true);
    expect(d.moved).toEqual([
      {
        old: { name: "maldoc", file: "a.yar", line: 2 },
        new: { name: "maldoc", file: "b/c.yar", line: 2 },
      },
    ]);
  });

  it("names the parts of a rule that changed, with the text before and after", () => {
    const changed = ORIGINAL.replace('"abc"', '"abd"')
      .replace("$c = /evil[0-9]+/ nocase", '$c = /evil[0-9]+/ nocase\n    $d = "new"')
      .replace("#c > 2", "#c > 3 and $d")
      .replace("score = 70", 'score = 90\n    reference = "https://example.org"')
      .replace(": office dropper", ": office")
      .replace("rule maldoc", "private rule maldoc");
    const d = diff({ "a.yar": ORIGINAL }, { "a.yar": changed });
    expect(d.changed).toHaveLength(1);
    const c = d.changed[0];
    expect(c?.parts).toEqual(["strings", "condition", "meta", "tags", "flags"]);
    expect(c?.strings).toEqual({
      added: ["$d"],
      removed: [],
      changed: [{ id: "$a", old: '$a = "abc"', new: '$a = "abd"' }],
    });
    expect(c?.condition?.old).toContain("#c > 2");
    expect(c?.condition?.new).toContain("#c > 3 and $d");
    expect(c?.meta).toEqual({
      added: [{ key: "reference", value: '"https://example.org"' }],
      removed: [],
      changed: [{ key: "score", old: "70", new: "90" }],
    });
    expect(c?.tags).toEqual({ added: [], removed: ["dropper"] });
    expect(c?.flags).toEqual({ old: "(none)", new: "private" });
  });

  it("sees a modifier change as a string change", () => {
    const d = diff(
      { "a.yar": 'rule r { strings: $a = "secret" condition: $a }' },
      { "a.yar": 'rule r { strings: $a = "secret" wide condition: $a }' },
    );
    expect(d.changed[0]?.parts).toEqual(["strings"]);
    const hexWildcard = diff(
      { "a.yar": 'rule r { strings: $a = "ab" condition: $a }' },
      { "a.yar": "rule r { strings: $a = { 61 ?? } condition: $a }" },
    );
    expect(hexWildcard.changed[0]?.parts).toEqual(["strings"]);
  });

  it("reports added, removed, and renamed-but-identical rules", () => {
    const d = diff(
      {
        "a.yar": `
rule keep { condition: filesize < 10 }
rule old_name { meta: author = "x" strings: $s = "payload" condition: $s }
rule dropped { condition: filesize == 1 }
`,
      },
      {
        "a.yar": `
rule keep { condition: filesize < 10 }
rule new_name { meta: author = "y" strings: $s = { 70 61 79 6c 6f 61 64 } condition: ($s) }
rule fresh { condition: filesize == 2 }
`,
      },
    );
    expect(d.added.map((r) => r.name)).toEqual(["fresh"]);
    expect(d.removed.map((r) => r.name)).toEqual(["dropped"]);
    expect(d.renamed).toEqual([
      {
        old: { name: "old_name", file: "a.yar", line: 3 },
        new: { name: "new_name", file: "a.yar", line: 3 },
        parts: ["meta"],
      },
    ]);
    expect(d.unchanged).toBe(1);
    expect(d.changed).toEqual([]);
  });

  it("matches a name defined in several files file by file", () => {
    const d = diff(
      { "x.yar": "rule dup { condition: true }", "y.yar": "rule dup { condition: false }" },
      { "x.yar": "rule dup { condition: true }", "y.yar": "rule dup { condition: filesize > 1 }" },
    );
    expect(d.changed.map((c) => c.new.file)).toEqual(["y.yar"]);
    expect(d.unchanged).toBe(1);
  });

  it("compares anonymous strings by what they match, not by order", () => {
    const d = diff(
      { "a.yar": 'rule r { strings: $ = "one" $ = "two" condition: all of them }' },
      { "a.yar": 'rule r { strings: $ = "two" $ = "one" condition: all of them }' },
    );
    expect(isEmptyDiff(d)).toBe(true);
  });
});
