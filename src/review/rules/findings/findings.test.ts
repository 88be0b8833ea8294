/**
 * Rules written to hide what they look for, one per disguise, each of which must be found at the
 * expected severity; and ordinary malware rules that must raise nothing.
 */
import { describe, expect, it } from "vitest";
import { parseRules } from "../index.js";
import { analyzeRules, type Category, type Finding, type Severity } from "./index.js";

const META = `meta:
    description = "test rule"
    reference = "https://example.org/report"
    hash = "0123456789abcdef0123456789abcdef"`;

function analyze(source: string, options: Parameters<typeof analyzeRules>[1] = {}): Finding[] {
  return analyzeRules([parseRules(source, { file: "test.yar" })], options);
}

/** A rule with full meta around the given strings and condition. */
function rule(name: string, strings: string, condition: string, head = "rule"): string {
  return `${head} r_${name} {\n  ${META}\n  strings:\n${strings}\n  condition:\n    ${condition}\n}\n`;
}

function only(findings: Finding[], category: Category): Finding[] {
  return findings.filter((f) => f.category === category);
}

function expectOne(findings: Finding[], category: Category, severity: Severity): Finding {
  const found = only(findings, category);
  expect(found.map((f) => `${f.severity}: ${f.message}`)).toHaveLength(1);
  expect(found[0]?.severity, found[0]?.message).toBe(severity);
  return found[0] as Finding;
}

describe("document hunting", () => {
  const disguises: [string, string, string, Severity][] = [
    ["plain text", `    $a = "TOP SECRET"`, "$a", "high"],
    ["nocase", `    $a = "top secret" nocase`, "$a", "high"],
    ["wide", `    $a = "NOFORN" wide ascii`, "$a", "high"],
    ["fullword caveat", `    $a = "FOUO" fullword`, "$a", "high"],
    [
      "hex spelling UTF-16LE with a jump and a wildcard",
      `    $a = { 54 00 4F 00 50 [0-2] 20 00 53 ?? 45 00 43 00 52 00 45 00 54 00 }`,
      "$a",
      "high",
    ],
    ["hex with wildcards between characters", `    $a = { 46 ?? 4F ?? 55 ?? 4F }`, "$a", "high"],
    ["hex alternatives", `    $a = { 4E 4F ( 46 | 66 ) 4F 52 4E }`, "$a", "high"],
    ["xor modifier", `    $a = "FOR OFFICIAL USE ONLY" xor(1-255)`, "$a", "high"],
    ["XOR applied by hand (key 0x5A)", `    $a = { 0E 15 0A 7A 09 1F 19 08 1F 0E }`, "$a", "high"],
    ["base64 modifier", `    $a = "EYES ONLY" base64`, "$a", "high"],
    ["base64wide modifier", `    $a = "TOP SECRET" base64wide`, "$a", "high"],
    ["base64 written out", `    $a = "eHhUT1AgU0VDUkVULy9OT0ZPUk4="`, "$a", "high"],
    ["base64 written out, misaligned", `    $a = "hUT1AgU0VDUkVULy9OT0ZPUk4"`, "$a", "high"],
    ["split across strings", `    $a = "TOP"\n    $b = "SECRET"`, "$a and $b", "high"],
    ["split, declared backwards", `    $b = "SECRET"\n    $a = "TOP "`, "all of them", "high"],
    [
      "split, hex and text",
      `    $a = { 54 4F 50 5F }\n    $b = "secret" nocase`,
      "$a and $b",
      "high",
    ],
    ["regex with classes", `    $a = /T[O0]P[\\s_-]?S[E3]CRET/`, "$a", "high"],
    ["regex with gaps", `    $a = /N.O.F.O.R.N/`, "$a", "high"],
    ["regex alternation", `    $a = /(eyes|EYES) (only|ONLY)/`, "$a", "high"],
    ["regex, nocase flag", `    $a = /for official use only/i`, "$a", "high"],
    ["German", `    $a = "VS-NUR FÜR DEN DIENSTGEBRAUCH"`, "$a", "high"],
    ["German wide", `    $a = "Streng geheim" wide`, "$a", "high"],
    ["German regex", `    $a = /VS-NUR F(Ü|UE)R DEN DIENSTGEBRAUCH/`, "$a", "high"],
    ["French", `    $a = "SECRET DÉFENSE"`, "$a", "high"],
    ["French without accents, nocase", `    $a = "confidentiel defense" nocase`, "$a", "high"],
    ["French caveat", `    $a = "Diffusion Restreinte"`, "$a", "high"],
    [
      "French, UTF-16LE in hex",
      `    $a = { 44 00 49 00 46 00 46 00 55 00 53 00 49 00 4F 00 4E 00 20 00 52 00 45 00 53 00 54 00 52 00 45 00 49 00 4E 00 54 00 45 00 }`,
      "$a",
      "high",
    ],
    ["Russian UTF-8", `    $a = "СОВЕРШЕННО СЕКРЕТНО"`, "$a", "high"],
    ["Russian, sentence case, wide", `    $a = "Совершенно секретно" wide`, "$a", "high"],
    [
      "Russian, UTF-8 escapes",
      `    $a = "\\xd0\\x94\\xd0\\xbb\\xd1\\x8f \\xd1\\x81\\xd0\\xbb\\xd1\\x83\\xd0\\xb6\\xd0\\xb5\\xd0\\xb1\\xd0\\xbd\\xd0\\xbe\\xd0\\xb3\\xd0\\xbe \\xd0\\xbf\\xd0\\xbe\\xd0\\xbb\\xd1\\x8c\\xd0\\xb7\\xd0\\xbe\\xd0\\xb2\\xd0\\xb0\\xd0\\xbd\\xd0\\xb8\\xd1\\x8f"`,
      "$a",
      "high",
    ],
    ["Ukrainian", `    $a = "ЦІЛКОМ ТАЄМНО"`, "$a", "high"],
    ["Chinese UTF-8", `    $a = "绝密"`, "$a", "high"],
    ["Chinese UTF-16LE hex", `    $a = { DD 7E C6 5B }`, "$a", "high"],
    ["Chinese GBK hex", `    $a = { BE F8 C3 DC }`, "$a", "high"],
    ["Japanese", `    $a = "部外秘" wide`, "$a", "high"],
    ["Korean", `    $a = "대외비"`, "$a", "high"],
    ["Spanish", `    $a = "ALTO SECRETO"`, "$a", "high"],
    ["Italian", `    $a = "Riservatissimo" nocase`, "$a", "high"],
    ["Polish", `    $a = "ŚCIŚLE TAJNE"`, "$a", "high"],
    ["state body", `    $a = "Ministry of Defence"`, "$a", "high"],
    ["a single marking word, no gate", `    $a = "CONFIDENTIAL"`, "$a", "medium"],
    ["a single marking word, folded case", `    $a = "restricted" nocase`, "$a", "low"],
  ];
  it.each(disguises)("finds %s", (name, strings, condition, severity) => {
    const findings = analyze(rule(name.replace(/\W+/g, "_"), strings, condition));
    const f = expectOne(findings, "document-hunting", severity);
    expect(f.evidence.length).toBeGreaterThan(0);
    expect(f.location).toMatchObject({ file: "test.yar", line: 1, column: 1 });
    expect(f.id).toMatch(/^document-hunting:test\.yar:/);
  });

  const gates: [string, string, string, Severity][] = [
    ["OLE magic by integer", `    $a = "CONFIDENTIAL"`, "uint32be(0) == 0xD0CF11E0 and $a", "high"],
    [
      "OLE magic as hex",
      `    $ole = { D0 CF 11 E0 A1 B1 1A E1 }\n    $a = "CONFIDENTIAL" wide`,
      "$ole at 0 and $a",
      "high",
    ],
    [
      "OOXML parts",
      `    $pk = "PK"\n    $ct = "[Content_Types].xml"\n    $a = "RESTRICTED"`,
      "$pk at 0 and $ct and $a",
      "high",
    ],
    ["PDF", `    $pdf = "%PDF-"\n    $a = "CLASSIFIED"`, "$pdf at 0 and $a", "high"],
    [
      "RTF",
      `    $rtf = "{\\\\rtf"\n    $a = { 53 00 45 00 43 00 52 00 45 00 54 00 }`,
      "$rtf at 0 and $a",
      "high",
    ],
    [
      "Russian cp1251 in hex, OLE",
      `    $a = { D1 C5 CA D0 C5 D2 CD CE }`,
      "uint32(0) == 0xE011CFD0 and $a",
      "high",
    ],
    [
      "Russian UTF-16LE in hex, PDF",
      `    $a = { 14 04 21 04 1F 04 }`,
      "uint32(0) == 0x46445025 and $a",
      "high",
    ],
    [
      "OLE with macro loaders (a maldoc rule quoting its lure)",
      `    $a = "CONFIDENTIAL"\n    $m1 = "AutoOpen"\n    $m2 = "WScript.Shell"`,
      "uint32be(0) == 0xD0CF11E0 and all of them",
      "low",
    ],
    [
      "OLE with shellcode bytes",
      `    $a = "SECRET" wide\n    $sc = { 64 A1 30 00 00 00 }`,
      "uint32be(0) == 0xD0CF11E0 and all of them",
      "low",
    ],
    [
      "a strong marking with PowerShell",
      `    $a = "TOP SECRET"\n    $p = "powershell -enc" nocase`,
      "uint32be(0) == 0xD0CF11E0 and all of them",
      "medium",
    ],
    [
      "a strong marking in a PE rule",
      `    $a = "TOP SECRET"`,
      "uint16(0) == 0x5A4D and $a",
      "medium",
    ],
  ];
  it.each(gates)("weighs a document gate: %s", (name, strings, condition, severity) => {
    const f = expectOne(
      analyze(rule(name.replace(/\W+/g, "_"), strings, condition)),
      "document-hunting",
      severity,
    );
    expect(f.message).toMatch(/documents|malware/);
  });

  it("does not mistake words for markings", () => {
    const source = [
      rule(
        "tls",
        `    $a = "master secret"\n    $b = "Israeli Secret Intelligence"`,
        "all of them",
      ),
      rule(
        "ransom",
        `    $a = "THANATOS"\n    $b = "Terminator RAT"\n    $c = "NATOMAS"`,
        "any of them",
      ),
      rule(
        "words",
        `    $a = "unrestricted" wide\n    $b = "declassify" nocase\n    $c = "secretary"`,
        "any of them",
      ),
      rule(
        "maldoc",
        `    $ole = { D0 CF 11 E0 }\n    $a = "AutoOpen"\n    $b = "Shell("`,
        "$ole at 0 and $a and $b",
      ),
    ].join("\n");
    expect(only(analyze(source), "document-hunting")).toEqual([]);
  });
});

describe("targeting", () => {
  const cases: [string, string, Severity][] = [
    ["a host name", `hostname == "WS-FINANCE-07"`, "high"],
    ["a user name", `username icontains "alice"`, "high"],
    ["a domain", `domain iequals "corp.example.org"`, "high"],
    ["a user's folder", `filepath contains "C:\\\\Users\\\\bob\\\\Documents"`, "high"],
    ["a home directory by regex", `filepath matches /\\/home\\/carol\\//`, "high"],
    ["a file name", `filename == "budget-2025.xlsx"`, "medium"],
    [
      "one known file's hash",
      `hash.sha256(0, filesize) == "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"`,
      "medium",
    ],
    [
      "one known document's hash",
      `uint32be(0) == 0xD0CF11E0 and hash.md5(0, filesize) == "0cc175b9c0f1b6a831c399e269772661"`,
      "high",
    ],
  ];
  it.each(cases)("finds a decision on %s", (name, condition, severity) => {
    const src = `import "hash"\n${rule(name.replace(/\W+/g, "_"), `    $x = "payload"`, `$x and ${condition}`)}`;
    const alone = `import "hash"\n${rule(`${name.replace(/\W+/g, "_")}_alone`, "", condition).replace("  strings:\n\n", "")}`;
    const findings = analyze(name.includes("hash") ? alone : src);
    expectOne(findings, "targeting", severity);
  });
});

describe("personal data", () => {
  const cases: [string, string, Severity][] = [
    ["card numbers in groups", `/\\d{4}[ -]?\\d{4}[ -]?\\d{4}[ -]?\\d{4}/`, "high"],
    ["Visa numbers", `/4[0-9]{12}(?:[0-9]{3})?/`, "high"],
    ["a run of 16 digits", `/[0-9]{16}/`, "high"],
    ["US SSNs", `/\\b\\d{3}-\\d{2}-\\d{4}\\b/`, "high"],
    ["UK NINOs", `/[A-Z]{2}\\d{6}[A-D]/`, "high"],
    ["UK NINOs, spaced", `/[A-Z]{2} ?\\d{2} ?\\d{2} ?\\d{2} ?[A-D]/`, "high"],
    ["German IBANs", `/DE\\d{20}/`, "high"],
    ["IBANs", `/[A-Z]{2}[0-9]{2}[0-9]{12,30}/`, "high"],
    ["German tax IDs", `/\\b[0-9]{11}\\b/`, "medium"],
    ["phone numbers", `/\\+49[ -]?\\d{3}[ -]?\\d{7}/`, "medium"],
    ["US phone numbers", `/\\(?\\d{3}\\)?[ .-]\\d{3}[ .-]\\d{4}/`, "medium"],
    ["addresses of a domain", `/[a-z0-9._%+-]+@bundeswehr\\.de/`, "medium"],
    ["addresses of a government domain", `/[a-z0-9.]+@state\\.gov/ nocase`, "high"],
  ];
  it.each(cases)("finds a pattern for %s", (name, regex, severity) => {
    expectOne(
      analyze(rule(name.replace(/\W+/g, "_"), `    $a = ${regex}`, "$a")),
      "personal-data",
      severity,
    );
  });
  it("finds one card number written out (Luhn-valid) and a domain's addresses as text", () => {
    expectOne(
      analyze(rule("card", `    $a = "4111 1111 1111 1111"`, "$a")),
      "personal-data",
      "medium",
    );
    expectOne(analyze(rule("mail", `    $a = "@diplo.gouv.fr"`, "$a")), "personal-data", "high");
  });
  it("leaves dates, versions and C2 addresses alone", () => {
    const source = rule(
      "benign",
      `    $a = /CreationDate \\(D:20101015142358\\)/\n    $b = "attacker@gmail.com"\n    $c = /v[0-9]\\.[0-9]{1,2}/\n    $d = "1234567890123"`,
      "any of them",
    );
    expect(only(analyze(source), "personal-data")).toEqual([]);
  });
});

describe("over-broad", () => {
  const cases: [string, string, string, Severity][] = [
    ["true", "", "true", "high"],
    ["filesize > 0", "", "filesize > 0", "high"],
    ["a tiny atom alone", `    $a = "MZ"`, "$a", "high"],
    ["any of only tiny strings", `    $a = "ab"\n    $b = { 4D ?? 5A }`, "any of them", "high"],
    ["a magic number alone", "", "uint16(0) == 0x5A4D", "medium"],
    ["a magic number or true", "", "uint16(0) == 0x5A4D or true", "high"],
  ];
  it.each(cases)("finds %s", (name, strings, condition, severity) => {
    const src = rule(name.replace(/\W+/g, "_"), strings, condition).replace("  strings:\n\n", "");
    expectOne(analyze(src), "over-broad", severity);
  });
  it("accepts a magic number with real content", () => {
    const src = rule("fine", `    $a = "CreateRemoteThread"`, "uint16(0) == 0x5A4D and $a");
    expect(only(analyze(src), "over-broad")).toEqual([]);
  });
});

describe("suppression", () => {
  it("reports a new global rule that vetoes by path, but not one the previous pack had", () => {
    const src = `global rule gate { condition: not (filepath contains "\\\\Program Files\\\\Vendor") }\n${rule("r", `    $a = "evil"`, "$a")}`;
    expectOne(analyze(src), "suppression", "high");
    const old = parseRules(src, { file: "old.yar" });
    expect(
      only(
        analyzeRules([parseRules(src, { file: "test.yar" })], { previous: [old] }),
        "suppression",
      ),
    ).toEqual([]);
  });
  it("reports a new global rule on size at medium severity", () => {
    expectOne(analyze(`global rule small { condition: filesize < 10MB }`), "suppression", "medium");
  });
  it("reports a private rule many others use as a veto", () => {
    const src = [
      `private rule allowlisted { strings: $a = "VendorSigned" condition: $a }`,
      rule("one", `    $a = "evil1"`, "$a and not allowlisted"),
      rule("two", `    $a = "evil2"`, "$a and not allowlisted"),
    ].join("\n");
    const f = expectOne(analyze(src), "suppression", "medium");
    expect(f.rule).toBe("test.yar:allowlisted");
    expect(f.evidence[0]).toContain("r_one, r_two");
  });
  it("reports `// suppress:` comments with their line, and does not obey them", () => {
    const src = `${rule("r", `    $a = /.*evil/ // suppress: slow_pattern`, "$a")}`;
    const findings = analyze(src, { sources: { "test.yar": src } });
    const f = expectOne(findings, "suppression", "medium");
    expect(f.location.line).toBe(7);
    expect(only(findings, "slow")).toHaveLength(1);
  });
});

describe("slow", () => {
  const cases: [string, string, string, Severity][] = [
    ["a regex starting with .*", `    $a = /.*evil\\.com/`, "$a", "medium"],
    ["a regex with .+ inside", `    $a = /evil.+\\.com/`, "$a", "low"],
    ["consecutive jumps", `    $a = { 4D 5A [1-2] [3-4] 90 90 }`, "$a", "low"],
    ["a trailing wildcard", `    $a = { 4D 5A 90 00 ?? }`, "$a", "low"],
    ["an unbounded jump", `    $a = { 4D 5A 90 [10-] 50 45 }`, "$a", "low"],
    ["a poor atom", `    $a = { 00 00 00 00 }`, "$a", "low"],
    [
      "a loop over the whole file",
      `    $a = "evil"`,
      "$a and for any i in (0..filesize) : (uint8(i) == 0x90)",
      "medium",
    ],
    [
      "a huge loop",
      `    $a = "evil"`,
      "$a and for all i in (0..1000000) : (uint8(i) != 0)",
      "medium",
    ],
  ];
  it.each(cases)("finds %s", (name, strings, condition, severity) => {
    expectOne(analyze(rule(name.replace(/\W+/g, "_"), strings, condition)), "slow", severity);
  });
});

describe("hygiene", () => {
  it("reports a new rule without description, reference or sample hash", () => {
    const f = expectOne(
      analyze(`rule bare { strings: $a = "evil" condition: $a }`),
      "hygiene",
      "low",
    );
    expect(f.message).toContain("description");
    expect(f.message).toContain("sample hash");
  });
  it("does not report rules the previous pack already had", () => {
    const src = `rule bare { strings: $a = "evil" condition: $a }`;
    const findings = analyzeRules([parseRules(src, { file: "test.yar" })], {
      previous: [parseRules(src, { file: "test.yar" })],
    });
    expect(findings).toEqual([]);
  });
});

describe("clean rules", () => {
  it("raise nothing", () => {
    const source = `import "pe"\n${[
      rule(
        "injector",
        `    $a = "CreateRemoteThread"\n    $b = "VirtualAllocEx"\n    $c = { 55 8B EC 83 EC 40 53 56 57 }`,
        "uint16(0) == 0x5A4D and pe.number_of_sections > 2 and all of them",
      ),
      rule(
        "webshell",
        `    $a = "eval($_POST[" nocase\n    $b = /base64_decode\\([a-z$_]{1,20}\\)/`,
        "any of them",
      ),
      rule(
        "maldoc",
        `    $ole = { D0 CF 11 E0 A1 B1 1A E1 }\n    $a = "AutoOpen"\n    $b = "URLDownloadToFile"`,
        "$ole at 0 and $a and $b",
      ),
    ].join("\n")}`;
    expect(analyze(source)).toEqual([]);
  });

  it("gives every finding a stable id", () => {
    const src = rule("ts", `    $a = "TOP SECRET"`, "$a");
    const a = analyze(src);
    const b = analyze(`\n\n${src.replaceAll("    ", "\t")}`);
    expect(a.map((f) => f.id)).toEqual(b.map((f) => f.id));
  });
});
