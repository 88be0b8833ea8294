/**
 * `crosscheck monitor` as a user runs it: one poll with --once (exit 0, 2 on critical alerts, 3 on
 * a split view with the evidence file written), a saved state that a second run continues from,
 * `monitor compare` and `monitor check-evidence`. Run in-process through the command itself, and
 * through the built binary when the command is registered there.
 */

import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { monitorCommand } from "../src/cli/commands/monitor.js";
import { buildProgram } from "../src/cli/program.js";
import { isCrosscheckError } from "../src/errors/index.js";
import { CLI, runCli } from "./support/cli.js";
import { type MonitorWorld, monitorWorld } from "./support/monitor-world.js";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  error?: unknown;
}

/** Runs `crosscheck monitor <args>` in-process, capturing output and the exit code. */
async function monitor(args: string[]): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  process.exitCode = 0;
  let error: unknown;
  try {
    await monitorCommand().parseAsync(args, { from: "user" });
  } catch (e) {
    error = e;
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  const code = error ? 1 : Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { code, stdout, stderr, error };
}

describe("crosscheck monitor", () => {
  let mw: MonitorWorld;
  let dir: string;
  let policyFile: string;
  let at: (name: string) => string;

  beforeEach(async () => {
    mw = await monitorWorld();
    dir = mkdtempSync(join(tmpdir(), "crosscheck-monitor-cli-"));
    at = (name) => join(dir, name);
    policyFile = at("policy.signed.json");
    writeFileSync(policyFile, JSON.stringify(mw.w.policy.envelope));
  });
  afterEach(async () => {
    await mw.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("polls once, saves its state, and continues from it", async () => {
    const { w, served } = mw;
    const parts = w.parts();
    await served.add(parts.release);
    for (const r of parts.reviews) await served.add(r);
    await served.add(parts.head);
    const base = [
      "--log",
      served.url,
      "--policy",
      policyFile,
      "--state",
      at("state.json"),
      "--once",
    ];
    const first = await monitor(base);
    expect(first).toMatchObject({ code: 0, stdout: "" });
    expect(first.stderr).toContain("checked entries up to 4");
    expect(JSON.parse(readFileSync(at("state.json"), "utf8"))).toMatchObject({ next: 4 });

    await served.add(w.release({ version: "2026.11.23.0" }));
    const second = await monitor([...base, "--json"]);
    expect(second.code).toBe(2);
    const lines = second.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toMatchObject([{ code: "M_VERSION_ROLLBACK", severity: "critical", index: 4 }]);

    await served.add(w.release({ version: "2026.11.23.2", audience: { region: "eu" } }));
    const third = await monitor(base);
    expect(third.code).toBe(0);
    expect(third.stdout).toMatch(
      /^WARNING +M_AUDIENCE_REGION #5 sha256:[0-9a-f]{12}: The release sigdb 2026\.11\.23\.2/,
    );
  });

  it("exits 3 on a split view and writes evidence that check-evidence accepts", async () => {
    const { w, served } = mw;
    const fork = await mw.fork();
    await served.add(w.release());
    await fork.add(w.release({ published: "2026-11-23T09:00:00Z" }));
    const state = at("state.json");
    expect(
      (await monitor(["--log", served.url, "--policy", policyFile, "--state", state, "--once"]))
        .code,
    ).toBe(0);
    const evidence = at("evidence.json");
    const split = await monitor([
      "--log",
      fork.url,
      "--policy",
      policyFile,
      "--state",
      state,
      "--once",
      "--evidence",
      evidence,
    ]);
    expect(split.code).toBe(3);
    expect(split.stdout).toMatch(
      /^CRITICAL M_SPLIT_VIEW: Split view: the log signed two different roots for size 1/,
    );
    expect(existsSync(evidence)).toBe(true);

    const vkey = w.keys.log.verifierKey;
    const check = await monitor(["check-evidence", evidence, "--vkey", vkey]);
    expect(check).toMatchObject({
      code: 0,
      stdout: `${w.log.origin} signed two different roots for size 1.\n`,
    });

    const parsed = JSON.parse(readFileSync(evidence, "utf8"));
    writeFileSync(at("tampered.json"), JSON.stringify({ ...parsed, second: parsed.first }));
    const bad = await monitor(["check-evidence", at("tampered.json"), "--vkey", vkey]);
    expect(bad.code).toBe(1);
    expect(isCrosscheckError(bad.error, "E_EVIDENCE_INVALID")).toBe(true);
  });

  it("compares gossiped checkpoints, both ways", async () => {
    const { w, served } = mw;
    const fork = await mw.fork();
    await served.add(w.release());
    writeFileSync(at("a.txt"), served.log.checkpoint());
    await served.add(w.release({ version: "2026.11.23.2" }));
    // An endpoint's state file carries its checkpoint too.
    writeFileSync(
      at("state-b.json"),
      JSON.stringify({ checkpoint: served.log.checkpoint(), channels: {} }),
    );
    await fork.add(w.release({ published: "2026-11-23T09:00:00Z" }));
    await fork.add(w.release({ version: "2026.11.23.2" }));
    await fork.add(w.release({ version: "2026.11.23.3" }));
    writeFileSync(at("c.txt"), fork.log.checkpoint());
    writeFileSync(at("log.vkey"), `${w.keys.log.verifierKey}\n`);

    const ok = await monitor([
      "compare",
      at("a.txt"),
      at("state-b.json"),
      "--vkey",
      at("log.vkey"),
      "--log",
      served.url,
    ]);
    expect(ok).toMatchObject({ code: 0 });
    expect(ok.stdout).toContain("extends its tree of size 1: consistent");

    for (const [x, y] of [
      [at("a.txt"), at("c.txt")],
      [at("c.txt"), at("a.txt")],
    ]) {
      const evidence = at("compare-evidence.json");
      rmSync(evidence, { force: true });
      const split = await monitor([
        "compare",
        x as string,
        y as string,
        "--vkey",
        w.keys.log.verifierKey,
        "--log",
        fork.url,
        "--evidence",
        evidence,
      ]);
      expect(split.code).toBe(3);
      expect(split.stdout).toContain("does not extend the tree of size 1");
      const check = await monitor(["check-evidence", evidence, "--vkey", w.keys.log.verifierKey]);
      expect(check.code).toBe(0);
    }

    const needsLog = await monitor([
      "compare",
      at("a.txt"),
      at("c.txt"),
      "--vkey",
      w.keys.log.verifierKey,
    ]);
    expect(isCrosscheckError(needsLog.error, "E_COMPARE_NEEDS_LOG")).toBe(true);
  });

  it.skipIf(!existsSync(CLI))(
    "keeps polling until stopped, printing alerts as they come",
    async () => {
      const { w, served } = mw;
      // The built command, run as its own process (a SIGTERM ends the loop cleanly).
      const runner = at("run-monitor.mjs");
      const built = (path: string) => pathToFileURL(join(CLI, "..", path)).href;
      writeFileSync(
        runner,
        [
          `import { installNodeCrypto } from ${JSON.stringify(built("../crypto/node.js"))};`,
          `import { monitorCommand } from ${JSON.stringify(built("commands/monitor.js"))};`,
          "installNodeCrypto();",
          "await monitorCommand().parseAsync(process.argv.slice(2), { from: 'user' });",
        ].join("\n"),
      );
      const child = spawn(process.execPath, [
        runner,
        "--log",
        served.url,
        "--policy",
        policyFile,
        "--interval",
        "1s",
        "--json",
        "--state",
        at("state.json"),
      ]);
      let stdout = "";
      child.stdout.on("data", (d) => {
        stdout += d;
      });
      const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
      const until = async (done: () => boolean) => {
        for (let i = 0; i < 100 && !done(); i++) await new Promise((r) => setTimeout(r, 100));
      };
      await until(() => existsSync(at("state.json")));
      await served.add(w.release({ audience: { region: "mars" } }));
      await until(() => stdout.includes("M_AUDIENCE_UNKNOWN_REGION"));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(JSON.parse(stdout.trim())).toMatchObject({
        code: "M_AUDIENCE_UNKNOWN_REGION",
        index: 0,
      });
      expect(JSON.parse(readFileSync(at("state.json"), "utf8"))).toMatchObject({ next: 1 });
    },
  );

  const registered = buildProgram().commands.some((c) => c.name() === "monitor") && existsSync(CLI);
  it.skipIf(!registered)("runs as `crosscheck monitor` from the built binary", async () => {
    const { w, served } = mw;
    await served.add(w.release({ audience: { region: "mars" } }));
    const result = await runCli([
      "monitor",
      "--log",
      served.url,
      "--policy",
      policyFile,
      "--once",
      "--json",
    ]);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout.trim().split("\n")[0] as string)).toMatchObject({
      code: "M_AUDIENCE_UNKNOWN_REGION",
    });
    const compare = await runCli([
      "monitor",
      "compare",
      "--vkey",
      w.keys.log.verifierKey,
      policyFile,
      policyFile,
    ]);
    expect(compare.code).toBe(1);
  });
});
