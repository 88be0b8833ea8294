import { describe, expect, it } from "vitest";
import type { Expr, HexString, RegexString, Rule, TextString } from "./ast.js";
import { parseRules, printExpr, printRules, YaraLimitError, YaraSyntaxError } from "./index.js";

function rule(src: string, externals?: string[]): Rule {
  const file = parseRules(src, { file: "t.yar", externals });
  return file.rules[file.rules.length - 1];
}

function cond(condition: string, strings = '$a = "abc"\n $b = "def"'): Expr {
  return rule(
    `import "pe"\nimport "math"\nrule r { ${strings ? `strings: ${strings}` : ""} condition: ${condition} }`,
  ).condition;
}

function fails(src: string): YaraSyntaxError {
  try {
    parseRules(src, { file: "bad.yar" });
  } catch (err) {
    expect(err).toBeInstanceOf(YaraSyntaxError);
    return err as YaraSyntaxError;
  }
  throw new Error("expected a syntax error");
}

describe("rule structure", () => {
  it("reads imports, global and private rules, tags and typed meta", () => {
    const f = parseRules(
      `import "pe"
global private rule g : tag1 tag2 {
  meta:
    author = "a \\"b\\" \\x41"
    count = -12
    size = 0x10
    ok = true
    no = false
  condition: pe.number_of_sections > 1
}`,
      { file: "x.yar" },
    );
    expect(f.imports.map((i) => i.module)).toEqual(["pe"]);
    const r = f.rules[0];
    expect(r).toMatchObject({ name: "g", tags: ["tag1", "tag2"], isGlobal: true, isPrivate: true });
    expect(r.meta.map((m) => [m.key, m.value])).toEqual([
      ["author", 'a "b" A'],
      ["count", -12],
      ["size", 16],
      ["ok", true],
      ["no", false],
    ]);
    expect(r.loc).toMatchObject({ file: "x.yar", line: 2, column: 1 });
    expect(r.meta[1].loc).toMatchObject({ line: 5, column: 5 });
    expect(r.condition.loc.line).toBe(9);
  });

  it("resolves includes through the caller, bounded against cycles", () => {
    const files: Record<string, string> = {
      "dir/a.yar": 'include "b.yar"\nrule a { condition: b }',
      "dir/b.yar": "rule b { condition: true }",
      "dir/loop.yar": 'include "loop.yar"',
    };
    const include = (path: string, from: string) =>
      files[`${from.slice(0, from.lastIndexOf("/") + 1)}${path}`];
    const f = parseRules(files["dir/a.yar"], { file: "dir/a.yar", include });
    expect(f.rules.map((r) => [r.name, r.loc.file])).toEqual([
      ["b", "dir/b.yar"],
      ["a", "dir/a.yar"],
    ]);
    expect(f.includes[0]).toMatchObject({ path: "b.yar", resolved: true });
    expect(() => parseRules(files["dir/loop.yar"], { file: "dir/loop.yar", include })).toThrow(
      /include cycle/,
    );
    expect(() => parseRules('include "nope.yar"', { file: "dir/x.yar", include })).toThrow(
      /cannot read/,
    );
  });
});

describe("strings", () => {
  it("decodes text strings and every modifier", () => {
    const r = rule(`rule r { strings:
      $a = "a\\tb\\n\\\\\\"\\x00\\xff\\r" nocase wide ascii fullword private
      $b = "k" xor
      $c = "k" xor(7)
      $d = "k" xor(1-0x10)
      $e = "abcd" base64 base64wide
      $f = "abcd" base64("!@#$%^&*(){}[].,|ABCDEFGHIJ\\x09LMNOPQRSTUVWXYZabcdefghijklmnopqrstu")
      $g = "Привет"
    condition: all of them }`);
    const [a, b, c, d, e, f, g] = r.strings as TextString[];
    expect(a.value).toBe('a\tb\n\\"\x00\xff\r');
    expect(a.modifiers).toEqual({
      nocase: true,
      wide: true,
      ascii: true,
      fullword: true,
      private: true,
    });
    expect(b.modifiers.xor).toEqual({ min: 0, max: 255 });
    expect(c.modifiers.xor).toEqual({ min: 7, max: 7 });
    expect(d.modifiers.xor).toEqual({ min: 1, max: 16 });
    expect(e.modifiers).toMatchObject({ base64: {}, base64wide: {} });
    expect(f.modifiers.base64?.alphabet).toHaveLength(64);
    expect(Buffer.from(g.value, "latin1").toString("utf8")).toBe("Привет");
  });

  it("reads hex strings: wildcards, nibbles, jumps, alternatives, negation", () => {
    const r =
      rule(`rule r { strings: $h = { 4D 5A ?? 9? ?0 [4] [2-8] [3-] [-] ( 01 | 02 03 | ( 04 | 05 ) ) ~00 ~4? // c
      /* c */ FF } private condition: $h }`);
    const h = r.strings[0] as HexString;
    expect(h.tokens).toEqual([
      { kind: "byte", value: 0x4d, mask: 0xff, negated: false },
      { kind: "byte", value: 0x5a, mask: 0xff, negated: false },
      { kind: "byte", value: 0, mask: 0, negated: false },
      { kind: "byte", value: 0x90, mask: 0xf0, negated: false },
      { kind: "byte", value: 0, mask: 0x0f, negated: false },
      { kind: "jump", min: 4, max: 4 },
      { kind: "jump", min: 2, max: 8 },
      { kind: "jump", min: 3, max: undefined },
      { kind: "jump", min: 0, max: undefined },
      {
        kind: "alt",
        alternatives: [
          [{ kind: "byte", value: 1, mask: 0xff, negated: false }],
          [
            { kind: "byte", value: 2, mask: 0xff, negated: false },
            { kind: "byte", value: 3, mask: 0xff, negated: false },
          ],
          [
            {
              kind: "alt",
              alternatives: [
                [{ kind: "byte", value: 4, mask: 0xff, negated: false }],
                [{ kind: "byte", value: 5, mask: 0xff, negated: false }],
              ],
            },
          ],
        ],
      },
      { kind: "byte", value: 0, mask: 0xff, negated: true },
      { kind: "byte", value: 0x40, mask: 0xf0, negated: true },
      { kind: "byte", value: 0xff, mask: 0xff, negated: false },
    ]);
    expect(h.modifiers.private).toBe(true);
  });

  it("reads regular expressions with flags and modifiers", () => {
    const r = rule(
      String.raw`rule r { strings: $r = /a\/b[\/x](c|d){2,3}\d+/is wide nocase condition: $r }`,
    );
    const s = r.strings[0] as RegexString;
    expect(s.pattern).toBe(String.raw`a\/b[\/x](c|d){2,3}\d+`);
    expect(s.flags).toEqual({ nocase: true, dotall: true });
    expect(s.modifiers).toMatchObject({ wide: true, nocase: true });
  });
});

describe("conditions", () => {
  const p = (c: string, strings?: string) => printExpr(cond(c, strings));
  const q = (c: string) => printExpr(cond(c, ""));

  it("gives operators YARA's precedence and associativity", () => {
    const e = cond("true or false and not true", "") as Extract<Expr, { kind: "binary" }>;
    expect(e.op).toBe("or");
    expect(q("1 + 2 * 3 == 7")).toBe("1 + 2 * 3 == 7");
    expect(q("(1 + 2) * 3 == 9")).toBe("(1 + 2) * 3 == 9");
    expect(q("10 - (4 - 3) == 9")).toBe("10 - (4 - 3) == 9");
    expect(q("10 - 4 - 3 == 3")).toBe("10 - 4 - 3 == 3");
    expect(q("1 | 2 ^ 3 & 4 << 1 == 3")).toBe("1 | 2 ^ 3 & 4 << 1 == 3");
    expect(q("(1 | 2) & 3 == 3")).toBe("(1 | 2) & 3 == 3");
    expect(q("-(1 + 2) == ~3 \\ 2 % 5")).toBe("-(1 + 2) == ~3 \\ 2 % 5");
    expect(q("not (true and false)")).toBe("not (true and false)");
    expect(q("(true or false) and true")).toBe("(true or false) and true");
    expect(q("0x10 + 0o17 + 2KB + 1MB + 1.5 > 0")).toBe("0x10 + 0o17 + 2KB + 1MB + 1.5 > 0");
  });

  it("reads string references, counts, offsets, lengths, at, in", () => {
    expect(p("$a at 100 and $b in (0..filesize - 1)")).toBe(
      "$a at 100 and $b in (0..filesize - 1)",
    );
    expect(p("#a == 2 and #b in (0..100) > 1")).toBe("#a == 2 and #b in (0..100) > 1");
    expect(p("@a[1] < @b and !a[2] == 3 and !b > 1")).toBe("@a[1] < @b and !a[2] == 3 and !b > 1");
    expect(cond("$a at entrypoint and $b")).toMatchObject({
      left: { kind: "string_match", id: "$a", at: { kind: "keyword", name: "entrypoint" } },
    });
  });

  it("reads of, for and with in every form", () => {
    expect(p("any of them")).toBe("any of them");
    expect(p("all of ($a*) and none of ($b)")).toBe("all of ($a*) and none of ($b)");
    expect(p("2 of ($a, $b) or 50% of them")).toBe("2 of ($a, $b) or 50% of them");
    expect(p("any of them in (0..100)")).toBe("any of them in (0..100)");
    expect(p("any of ($a, $b) at 0")).toBe("any of ($a, $b) at 0");
    expect(p("for all of ($a*) : ($ at @b)")).toBe("for all of ($a*) : ($ at @b)");
    expect(p("for any of them : (# > 2 and @ < 10 and ! == 3)")).toBe(
      "for any of them : (# > 2 and @ < 10 and ! == 3)",
    );
    expect(p("for 2 i in (1..#a) : (@a[i] > 10) and $b")).toBe(
      "for 2 i in (1..#a) : (@a[i] > 10) and $b",
    );
    expect(p('for any s in ("a", "b") : (pe.imports(s)) and all of them')).toBe(
      'for any s in ("a", "b") : (pe.imports(s)) and all of them',
    );
    expect(p('for any section in pe.sections : (section.name == ".text") and all of them')).toBe(
      'for any section in pe.sections : (section.name == ".text") and all of them',
    );
    expect(p("for all k, v in pe.version_info : (k != v) and any of (true, $a, $b)")).toBe(
      "for all k, v in pe.version_info : (k != v) and any of (true, $a, $b)",
    );
    expect(p("with x = filesize, y = 2 : (x > y) and any of them")).toBe(
      "with x = filesize, y = 2 : (x > y) and any of them",
    );
  });

  it("reads modules, functions, int reads, string operators, defined, externals", () => {
    const c =
      'uint16(0) == 0x5A4D and uint32be(pe.entry_point) != 0 and int8(1) < 0 and pe.sections[0].name contains ".t" and ' +
      'math.entropy(0, filesize) >= 7.5 and filename iequals "X" and filepath startswith "C:\\\\" and ' +
      'extension endswith ".doc" and hostname icontains "prod" and username matches /adm(in)?/i and ' +
      "defined pe.number_of_sections and not defined domain and any of them";
    expect(p(c)).toBe(c);
  });

  it("references rules and rule sets", () => {
    const f = parseRules(
      "rule apt_a { condition: true }\nrule apt_b { condition: apt_a }\nrule c { condition: any of (apt_*) and 1 of (apt_a, apt_b) }",
    );
    expect(f.rules[2].condition).toMatchObject({ left: { set: { kind: "rules" } } });
  });
});

describe("errors", () => {
  it("points to file, line and column with a message a rule writer understands", () => {
    const e = fails('rule a {\n  strings:\n    $a = "x"\n  condition:\n    $a and $b\n}');
    expect(e).toMatchObject({ code: "E_YARA_SYNTAX", file: "bad.yar", line: 5, column: 12 });
    expect(e.message).toBe('bad.yar:5:12: undefined string identifier "$b"');
    expect(fails("rule a { condition: true and }").message).toMatch(
      /1:30: expected an expression, found '}'/,
    );
    expect(fails('rule a { strings: $a = "x" condition: true }').message).toMatch(
      /unreferenced string "\$a"/,
    );
    expect(fails("rule a { condition: foo }").message).toMatch(/undefined identifier "foo"/);
    expect(fails("rule a { condition: pe.is_dll() }").message).toMatch(/import "pe"/);
    expect(fails("rule a { condition: true }\nrule a { condition: true }").message).toMatch(
      /2:6: duplicate rule/,
    );
    expect(fails('rule a { strings: $a = "x\n" condition: $a }').message).toMatch(
      /unterminated string/,
    );
    expect(fails('rule a { strings: $a = "\\q" condition: $a }').message).toMatch(/illegal escape/);
    expect(fails("rule a { strings: $a = { 4D [2] } condition: $a }").message).toMatch(/jump/);
    expect(fails("rule a { strings: $a = { 4G } condition: $a }").message).toMatch(/not a byte/);
    expect(fails('rule a { strings: $a = "x" xor nocase condition: $a }').message).toMatch(/xor/);
    expect(fails('rule a { strings: $a = "x" base64("ab") condition: $a }').message).toMatch(
      /64 bytes/,
    );
    expect(fails("rule a { strings: $a = /ab(c/ condition: $a }").message).toMatch(/\)/);
    expect(fails('import "androguard"').message).toMatch(/unknown module/);
    expect(fails("rule rule { condition: true }").message).toMatch(/reserved word/);
    expect(fails("rule a { condition: true } garbage").message).toMatch(/1:28:/);
    expect(fails("rule a { condition: true ").message).toMatch(/end of file/);
    expect(fails("/* open").message).toMatch(/unterminated comment/);
    expect(fails("rule a { condition: é }").message).toMatch(/non-ASCII/);
  });

  it("never throws anything but its own errors on malformed input", () => {
    const base = `import "pe" rule a : t { meta: x = "y" strings: $a = { 4D ( 5A | ?? ) [1-2] 00 } $b = /x+/i condition: for any of them : ($ at pe.entry_point + 1) and #a > 0 }`;
    let seed = 1;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let i = 0; i < 3000; i++) {
      const chars = [...base];
      for (let k = 0; k < 3; k++) {
        const at = rnd() % chars.length;
        const op = rnd() % 3;
        if (op === 0) chars.splice(at, 1);
        else if (op === 1) chars.splice(at, 0, base[rnd() % base.length]);
        else chars[at] = '(){}[]$#@!"/\\*:=.~-|'[rnd() % 21];
      }
      try {
        const f = parseRules(chars.join(""));
        printRules(f);
      } catch (err) {
        expect(err).toBeInstanceOf(YaraSyntaxError);
      }
    }
  });

  it("bounds size, nesting, rules and strings", () => {
    const deep = `rule a { condition: ${"(".repeat(5000)}true${")".repeat(5000)} }`;
    expect(() => parseRules(deep)).toThrow(YaraLimitError);
    expect(() => parseRules(`rule a { condition: ${"not ".repeat(5000)}true }`)).toThrow(
      YaraLimitError,
    );
    try {
      parseRules(deep);
    } catch (err) {
      expect(err).toMatchObject({ code: "E_YARA_LIMIT" });
    }
    expect(() => parseRules("rule a { condition: true }", { limits: { maxBytes: 10 } })).toThrow(
      /limit/,
    );
    const many = Array.from({ length: 20 }, (_, i) => `rule r${i} { condition: true }`).join("\n");
    expect(() => parseRules(many, { limits: { maxRules: 10 } })).toThrow(YaraLimitError);
    const strings = Array.from({ length: 20 }, (_, i) => `$s${i} = "x${i}"`).join(" ");
    expect(() =>
      parseRules(`rule a { strings: ${strings} condition: any of them }`, {
        limits: { maxStringsPerRule: 10 },
      }),
    ).toThrow(YaraLimitError);
    const hexDeep = `rule a { strings: $a = { 00 ${"( 01 | ".repeat(500)}02${" )".repeat(500)} } condition: $a }`;
    expect(() => parseRules(hexDeep)).toThrow(YaraLimitError);
  });

  it("takes external variables from the caller", () => {
    expect(() => rule("rule a { condition: machine_id == 3 }")).toThrow(/undefined identifier/);
    expect(rule("rule a { condition: machine_id == 3 }", ["machine_id"]).condition.kind).toBe(
      "binary",
    );
  });
});
