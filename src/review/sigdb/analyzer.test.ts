/**
 * The `sigdb` channel's pipeline analyzer on ClamAV's test databases (read in place from
 * ../shared/corpora/clamav): a first release, a release diffed against the previous published
 * one, a cdiff checked against the full database it claims to produce, and databases refused.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import type { ReleasePredicate } from "../../attest/index.js";
import { SIGDB_ANALYZER, sigdbAnalyzer } from "./analyzer.js";

const TEST = new URL("../../../../shared/corpora/clamav/freshclam_testfiles/", import.meta.url)
  .pathname;
const dir = mkdtempSync(join(tmpdir(), "crosscheck-sigdb-analyzer-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const corpus = (name: string) => ({ name, path: join(TEST, name), sha256: "0".repeat(64) });
let n = 0;
function written(name: string, bytes: Buffer | string) {
  const path = join(dir, `${++n}-${name}`);
  writeFileSync(path, bytes);
  return { name, path, sha256: "0".repeat(64) };
}

function release(version: string): ReleasePredicate {
  return {
    channel: "sigdb",
    version,
    artifacts: [],
    previous: null,
    audience: "everyone",
    published: "2026-11-23T10:00:00Z",
  } as unknown as ReleasePredicate;
}

describe("the sigdb analyzer", () => {
  it("is registered for the sigdb channel", () => {
    const a = sigdbAnalyzer();
    expect(a.name).toBe(SIGDB_ANALYZER);
    expect(a.channels).toEqual(["sigdb"]);
  });

  it("reviews a first database as all new", async () => {
    const findings = await sigdbAnalyzer().analyze(release("5"), [corpus("test-5.cvd")]);
    expect(findings[0]).toMatchObject({ severity: "info", analyzer: SIGDB_ANALYZER });
    expect(findings[0]?.message).toContain("all 14 signatures are new");
    // ClamAV's retired end-of-life notice is listed as skipped, nothing is refused or critical.
    expect(findings.filter((f) => f.severity === "low").map((f) => f.evidence.code)).toEqual([
      "E_SIGDB_NOT_LOADED",
    ]);
    expect(findings.filter((f) => f.severity === "critical" || f.severity === "high")).toEqual([]);
    expect(new Set(findings.map((f) => f.id)).size).toBe(findings.length);
  });

  it("diffs against the previous published database", async () => {
    const a = sigdbAnalyzer({ previous: async () => [corpus("test-5.cvd")] });
    const findings = await a.analyze(release("6"), [corpus("test-6.cvd")]);
    expect(findings[0]?.message).toBe(
      "Compared with the previous published database: 1 signatures added, 0 removed, 0 changed, 14 unchanged.",
    );
    const diff = findings[0]?.evidence.diff as { added: { name: string }[] };
    expect(diff.added.map((s) => s.name)).toEqual(["Win.Worm.Klez-1"]);
  });

  it("checks that a cdiff gives exactly the full database it ships with", async () => {
    const a = sigdbAnalyzer({ previous: async () => [corpus("test-5.cvd")] });
    const ok = await a.analyze(release("6"), [corpus("test-6.cvd"), corpus("test-6.cdiff")]);
    expect(ok.find((f) => f.location.artifact === "test-6.cdiff")?.message).toContain(
      "gives exactly the full database",
    );
    // The update applied to the previous database does not give the full one shipped with it.
    const wrong = await a.analyze(release("6"), [corpus("test-5.cvd"), corpus("test-6.cdiff")]);
    const mismatch = wrong.find((f) => f.location.artifact === "test-6.cdiff");
    expect(mismatch?.severity).toBe("critical");
    expect(mismatch?.message).toContain("test.ndb differs");
    // A cdiff alone is applied to the previous database and reviewed.
    const alone = await a.analyze(release("6"), [corpus("test-6.cdiff")]);
    expect(alone[0]?.message).toContain("1 signatures added");
  });

  it("returns a refused database as a critical finding, not an exception", async () => {
    const a = sigdbAnalyzer({ previous: async () => [corpus("test-4.cvd")] });
    // test-6's update does not fit test-4.
    const misfit = await a.analyze(release("6"), [corpus("test-6.cdiff")]);
    expect(misfit).toEqual([expect.objectContaining({ severity: "critical" })]);
    expect(misfit[0]?.evidence.code).toBe("E_SIGDB_CDIFF");
    // A tar member that would land outside the database folder.
    const header = Buffer.alloc(512);
    header.write("../../etc/evil.ndb", 0);
    header.write("0000644\0", 100);
    header.write(`${(16).toString(8).padStart(11, "0")}\0`, 124);
    header.write("0", 156);
    header.fill(" ", 148, 156);
    let sum = 0;
    for (const b of header) sum += b;
    header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
    const tar = Buffer.concat([
      header,
      Buffer.from("A:0:*:4d5a9000\n\n"),
      Buffer.alloc(496 + 1024),
    ]);
    const evil = await sigdbAnalyzer().analyze(release("1"), [
      written("evil.tar.gz", gzipSync(tar)),
    ]);
    expect(evil).toEqual([expect.objectContaining({ severity: "critical" })]);
    expect(evil[0]?.evidence.code).toBe("E_SIGDB_PATH");
  });

  it("reports malformed lines at medium and keeps reviewing the rest", async () => {
    const ndb = [
      `Doc.Hunt.X-1:2:*:${Buffer.from("TOP SECRET").toString("hex")}`,
      "Broken-1:0:*:4d5a9",
      `Win.Trojan.Y-1:1:*:${Buffer.from("CreateRemoteThread").toString("hex")}`,
    ].join("\n");
    const findings = await sigdbAnalyzer().analyze(release("1"), [
      written("daily.ndb", `${ndb}\n`),
      written("daily.hdb", `${readFileSync(join(TEST, "..", "clamav.hdb"), "latin1")}`),
    ]);
    expect(findings.find((f) => f.evidence.code === "E_SIGDB_HEX")).toMatchObject({
      severity: "medium",
      location: { artifact: "daily.ndb", path: "daily.ndb:2" },
    });
    expect(findings.find((f) => f.evidence.category === "document-hunting")).toMatchObject({
      severity: "high",
      location: { artifact: "daily.ndb", path: "daily.ndb:1" },
    });
  });
});
