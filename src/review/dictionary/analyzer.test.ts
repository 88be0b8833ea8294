import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ReleasePredicate } from "../../attest/index.js";
import { DICTIONARY_ANALYZER, dictionaryAnalyzer } from "./analyzer.js";

const EDR = readFileSync(new URL("../../../examples/dictionary/edr.yaml", import.meta.url), "utf8");
const dir = mkdtempSync(join(tmpdir(), "crosscheck-dictionary-analyzer-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function artifact(text: string | Uint8Array, name = "edr.yaml") {
  const path = join(dir, `${++n}-${name}`);
  writeFileSync(path, text);
  return { name, path, sha256: "0".repeat(64) };
}

function release(version = "2026.11.23.1"): ReleasePredicate {
  return {
    channel: "dictionary",
    version,
    artifacts: [],
    previous: null,
    audience: "everyone",
    published: "2026-11-23T10:00:00Z",
  } as unknown as ReleasePredicate;
}

const V2 = (text: string) => text.replace('version: "2026.11.23.1"', 'version: "2026.11.23.2"');

async function analyzeChange(next: string) {
  const analyzer = dictionaryAnalyzer({ previous: async () => [artifact(EDR)] });
  return analyzer.analyze(release("2026.11.23.2"), [artifact(V2(next))]);
}

describe("the dictionary analyzer", () => {
  it("is registered for the dictionary channel", () => {
    const a = dictionaryAnalyzer();
    expect(a.name).toBe(DICTIONARY_ANALYZER);
    expect(a.channels).toEqual(["dictionary"]);
  });

  it("reviews a first dictionary as all new: highly sensitive fields high, free text medium", async () => {
    const findings = await dictionaryAnalyzer().analyze(release(), [artifact(EDR)]);
    expect(findings[0]).toMatchObject({ severity: "info", analyzer: DICTIONARY_ANALYZER });
    expect(findings[0]?.message).toContain("No previous published dictionary");
    const at = (path: string) => findings.find((f) => f.location.path === path);
    expect(at("process_start/command_line")?.severity).toBe("high");
    expect(at("process_start/command_line")?.message).toContain("free text");
    expect(at("script_block/script")?.severity).toBe("high");
    expect(at("user_logon/account")?.severity).toBe("high");
    expect(at("detection/description")?.severity).toBe("medium");
    expect(at("dns_query/query")?.severity).toBe("low");
    expect(at("common/body")?.severity).toBe("high");
    expect(at("process_start/pid")).toBeUndefined();
    expect(new Set(findings.map((f) => f.id)).size).toBe(findings.length);
  });

  it("reports a dictionary that does not parse as high, with the parser's words", async () => {
    const findings = await dictionaryAnalyzer().analyze(release(), [
      artifact(EDR.replace("type: integer", "type: int")),
    ]);
    expect(findings).toHaveLength(1);
    expect(findings[0]?.severity).toBe("high");
    expect(findings[0]?.message).toContain('unknown type "int"');
    expect(findings[0]?.evidence).toEqual({ code: "E_DICTIONARY_INVALID" });
  });

  it("reports bytes that are not UTF-8 and releases with several artifacts", async () => {
    const binary = await dictionaryAnalyzer().analyze(release(), [
      artifact(new Uint8Array([0xff, 0xfe, 0x00])),
    ]);
    expect(binary[0]?.severity).toBe("high");
    expect(binary[0]?.message).toContain("UTF-8");
    const two = await dictionaryAnalyzer().analyze(release(), [
      artifact(EDR),
      artifact(EDR, "b.yaml"),
    ]);
    expect(two[0]?.severity).toBe("high");
    expect(two[0]?.message).toContain("exactly one");
  });

  it("reports a dictionary version that differs from the release's", async () => {
    const findings = await dictionaryAnalyzer().analyze(release("2026.11.23.9"), [artifact(EDR)]);
    const mismatch = findings.find((f) => f.message.includes("the release is version"));
    expect(mismatch?.severity).toBe("high");
  });

  it("finds nothing to judge when the dictionary did not change", async () => {
    const findings = await analyzeChange(EDR);
    expect(findings).toHaveLength(1);
    expect(findings[0]?.message).toContain("0 fields added, 0 removed, 0 changed");
  });

  it("judges a new event's highly sensitive free-text field and a new technical field", async () => {
    const findings = await analyzeChange(
      `${EDR}  clipboard:
    description: The clipboard changed.
    fields:
      content: { type: text, purpose: Copied text, sensitivity: highly_sensitive, retention_days: 400 }
      format: { type: string, purpose: Clipboard format, sensitivity: technical, retention_days: 30 }
`,
    );
    expect(findings[0]?.message).toContain("1 events added");
    const content = findings.find((f) => f.location.path === "clipboard/content");
    expect(content?.severity).toBe("high");
    expect(content?.message).toMatch(/highly sensitive.*free text.*kept 400 days/);
    expect(findings.find((f) => f.location.path === "clipboard/format")).toBeUndefined();
  });

  it("judges raised sensitivity, a field turned into free text, longer and lowered retention", async () => {
    const next = EDR.replace(
      "purpose: The matching process's executable.",
      "purpose: The matching process's executable.\n            sensitivity: highly_sensitive",
    )
      .replace("      signer:\n        type: string", "      signer:\n        type: text")
      .replace(
        "purpose: The peer port, to spot unusual services.\n        sensitivity: technical\n        retention_days: 30",
        "purpose: The peer port, to spot unusual services.\n        sensitivity: interaction\n        retention_days: 730",
      )
      .replace(
        "purpose: The account that logged on, to detect stolen credentials.\n        sensitivity: highly_sensitive",
        "purpose: The account that logged on, to detect stolen credentials.\n        sensitivity: technical",
      );
    const findings = await analyzeChange(next);
    const at = (path: string) => findings.filter((f) => f.location.path === path);
    expect(at("detection/process/image_path").map((f) => f.severity)).toEqual(["high"]);
    expect(at("process_start/signer").map((f) => f.severity)).toEqual(["medium"]);
    expect(at("process_start/signer")[0]?.message).toContain("free text");
    expect(at("network_connect/remote_port").map((f) => f.severity)).toEqual(["medium", "medium"]);
    expect(at("user_logon/account").map((f) => f.severity)).toEqual(["low"]);
    expect(at("user_logon/account")[0]?.message).toContain("lowered");
    expect(findings[0]?.message).toContain("4 changed");
  });

  it("compares with the previous dictionary even when it is renamed, and says so", async () => {
    const findings = await analyzeChange(EDR.replace("name: edr", "name: edr-next"));
    expect(findings.find((f) => f.message.includes("renamed"))?.severity).toBe("medium");
  });
});
