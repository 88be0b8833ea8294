/**
 * A real `crosscheck serve` on a fresh demo folder, driven the way its users drive it: the vendor
 * submits with the CLI, both demo reviewer organisations approve with the CLI, tenants send
 * telemetry over HTTP. Tests of the whole service (gateway, portal) stand on it.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, runCli, startCli, stop } from "./cli.js";

export interface DemoService {
  /** The test's folder; the service's data folder is `data/` in it. */
  dir: string;
  data: string;
  origin: string;
  child: ChildProcess;
  stderr(): string;
  /** Runs `crosscheck …`, throwing with its stderr when it fails; resolves to stdout. */
  must(args: string[]): Promise<string>;
  token(name: string): string;
  /** The vendor submits `artifact` on `channel`; resolves to the release id and its log index. */
  submit(
    channel: string,
    version: string,
    artifact: string,
  ): Promise<{ id: string; logIndex: number }>;
  /** Both demo organisations approve the release. */
  approve(id: string, comment?: string): Promise<void>;
  /** Submit, then both approvals: a published release. */
  publish(
    channel: string,
    version: string,
    artifact: string,
  ): Promise<{ id: string; logIndex: number }>;
  close(): Promise<void>;
}

export const DEMO_REVIEWERS = [
  { token: "reviewer-alpha", organization: "Alpha Labs", reviewer: "ada" },
  { token: "reviewer-beta", organization: "Beta Review", reviewer: "bob" },
] as const;

export async function startDemoService(extraArgs: string[] = []): Promise<DemoService> {
  const dir = mkdtempSync(join(tmpdir(), "crosscheck-demo-"));
  const data = join(dir, "data");
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const { child, stderr } = await startCli(
    ["serve", "--data", data, "--port", String(port), ...extraArgs],
    "Crosscheck serving at",
    30_000,
  );

  const keys = join(data, "keys");
  const tokens = join(data, "tokens");
  const must = async (args: string[]) => {
    const result = await runCli(args);
    if (result.code !== 0) throw new Error(`crosscheck ${args.join(" ")} failed: ${result.stderr}`);
    return result.stdout;
  };
  const service: DemoService = {
    dir,
    data,
    origin,
    child,
    stderr,
    must,
    token: (name) => readFileSync(join(tokens, `${name}.token`), "utf8").trim(),
    async submit(channel, version, artifact) {
      const submitted = JSON.parse(
        await must([
          "release",
          "submit",
          "--server",
          origin,
          "--token-file",
          join(tokens, "vendor.token"),
          "--key",
          join(keys, "vendor.key"),
          "--channel",
          channel,
          "--version",
          version,
          "--artifact",
          artifact,
          "--json",
        ]),
      );
      return { id: submitted.release.envelopeSha256, logIndex: submitted.release.logIndex };
    },
    async approve(id, comment) {
      for (const r of DEMO_REVIEWERS) {
        await must([
          "review",
          "approve",
          id,
          "--server",
          origin,
          "--token-file",
          join(tokens, `${r.token}.token`),
          "--key",
          join(keys, `${r.token}.key`),
          "--organization",
          r.organization,
          "--reviewer",
          r.reviewer,
          ...(comment ? ["--comment", comment] : []),
        ]);
      }
    },
    async publish(channel, version, artifact) {
      const release = await service.submit(channel, version, artifact);
      await service.approve(release.id);
      return release;
    },
    async close() {
      await stop(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return service;
}
