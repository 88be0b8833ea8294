/**
 * A gateway killed mid-stream loses nothing it acknowledged: `crosscheck gateway serve` is
 * SIGKILLed while senders stream batches, restarted on the same data folder, and the vendor must
 * end up with every acknowledged record exactly once.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CLI, freePort, stop } from "./support/cli.js";
import {
  EDR_DICTIONARY,
  eventually,
  fileWrite,
  gatewayConfig,
  ndjson,
  Upstream,
} from "./support/gateway-world.js";

async function startGateway(args: string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, [CLI, "gateway", "serve", ...args], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start: ${stderr}`)), 20_000);
    child.stderr?.on("data", (d) => {
      stderr += d;
      if (stderr.includes("Crosscheck gateway")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code}: ${stderr}`));
    });
  });
  return child;
}

describe("a gateway killed mid-stream", () => {
  const dir = mkdtempSync(join(tmpdir(), "crosscheck-gateway-crash-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("delivers every acknowledged record exactly once after a restart", async () => {
    const eu = await new Upstream().start();
    const us = await new Upstream().start();
    const config = join(dir, "gateway.json");
    writeFileSync(config, JSON.stringify(gatewayConfig(eu, us)));
    const tokenFile = join(dir, "acme.token");
    writeFileSync(tokenFile, "acme-eu-token-0123456789abcdef\n", { mode: 0o600 });
    const port = await freePort();
    const args = [
      "--config",
      config,
      "--data",
      join(dir, "data"),
      "--port",
      String(port),
      "--dictionary-file",
      EDR_DICTIONARY,
      "--token",
      `tenant:acme-eu=${tokenFile}`,
    ];
    const acknowledged: string[] = [];
    const send = async () => {
      const records = Array.from({ length: 40 }, () => fileWrite());
      try {
        const response = await fetch(`http://127.0.0.1:${port}/v1/events`, {
          method: "POST",
          headers: {
            "content-type": "application/x-ndjson",
            authorization: "Bearer acme-eu-token-0123456789abcdef",
          },
          body: ndjson(records),
        });
        if (response.status === 200) acknowledged.push(...records.map((r) => r.id as string));
      } catch {
        // The connection died with the gateway: not acknowledged, so not owed.
      }
    };
    try {
      for (let round = 0; round < 3; round++) {
        // The vendor is slow to come back in the middle round, so the spool holds work at the kill.
        if (round === 1) eu.failWith = 503;
        const gateway = await startGateway(args);
        const senders = Array.from({ length: 4 }, async () => {
          for (let i = 0; i < 15; i++) await send();
        });
        await new Promise((r) => setTimeout(r, 150 + round * 100));
        gateway.kill("SIGKILL");
        await Promise.all(senders);
        await new Promise<void>((resolve) => {
          if (gateway.exitCode !== null || gateway.signalCode !== null) resolve();
          else gateway.once("exit", () => resolve());
        });
        eu.failWith = undefined;
      }
      // Some acknowledged records were still only in the spool when the last gateway died.
      const delivered = new Set(eu.records().map((x) => x.id));
      expect(acknowledged.filter((id) => !delivered.has(id)).length).toBeGreaterThan(0);
      const gateway = await startGateway(args);
      try {
        await eventually(() => {
          const got = new Set(eu.records().map((x) => x.id));
          return acknowledged.every((id) => got.has(id));
        }, 45_000);
        const ids = eu.records().map((x) => x.id as string);
        expect(new Set(ids).size).toBe(ids.length);
      } finally {
        await stop(gateway);
      }
    } finally {
      await eu.stop();
      await us.stop();
    }
  }, 120_000);
});
