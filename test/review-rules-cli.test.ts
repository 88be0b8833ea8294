/** `crosscheck review rules OLD NEW`, run as a reviewer would, on packs written to disk. */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./support/cli.js";

const OLD = `
rule keep : office {
  meta:
    description = "kept"
  strings:
    $a = "abc"
  condition:
    $a and filesize < 0x100
}
rule old_name { strings: $s = "payload" condition: $s }
rule dropped { condition: filesize == 1 }
`;

const NEW = `
// reformatted: not a change
rule keep : office
{
    meta: description = "kept"
    strings: $a = { 61 62 63 }
    condition: ($a) and (filesize < 256)
}
rule new_name { strings: $s = "payload" condition: $s }
rule hunter
{
    meta:
        description = "<script>alert(1)</script>"
    strings:
        $m = "TOP SECRET" wide nocase
    condition:
        uint32(0) == 0xe011cfd0 and $m and tenant_id == "acme"
}
`;

describe("crosscheck review rules", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "review-rules-"));
    mkdirSync(join(dir, "old"));
    mkdirSync(join(dir, "new"));
    writeFileSync(join(dir, "old", "rules.yar"), OLD);
    writeFileSync(join(dir, "new", "rules.yar"), NEW);
    execFileSync("tar", ["-czf", join(dir, "new.tar.gz"), "-C", join(dir, "new"), "rules.yar"]);
  });

  it("prints the diff and the findings, and exits 0", async () => {
    const r = await runCli([
      "review",
      "rules",
      join(dir, "old"),
      join(dir, "new.tar.gz"),
      "--externals",
      "tenant_id",
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Diff: 1 added, 1 removed, 0 changed, 1 renamed, 1 unchanged");
    expect(r.stdout).toContain("+ hunter");
    expect(r.stdout).toContain("- dropped");
    expect(r.stdout).toContain("~ old_name -> new_name");
    expect(r.stdout).toMatch(/\[high\] document-hunting {2}rules\.yar:hunter/);
  });

  it("speaks JSON", async () => {
    const r = await runCli([
      "review",
      "rules",
      join(dir, "old"),
      join(dir, "new"),
      "--json",
      "--externals",
      "tenant_id",
    ]);
    expect(r.code).toBe(0);
    const review = JSON.parse(r.stdout);
    expect(review.new).toMatchObject({ rules: 3, files: 1, errors: [] });
    expect(review.diff.added.map((x: { name: string }) => x.name)).toEqual(["hunter"]);
    expect(review.diff.changed).toEqual([]);
    expect(review.findings[0]).toMatchObject({ severity: "high", category: "document-hunting" });
  });

  it("reports a rule file YARA would refuse without failing, and names the unknown external", async () => {
    const r = await runCli(["review", "rules", join(dir, "old"), join(dir, "new"), "--json"]);
    expect(r.code).toBe(0);
    const review = JSON.parse(r.stdout);
    expect(review.new.errors).toHaveLength(1);
    expect(review.new.errors[0].message).toMatch(/^rules\.yar:\d+:\d+: .*tenant_id/);
  });

  it("writes a self-contained HTML report with every rule text escaped", async () => {
    const html = join(dir, "report.html");
    const r = await runCli([
      "review",
      "rules",
      join(dir, "old"),
      join(dir, "new"),
      "--html",
      html,
      "--externals",
      "tenant_id",
    ]);
    expect(r.code).toBe(0);
    const page = readFileSync(html, "utf8");
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).toContain("default-src 'none'");
    expect(page).not.toMatch(/<script/i);
    expect(page).not.toMatch(/\b(src|href)=/i);
    expect(page).toContain("hunter");
    expect(page).toContain("TOP SECRET");
  });

  it("fails with a sentence when a pack cannot be read", async () => {
    const r = await runCli(["review", "rules", join(dir, "old"), join(dir, "missing")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Cannot read the rule pack .*missing.*\(E_INPUT\)/);
    const evil = join(dir, "evil.tar");
    execFileSync("tar", ["-cf", evil, "-P", "-C", dir, `../${dir.split("/").pop()}/old/rules.yar`]);
    const refused = await runCli(["review", "rules", join(dir, "old"), evil]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("E_PACK_PATH");
  });
});
