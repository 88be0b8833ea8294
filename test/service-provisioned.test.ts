/**
 * `crosscheck serve` provisioned for real (Decisions 1 and 17): keys made with `keygen`, a policy
 * signed with `policy sign`, three witnesses in their own processes, API tokens per role — and no
 * vendor or reviewer key on the server. Heads come from the vendor and are logged at publication.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CLI, freePort, runCli, stop } from "./support/cli.js";
import { killAll, startWitness, writeWitnessPolicy } from "./support/witness-procs.js";

const dirs: string[] = [];
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const child of children) await stop(child);
  await killAll();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function must(args: string[]): Promise<string> {
  const result = await runCli(args);
  if (result.code !== 0) throw new Error(`crosscheck ${args.join(" ")}: ${result.stderr}`);
  return result.stdout.trim();
}

/** `crosscheck policy init`: 2 of the roots, 2 witnesses, a rules vendor, every reviewer needed. */
function initPolicy(
  out: string,
  p: {
    roots: string[];
    logKey: string;
    witnesses: { name: string; verifierKey: string }[];
    vendor: string;
    reviewers: Record<string, string>;
  },
): Promise<string> {
  const reviewers = Object.entries(p.reviewers);
  return must([
    "policy",
    "init",
    "--out",
    out,
    ...p.roots.flatMap((r) => ["--root-key", r]),
    "--root-threshold",
    "2",
    "--log-key",
    p.logKey,
    ...p.witnesses.flatMap((w) => ["--witness", `${w.name}=${w.verifierKey}`]),
    "--witness-quorum",
    "2",
    "--vendor-key",
    `rules=${p.vendor}`,
    ...reviewers.flatMap(([organization, key]) => ["--reviewer", `${organization}=${key}`]),
    "--review-threshold",
    String(reviewers.length),
  ]);
}

describe("a provisioned service", () => {
  it("publishes a release signed, headed and reviewed outside the server, and an endpoint installs it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "crosscheck-provisioned-"));
    dirs.push(dir);
    const at = (name: string) => join(dir, name);
    const keygen = (name: string, file: string, type = "ed25519") =>
      must(["keygen", "--name", name, "--out", at(file), "--type", type]);

    const logKey = await keygen("log.provisioned.example", "log.key");
    const roots = [
      await keygen("root-1.example", "root-1.key"),
      await keygen("root-2.example", "root-2.key"),
    ];
    const vendor = await keygen("vendor.provisioned.example", "vendor.key");
    const alpha = await keygen("alpha.provisioned.example", "alpha.key");
    const beta = await keygen("beta.provisioned.example", "beta.key");
    const witnesses = [];
    for (const name of ["w1", "w2", "w3"]) {
      const verifierKey = await keygen(`${name}.provisioned.example`, `${name}.key`, "witness");
      const port = await freePort();
      const process = await startWitness({
        data: at(name),
        keyFile: at(`${name}.key`),
        logVerifierKey: logKey,
        port,
      });
      witnesses.push({ name, verifierKey, url: process.url });
    }
    writeWitnessPolicy(at("witnesses.txt"), logKey, witnesses, 2);
    await initPolicy(at("policy.json"), {
      roots,
      logKey,
      witnesses,
      vendor,
      reviewers: { "Alpha Labs": alpha, "Beta Review": beta },
    });
    await must([
      "policy",
      "sign",
      at("policy.json"),
      "--key",
      at("root-1.key"),
      "--key",
      at("root-2.key"),
      "--out",
      at("policy.signed.json"),
    ]);
    for (const [name, secret] of [
      ["vendor", "v-secret-1"],
      ["alpha", "a-secret-2"],
      ["beta", "b-secret-3"],
    ]) {
      writeFileSync(at(`${name}.token`), `${secret}\n`, { mode: 0o600 });
    }

    const port = await freePort();
    const server = `http://127.0.0.1:${port}`;
    const child = spawn(
      process.execPath,
      [
        CLI,
        "serve",
        "--data",
        at("data"),
        "--port",
        String(port),
        "--log-key",
        at("log.key"),
        "--policy",
        at("policy.signed.json"),
        "--witness-policy",
        at("witnesses.txt"),
        "--token",
        `vendor:acme=${at("vendor.token")}`,
        "--token",
        `reviewer:alpha=${at("alpha.token")}`,
        "--token",
        `reviewer:beta=${at("beta.token")}`,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    children.push(child);
    let stderr = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 20_000);
      child.stderr?.on("data", (d) => {
        stderr += d;
        if (stderr.includes("Crosscheck serving at")) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once("exit", (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
    });
    expect(stderr).toContain("(production;");

    const artifact = at("rules-1.yar");
    writeFileSync(artifact, "rule provisioned { condition: false }\n");
    const submitted = await runCli([
      "release",
      "submit",
      "--server",
      server,
      "--token-file",
      at("vendor.token"),
      "--key",
      at("vendor.key"),
      "--channel",
      "rules",
      "--version",
      "1.0.0",
      "--artifact",
      artifact,
      "--json",
    ]);
    expect(submitted.code, submitted.stderr).toBe(0);
    const id = JSON.parse(submitted.stdout).release.envelopeSha256 as string;
    for (const [who, org] of [
      ["alpha", "Alpha Labs"],
      ["beta", "Beta Review"],
    ] as const) {
      const review = await runCli([
        "review",
        "approve",
        id,
        "--server",
        server,
        "--token-file",
        at(`${who}.token`),
        "--key",
        at(`${who}.key`),
        "--organization",
        org,
        "--reviewer",
        who,
      ]);
      expect(review.code, review.stderr).toBe(0);
    }

    const update = await runCli([
      "update",
      "--server",
      server,
      "--channel",
      "rules",
      "--policy",
      at("policy.signed.json"),
      "--state",
      at("endpoint"),
      "--install",
      at("installed"),
    ]);
    expect(update.code, update.stderr).toBe(0);
    expect(readFileSync(join(at("installed"), "rules-1.yar"), "utf8")).toContain("provisioned");

    const monitor = await runCli([
      "monitor",
      "--once",
      "--json",
      "--log",
      `${server}/log`,
      "--policy",
      at("policy.signed.json"),
      "--state",
      at("monitor.json"),
    ]);
    expect(monitor.code, monitor.stdout + monitor.stderr).toBe(0);
  }, 120_000);

  it("reads each --token file's first line, refuses an empty one, and revokes a token left out at restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "crosscheck-provisioned-"));
    dirs.push(dir);
    const at = (name: string) => join(dir, name);
    const keygen = (name: string, file: string, type = "ed25519") =>
      must(["keygen", "--name", name, "--out", at(file), "--type", type]);
    const logKey = await keygen("log.tokens.example", "log.key");
    const roots = [
      await keygen("root-1.example", "root-1.key"),
      await keygen("root-2.example", "root-2.key"),
    ];
    const vendor = await keygen("vendor.tokens.example", "vendor.key");
    const alpha = await keygen("alpha.tokens.example", "alpha.key");
    // Witnesses that never answer: tokens are checked without them.
    const witnesses = [];
    for (const name of ["w1", "w2"]) {
      const verifierKey = await keygen(`${name}.tokens.example`, `${name}.key`, "witness");
      witnesses.push({ name, verifierKey, url: "http://127.0.0.1:9" });
    }
    writeWitnessPolicy(at("witnesses.txt"), logKey, witnesses, 2);
    await initPolicy(at("policy.json"), {
      roots,
      logKey,
      witnesses,
      vendor,
      reviewers: { "Alpha Labs": alpha },
    });
    await must([
      "policy",
      "sign",
      at("policy.json"),
      "--key",
      at("root-1.key"),
      "--key",
      at("root-2.key"),
      "--out",
      at("policy.signed.json"),
    ]);
    // Only the first line is the token; what follows (a comment, a second secret) is not.
    writeFileSync(at("vendor.token"), "v-secret-1\nnot part of the token\n", { mode: 0o600 });
    writeFileSync(at("alpha.token"), "  a-secret-2  \n", { mode: 0o600 });
    writeFileSync(at("empty.token"), "\n", { mode: 0o600 });
    const port = await freePort();
    const base = [
      "serve",
      "--data",
      at("data"),
      "--port",
      String(port),
      "--log-key",
      at("log.key"),
      "--policy",
      at("policy.signed.json"),
      "--witness-policy",
      at("witnesses.txt"),
    ];

    const empty = await runCli([...base, "--token", `vendor:acme=${at("empty.token")}`]);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain("E_SECRET_FILE");

    // Authorised: the route answers about the body (400), not about the token (401).
    const status = async (token: string) =>
      (
        await fetch(`http://127.0.0.1:${port}/api/v1/channels/rules/head`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: "{}",
        })
      ).status;
    const start = async (tokens: string[]) => {
      const child = spawn(
        process.execPath,
        [CLI, ...base, ...tokens.flatMap((t) => ["--token", t])],
        {
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      children.push(child);
      let stderr = "";
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 20_000);
        child.stderr?.on("data", (d) => {
          stderr += d;
          if (stderr.includes("Crosscheck serving at")) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.once("exit", (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
      });
      return child;
    };

    const first = await start([
      `vendor:acme=${at("vendor.token")}`,
      `reviewer:alpha=${at("alpha.token")}`,
    ]);
    expect(await status("v-secret-1")).toBe(400);
    expect(await status("a-secret-2")).toBe(403); // a reviewer, known, but not a vendor
    await stop(first);

    // The vendor's token is taken out of the configuration: after the restart it no longer works.
    const second = await start([`reviewer:alpha=${at("alpha.token")}`]);
    expect(await status("v-secret-1")).toBe(401);
    expect(await status("a-secret-2")).toBe(403);
    await stop(second);
  }, 120_000);

  it("refuses to start with a witness policy that names another log", async () => {
    const dir = mkdtempSync(join(tmpdir(), "crosscheck-provisioned-"));
    dirs.push(dir);
    const at = (name: string) => join(dir, name);
    await must(["keygen", "--name", "log.a.example", "--out", at("log.key")]);
    const other = await must(["keygen", "--name", "log.b.example", "--out", at("other.key")]);
    writeWitnessPolicy(at("witnesses.txt"), other, [], 1);
    const result = await runCli([
      "serve",
      "--data",
      at("data"),
      "--port",
      String(await freePort()),
      "--log-key",
      at("log.key"),
      "--policy",
      at("missing.json"),
      "--witness-policy",
      at("witnesses.txt"),
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/E_[A-Z_]+/);
  });
});
