/**
 * `crosscheck review sigdb OLD NEW`, run as a process as a reviewer would, on ClamAV's test
 * databases (read in place) and on a database written to disk: text, JSON, HTML, a cdiff as NEW,
 * a first review, and a database that cannot be read.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const TEST = fileURLToPath(
  new URL("../../shared/corpora/clamav/freshclam_testfiles/", import.meta.url),
);
const VITE_NODE = join(ROOT, "node_modules", ".bin", "vite-node");

function crosscheck(args: string[]) {
  const r = spawnSync(
    VITE_NODE,
    [join(ROOT, "test", "support", "sigdb-cli.ts"), "--", "review", "sigdb", ...args],
    {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 120_000,
    },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("crosscheck review sigdb", () => {
  let dir = "";
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "crosscheck-sigdb-cli-"));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("prints the diff and the findings, and exits 0", () => {
    const r = crosscheck([join(TEST, "test-3.cvd"), join(TEST, "test-4.cvd")]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      "signature valid (ClamAV's official CVD signing key), index DSIG valid",
    );
    expect(r.stdout).toContain("Diff: 1 added, 0 removed, 0 changed, 12 unchanged");
    expect(r.stdout).toContain("+ Win.Worm.Mydoom-9802011-0  (test.ldb:2)");
    expect(r.stdout).toContain("Findings: 0 critical, 0 high, 0 medium, 0 low, 1 info");
  });

  it("speaks JSON, writes HTML, and reviews a cdiff applied to OLD", () => {
    const html = join(dir, "review.html");
    const r = crosscheck([
      join(TEST, "test-5.cvd"),
      join(TEST, "test-6.cdiff"),
      "--json",
      "--html",
      html,
    ]);
    expect(r.code).toBe(0);
    const review = JSON.parse(r.stdout);
    expect(review.type).toBe("https://crosscheck.dev/report/sigdb-review/v1");
    expect(review.new.cdiff).toMatchObject({ version: 6, signature: "valid" });
    expect(review.new.header.version).toBe(6);
    expect(review.diff.added.map((a: { name: string }) => a.name)).toEqual(["Win.Worm.Klez-1"]);
    const page = readFileSync(html, "utf8");
    expect(page).toContain("default-src 'none'");
    expect(page).toContain("Win.Worm.Klez-1");
  });

  it("reviews a first database alone, escaping what it quotes", () => {
    const path = join(dir, "daily.ndb");
    writeFileSync(
      path,
      `Doc.<script>alert(1)</script>-1:2:*:${Buffer.from("TOP SECRET").toString("hex")}\n`,
    );
    const html = join(dir, "first.html");
    const r = crosscheck(["-", path, "--html", html]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\[high\] document-hunting {2}daily\.ndb:Doc\.<script>/);
    expect(readFileSync(html, "utf8")).not.toContain("<script>");
  });

  it("exits 1 with a sentence when a database cannot be read", () => {
    const r = crosscheck([join(dir, "missing.cvd"), join(TEST, "test-4.cvd")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^crosscheck: Cannot read the signature database .*missing\.cvd: ENOENT\. \(E_INPUT\)\n$/,
    );
    expect(r.stdout).toBe("");
  });
});
