import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Envelope,
  ed25519EnvelopeSigner,
  envelopeDigest,
  openRebuild,
  publicKeyFromVerifierKey,
  signStatement,
} from "../src/attest/index.js";
import { generateNoteKey, sha256, toHex } from "../src/crypto/index.js";
import { installNodeCrypto, writeKeyFile } from "../src/crypto/node.js";
import {
  namespaceSupport,
  type RebuildResult,
  rebuildAnalyzer,
  rebuildRelease,
  rebuildResultStatement,
} from "../src/review/rebuild/index.js";
import { runCli } from "./support/cli.js";
import {
  C_SOURCES,
  commitFiles,
  crosscheckRepository,
  packName,
  processesWith,
  productRelease,
  removeScratch,
  scratch,
  vendorBuild,
} from "./support/rebuild-projects.js";

installNodeCrypto();

const vendor = generateNoteKey("vendor.example/product");
const rebuilder = generateNoteKey("rebuild.example/rebuilder");
let dir: string;
const figures: Record<string, unknown> = {};

beforeAll(() => {
  dir = scratch("rebuild-test");
});
afterAll(() => {
  removeScratch();
  // The figures the issue asks for, for whoever reads the test output.
  process.stdout.write(`rebuild figures: ${JSON.stringify(figures)}\n`);
});

const C_RECIPE = `format: crosscheck/rebuild/v1
command: [make, hello]
network: false
timeout: 120
tools: [gcc, make]
artifacts:
  - name: hello
    path: hello
`;

function expectClean(result: RebuildResult) {
  expect(result.cleaned).toBe(true);
  expect(existsSync(result.workFolder)).toBe(false);
  expect(existsSync(result.log.path)).toBe(true);
  const log = readFileSync(result.log.path);
  expect(toHex(sha256(log))).toBe(result.log.sha256);
  expect(log.length).toBe(result.log.size);
}

describe("rebuilding real projects", () => {
  it("runs builds in their own PID and network namespaces here (we are root)", () => {
    expect(namespaceSupport()).toEqual({ pid: true, net: true });
  });

  it("rebuilds Crosscheck's own npm package bit for bit from a git checkout (npm pack, via the CLI)", async () => {
    const repo = join(dir, "crosscheck.git");
    const { commit, files } = crosscheckRepository(repo);
    expect(files).toBeGreaterThan(100);
    const name = packName();
    const started = Date.now();
    const vendorTree = vendorBuild(repo, commit, ["npm", "pack", "--ignore-scripts", "--silent"]);
    figures.npmVendorBuildMs = Date.now() - started;
    const recipe = `format: crosscheck/rebuild/v1
command: [npm, pack, --ignore-scripts]
environment:
  npm_config_update_notifier: "false"
  npm_config_fund: "false"
network: false
timeout: 300
tools: [node, npm, git]
artifacts:
  - name: ${name}
    path: ${name}
`;
    const release = productRelease(vendor.signerKey, {
      repository: repo,
      commit,
      recipe,
      files: { [name]: join(vendorTree, name) },
    });
    const releaseFile = join(dir, "npm-release.json");
    writeFileSync(releaseFile, JSON.stringify(release.envelope));
    writeKeyFile(join(dir, "rebuilder.key"), rebuilder.signerKey);
    const out = join(dir, "npm-rebuild.json");
    const log = join(dir, "npm-rebuild.log");
    const t0 = Date.now();
    const run = await runCli([
      "rebuild",
      "--release",
      releaseFile,
      "--artifact",
      join(vendorTree, name),
      "--key",
      join(dir, "rebuilder.key"),
      "--organization",
      "Rebuild Co",
      "--builder",
      "ci.rebuild.example",
      "--out",
      out,
      "--log",
      log,
      "--json",
    ]);
    figures.npmRebuildMs = Date.now() - t0;
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as { status: string; cleaned: boolean };
    expect(summary).toMatchObject({ status: "GOOD", cleaned: true });
    expect(run.stderr).toMatch(/rebuild \[build \d+ s\] building: npm pack --ignore-scripts/);

    const envelope = JSON.parse(readFileSync(out, "utf8")) as Envelope;
    const opened = openRebuild(envelope, [publicKeyFromVerifierKey(rebuilder.verifierKey)]);
    expect(opened.verifiedKeyids).toHaveLength(1);
    const p = opened.predicate;
    expect(p.status).toBe("GOOD");
    expect(p.rebuilder).toEqual({ id: "Rebuild Co", builder: "ci.rebuild.example" });
    expect(p.release).toEqual({
      envelopeSha256: envelopeDigest(release.envelope),
      channel: "product",
      version: "2026.11.23.1",
    });
    expect(p.artifacts).toEqual([
      {
        name,
        sha256: release.predicate.artifacts[0]?.sha256,
        rebuiltSha256: release.predicate.artifacts[0]?.sha256,
      },
    ]);
    expect(p.source).toEqual({ repository: repo, commit });
    expect(p.environment).toMatchObject({
      sourceDateEpoch: Date.parse("2026-11-21T10:00:00Z") / 1000,
      timezone: "UTC",
      locale: "C.UTF-8",
      umask: "0022",
      network: "isolated",
      processes: "pid-namespace",
      timeoutSeconds: 300,
    });
    expect(p.environment.tools.map((t) => t.name)).toEqual(["node", "npm", "git"]);
    expect(p.environment.tools[0]?.version).toBe(process.version);
    const kept = readFileSync(log);
    expect(toHex(sha256(kept))).toBe(p.log.sha256);
    expect(kept.toString()).toContain("SOURCE_DATE_EPOCH=");
    // npm really packed (its own report of the files it put in) in the rebuilder's checkout.
    expect(kept.toString()).toMatch(/npm notice total files: +\d+/);
    figures.npmTarballBytes = release.predicate.artifacts[0]?.size;
  }, 300_000);

  it("rebuilds a C program built with make and gcc in another folder and environment", async () => {
    const repo = join(dir, "agent.git");
    const commit = commitFiles(repo, C_SOURCES);
    const vendorTree = vendorBuild(repo, commit, ["make", "hello"], { CFLAGS: "-O2 -g" });
    // The vendor's binary runs, and names its source relative to the checkout.
    const { execFileSync } = await import("node:child_process");
    expect(execFileSync(join(vendorTree, "hello"), { encoding: "utf8" })).toMatch(
      /^Hello from the agent \(compiled Nov 20 2026 09:00:00, hello\.c\)/,
    );
    const release = productRelease(vendor.signerKey, {
      repository: repo,
      commit,
      recipe: C_RECIPE,
      files: { hello: join(vendorTree, "hello") },
    });
    const started = Date.now();
    const result = await rebuildRelease({
      release: release.predicate,
      releaseSha256: "e".repeat(64),
      releasedFiles: { hello: join(vendorTree, "hello") },
      logPath: join(dir, "c-good.log"),
    });
    figures.cRebuildMs = Date.now() - started;
    expect(result.reason).toBe("");
    expect(result.status).toBe("GOOD");
    expect(result.artifacts[0]?.rebuiltSha256).toBe(release.predicate.artifacts[0]?.sha256);
    expect(result.environment.tools.find((t) => t.name === "gcc")?.version).toMatch(/gcc/);
    expectClean(result);
    // The same result, signed, is a valid GOOD attestation.
    const statement = rebuildResultStatement(result, {
      organization: "Rebuild Co",
      builder: "test",
    });
    const envelope = signStatement(statement, ed25519EnvelopeSigner(rebuilder.signerKey));
    expect(openRebuild(envelope, []).predicate.status).toBe("GOOD");
  }, 120_000);

  it("finds a build that embeds its build time BAD, and names the differing member", async () => {
    const repo = join(dir, "stamped.git");
    const commit = commitFiles(repo, C_SOURCES);
    const vendorTree = vendorBuild(repo, commit, ["make", "dist.tar.gz"]);
    const recipe = `format: crosscheck/rebuild/v1
command: [make, dist.tar.gz]
artifacts:
  - name: agent.tar.gz
    path: dist.tar.gz
`;
    const released = join(vendorTree, "dist.tar.gz");
    const release = productRelease(vendor.signerKey, {
      repository: repo,
      commit,
      recipe,
      files: { "agent.tar.gz": released },
    });
    const result = await rebuildRelease({
      release: release.predicate,
      releaseSha256: "e".repeat(64),
      releasedFiles: { "agent.tar.gz": released },
      logPath: join(dir, "stamped.log"),
    });
    expect(result.status).toBe("BAD");
    expect(result.reason).toContain("build-info.txt");
    // Exactly one member differs, in content: the time stamp. The program inside is the same.
    expect(result.differences.map((d) => [d.kind, d.member])).toEqual([
      ["content", "build-info.txt"],
    ]);
    expect(result.differences[0]?.detail).toMatch(
      /first differing line 1: "built at 2\d{3}-.*Z" → "built at 2\d{3}-.*Z"/,
    );
    // diffoscope, installed here, says the same in its own words.
    expect(result.diffoscope).toHaveLength(1);
    const report = result.diffoscope[0];
    expect(report?.report.exitCode).toBe(1);
    expect(report?.report.text).toContain("build-info.txt");
    expect(readFileSync(report?.path as string, "utf8")).toBe(report?.report.text);
    expectClean(result);
    const statement = rebuildResultStatement(result, { organization: "Rebuild Co", builder: "t" });
    expect(statement.predicate.status).toBe("BAD");
    expect(statement.predicate.differences[0]?.member).toBe("build-info.txt");
    figures.stamped = { status: result.status, differences: result.differences.length };
  }, 120_000);

  it("reports a failing build FAIL with its log kept and nothing left behind", async () => {
    const repo = join(dir, "broken.git");
    const commit = commitFiles(repo, {
      ...C_SOURCES,
      "greeting.c":
        '#include "greeting.h"\n\nconst char *greeting(void) { return "unterminated; }\n',
    });
    const marker = `CROSSCHECK_TEST_MARKER=${toHex(sha256(new TextEncoder().encode(`${Math.random()}`)))}`;
    const [key, value] = marker.split("=") as [string, string];
    const release = productRelease(vendor.signerKey, {
      repository: repo,
      commit,
      recipe: C_RECIPE.replace(
        "network: false",
        `network: false\nenvironment: {${key}: "${value}"}`,
      ),
      files: { hello: join(repo, "Makefile") }, // what the vendor claims does not matter: it fails
    });
    const result = await rebuildRelease({
      release: release.predicate,
      releaseSha256: "e".repeat(64),
      logPath: join(dir, "broken.log"),
    });
    expect(result.status).toBe("FAIL");
    expect(result.reason).toMatch(/make ended with exit status 2/);
    expect(result.artifacts[0]?.rebuiltSha256).toBeNull();
    expect(readFileSync(result.log.path, "utf8")).toMatch(
      /greeting\.c:3:\d+: (warning|error): missing terminating/,
    );
    expectClean(result);
    expect(processesWith(marker)).toEqual([]);
    figures.failing = { status: result.status, ms: result.environment.durationMs };
  }, 120_000);

  it("stops a hanging build at its time limit (daemons included): FAIL, log kept, machine clean", async () => {
    const repo = join(dir, "hang.git");
    const commit = commitFiles(repo, C_SOURCES);
    const marker = `CROSSCHECK_HANG_MARKER=${toHex(sha256(new TextEncoder().encode(`${Math.random()}`)))}`;
    const [key, value] = marker.split("=") as [string, string];
    // A build that starts background work, a daemon in its own session that ignores SIGTERM, and
    // then waits forever.
    const recipe = `format: crosscheck/rebuild/v1
command: "echo starting; sleep 600 & setsid sh -c 'trap \\"\\" TERM HUP; sleep 601' & echo waiting; exec sleep 602"
environment:
  ${key}: "${value}"
timeout: 3
artifacts:
  - name: hello
    path: hello
`;
    const release = productRelease(vendor.signerKey, {
      repository: repo,
      commit,
      recipe,
      files: { hello: join(repo, "Makefile") },
    });
    const started = Date.now();
    const probe = setInterval(() => {
      // While it hangs, its processes are there (the marker check below is not vacuous).
      if (processesWith(marker).length >= 3) seen = true;
    }, 250);
    let seen = false;
    const result = await rebuildRelease({
      release: release.predicate,
      releaseSha256: "e".repeat(64),
      logPath: join(dir, "hang.log"),
    }).finally(() => clearInterval(probe));
    const elapsed = Date.now() - started;
    expect(seen).toBe(true);
    expect(result.status).toBe("FAIL");
    expect(result.reason).toMatch(/did not finish within its time limit of 3 s/);
    expect(elapsed).toBeLessThan(3000 + 10_000);
    const log = readFileSync(result.log.path, "utf8");
    expect(log).toContain("starting");
    expect(log).toContain("waiting");
    expect(log).toContain("time limit reached, killed");
    expectClean(result);
    expect(processesWith(marker)).toEqual([]);
    figures.hanging = { status: result.status, ms: elapsed, limitSeconds: 3 };
  }, 60_000);

  it("runs the build as another user when asked, so the recipe cannot read the rebuilder's secrets", async () => {
    const secret = join(dir, "service.key");
    writeFileSync(secret, "PRIVATE KEY MATERIAL\n", { mode: 0o600 });
    const repo = join(dir, "nosy.git");
    const commit = commitFiles(repo, C_SOURCES);
    const recipe = `format: crosscheck/rebuild/v1
command: [sh, -c, "id -u; cat ${secret} > hello"]
artifacts:
  - name: hello
    path: hello
`;
    const release = productRelease(vendor.signerKey, {
      repository: repo,
      commit,
      recipe,
      files: { hello: secret },
    });
    const result = await rebuildRelease({
      release: release.predicate,
      releaseSha256: "e".repeat(64),
      logPath: join(dir, "nosy.log"),
      buildUser: { uid: 65534, gid: 65534 },
    });
    expect(result.status).toBe("FAIL");
    const log = readFileSync(result.log.path, "utf8");
    expect(log).toMatch(/^65534$/m);
    expect(log).toMatch(/Permission denied/);
    expect(log).not.toContain("PRIVATE KEY MATERIAL");
    expectClean(result);
  });

  it("lets the service's analyzer fetch only https:// or git:// repositories by default", async () => {
    const release = productRelease(vendor.signerKey, {
      repository: join(dir, "agent.git"),
      commit: "a".repeat(40),
      recipe: C_RECIPE,
      files: { hello: join(dir, "c-good.log") },
    });
    const findings = await rebuildAnalyzer({ logDir: join(dir, "service-logs") }).analyze(
      release.predicate,
      [],
    );
    expect(findings).toMatchObject([
      { severity: "high", analyzer: "rebuild", evidence: { status: "UNKNOWN" } },
    ]);
    expect(findings[0]?.message).toMatch(
      /is not an https:\/\/ or git:\/\/ URL this service fetches/,
    );
    expect(existsSync(join(dir, "service-logs"))).toBe(false);
  });

  it("reports a recipe it cannot use UNKNOWN without building anything", async () => {
    const release = productRelease(vendor.signerKey, {
      repository: join(dir, "agent.git"),
      commit: "a".repeat(40),
      recipe: "format: crosscheck/rebuild/v2\ncommand: make\n",
      files: { hello: join(dir, "c-good.log") },
    });
    const result = await rebuildRelease({
      release: release.predicate,
      releaseSha256: "e".repeat(64),
      logPath: join(dir, "unknown.log"),
    });
    expect(result.status).toBe("UNKNOWN");
    expect(result.reason).toMatch(
      /crosscheck\/rebuild\/v2.*this rebuilder reads crosscheck\/rebuild\/v1/,
    );
    expectClean(result);
  });
});
