/**
 * Makes a release the way people would, entirely through the `crosscheck` command: keys, a signed
 * trust policy, a served log, a signed release, its head, two reviews, and the bundle.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CliResult, freePort, runCli, startServe } from "./cli.js";

export interface CliRelease {
  dir: string;
  url: string;
  policy: string;
  stop(): Promise<void>;
  /** Signs, reviews and bundles `version`; returns the artifact and bundle paths. */
  release(
    version: string,
    options?: { previous?: string },
  ): Promise<{ artifact: string; bundle: string; envelope: string }>;
  run(args: string[]): Promise<CliResult>;
}

async function must(args: string[]): Promise<string> {
  const result = await runCli(args);
  if (result.code !== 0) throw new Error(`crosscheck ${args.join(" ")} failed: ${result.stderr}`);
  return result.stdout.trim();
}

export async function cliRelease(): Promise<CliRelease> {
  const dir = mkdtempSync(join(tmpdir(), "crosscheck-cli-release-"));
  const at = (name: string) => join(dir, name);
  const keygen = (name: string, file: string, type = "ed25519") =>
    must(["keygen", "--name", name, "--out", at(file), "--type", type]);

  const roots = [
    await keygen("root-1.example", "root-1.key"),
    await keygen("root-2.example", "root-2.key"),
  ];
  const logKey = await keygen("log.cli.example", "log.key");
  const witnesses = [];
  for (const i of [1, 2, 3])
    witnesses.push(await keygen(`w${i}.cli.example`, `w${i}.key`, "witness"));
  const vendor = await keygen("vendor.cli.example", "vendor.key");
  const alpha = await keygen("alpha.cli.example", "alpha.key");
  const beta = await keygen("beta.cli.example", "beta.key");

  await must([
    "policy",
    "init",
    "--out",
    at("policy.json"),
    ...roots.flatMap((r) => ["--root-key", r]),
    "--root-threshold",
    "2",
    "--log-key",
    logKey,
    ...witnesses.flatMap((w, i) => ["--witness", `w${i + 1}=${w}`]),
    "--witness-quorum",
    "2",
    "--vendor-key",
    `sigdb=${vendor}`,
    "--reviewer",
    `Alpha Labs=${alpha}`,
    "--reviewer",
    `Beta Review=${beta}`,
    "--review-threshold",
    "2",
    "--max-checkpoint-age",
    "1h",
  ]);
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

  const port = await freePort();
  const url = `http://127.0.0.1:${port}/log`;
  const server = await startServe([
    "--data",
    at("log"),
    "--port",
    String(port),
    "--log-key",
    at("log.key"),
  ]);

  return {
    dir,
    url,
    policy: at("policy.signed.json"),
    run: runCli,
    async stop() {
      const { stop } = await import("./cli.js");
      await stop(server.child);
    },
    async release(version, options = {}) {
      const artifact = at(`main-${version}.cvd`);
      writeFileSync(artifact, `signature database ${version}\n`);
      const envelope = at(`release-${version}.json`);
      await must([
        "release",
        "sign",
        "--channel",
        "sigdb",
        "--version",
        version,
        "--artifact",
        artifact,
        ...(options.previous ? ["--previous", options.previous] : []),
        "--key",
        at("vendor.key"),
        "--out",
        envelope,
      ]);
      await must([
        "release",
        "head",
        "--release",
        envelope,
        "--key",
        at("vendor.key"),
        "--expires",
        "12h",
        "--out",
        at(`head-${version}.json`),
      ]);
      for (const [who, org] of [
        ["alpha", "Alpha Labs"],
        ["beta", "Beta Review"],
      ] as const) {
        await must([
          "review",
          "sign",
          "--release",
          envelope,
          "--verdict",
          "approve",
          "--organization",
          org,
          "--reviewer",
          who,
          "--analyzer",
          "crosscheck-sigdb@0.1.0",
          "--key",
          at(`${who}.key`),
          "--out",
          at(`review-${who}-${version}.json`),
        ]);
      }
      const bundle = at(`bundle-${version}.json`);
      await must([
        "bundle",
        "create",
        "--log",
        url,
        "--release",
        envelope,
        "--head",
        at(`head-${version}.json`),
        "--review",
        at(`review-alpha-${version}.json`),
        "--review",
        at(`review-beta-${version}.json`),
        "--cosign-with",
        at("w1.key"),
        "--cosign-with",
        at("w3.key"),
        "--out",
        bundle,
      ]);
      return { artifact, bundle, envelope };
    },
  };
}
