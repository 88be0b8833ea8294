/**
 * The release pipeline end to end, with real processes: `crosscheck serve` on a fresh folder, a
 * vendor submitting, reviewers approving and rejecting, an endpoint updating — on SQLite and on
 * PostgreSQL — and bad input refused without losing or altering anything already accepted.
 */
import { type ChildProcess, spawn } from "node:child_process";
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ed25519EnvelopeSigner, signReview } from "../src/attest/index.js";
import { generateNoteKey } from "../src/crypto/index.js";
import { CLI, freePort, runCli, stop } from "./support/cli.js";
import { freshPostgres, postgresReachable, TEST_PG_URL } from "./support/postgres.js";

const MAX_ARTIFACT = 65_536;

async function startService(
  data: string,
  port: number,
  extra: string[] = [],
): Promise<{ child: ChildProcess; stdout: () => string; stderr: () => string }> {
  const child = spawn(
    process.execPath,
    [
      CLI,
      "serve",
      "--data",
      data,
      "--port",
      String(port),
      "--max-artifact-size",
      String(MAX_ARTIFACT),
      ...extra,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d) => {
    stdout += d;
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 20_000);
    child.stderr?.on("data", (d) => {
      stderr += d;
      if (stderr.includes("Crosscheck serving at")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}: ${stderr}`));
    });
  });
  return { child, stdout: () => stdout, stderr: () => stderr };
}

interface Backend {
  name: string;
  available: boolean;
  args(data: string): Promise<{ extra: string[]; dispose(): Promise<void> }>;
}

const backends: Backend[] = [
  { name: "sqlite", available: true, args: async () => ({ extra: [], dispose: async () => {} }) },
  {
    name: "postgres",
    available: postgresReachable,
    async args(data) {
      const db = await freshPostgres();
      const url = new URL(TEST_PG_URL);
      url.searchParams.set("schema", db.schema);
      // Decision 1: a shared database needs its keys given; create them in the folder first.
      const init = await runCli(["serve", "--init", "--data", data]);
      expect(init.code, init.stderr).toBe(0);
      return { extra: ["--database", url.toString()], dispose: () => db.drop() };
    },
  },
];

const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const task of cleanup.reverse()) await task().catch(() => {});
});

describe.each(backends)("the release service on $name", (backend) => {
  it.skipIf(!backend.available)(
    "takes a rules release from submission through two approvals to an installed endpoint, and refuses what it must",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "crosscheck-service-"));
      cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
      const data = join(dir, "data");
      const port = await freePort();
      const server = `http://127.0.0.1:${port}`;
      const { extra, dispose } = await backend.args(data);
      cleanup.push(dispose);
      let service = await startService(data, port, extra);
      cleanup.push(() => stop(service.child));
      if (backend.name === "sqlite") {
        expect(service.stdout()).toContain("Demo mode");
        expect(service.stdout()).toContain("release submit");
      }
      // The demo's people (issue 8): one per role, each password in a private file, and it works.
      const adminPassword = join(data, "users", "admin.password");
      expect(statSync(adminPassword).mode & 0o777).toBe(0o600);
      const signin = await fetch(`${server}/api/v1/auth/signin`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          name: "admin",
          password: readFileSync(adminPassword, "utf8").trim(),
        }),
      });
      expect(await signin.json()).toMatchObject({ name: "admin", role: "admin" });

      const keys = join(data, "keys");
      const tokens = join(data, "tokens");
      const vendor = [
        "--server",
        server,
        "--token-file",
        join(tokens, "vendor.token"),
        "--key",
        join(keys, "vendor.key"),
      ];
      const alpha = [
        "--server",
        server,
        "--token-file",
        join(tokens, "reviewer-alpha.token"),
        "--key",
        join(keys, "reviewer-alpha.key"),
        "--organization",
        "Alpha Labs",
        "--reviewer",
        "ada",
      ];
      const beta = [
        "--server",
        server,
        "--token-file",
        join(tokens, "reviewer-beta.token"),
        "--key",
        join(keys, "reviewer-beta.key"),
        "--organization",
        "Beta Review",
        "--reviewer",
        "bob",
      ];
      const endpoint = [
        "--server",
        server,
        "--channel",
        "rules",
        "--policy",
        join(data, "policy.json"),
        "--state",
        join(dir, "endpoint"),
        "--install",
        join(dir, "installed"),
      ];
      const submit = async (version: string, file: string) => {
        const result = await runCli([
          "release",
          "submit",
          ...vendor,
          "--channel",
          "rules",
          "--version",
          version,
          "--artifact",
          file,
          "--json",
        ]);
        return {
          ...result,
          id: result.code === 0 ? (JSON.parse(result.stdout).release.envelopeSha256 as string) : "",
        };
      };
      const api = (path: string, init?: RequestInit) => fetch(`${server}/api/v1${path}`, init);

      // A vendor submits a rules release; two reviewers of different organisations approve.
      const v1 = join(dir, "demo-1.yar");
      writeFileSync(v1, "rule demo_one { condition: false }\n");
      const first = await submit("2026.11.23.1", v1);
      expect(first.code, first.stderr).toBe(0);
      const a1 = await runCli(["review", "approve", first.id, ...alpha]);
      expect(a1.code, a1.stderr).toBe(0);
      const b1 = await runCli(["review", "approve", first.id, ...beta]);
      expect(b1.code, b1.stderr).toBe(0);
      expect(b1.stdout).toContain("published");

      // The rules analyzer ran on the release; its findings are what the reviewers signed.
      const shown = await runCli(["review", "show", first.id, "--server", server]);
      expect(shown.stdout).toContain('"analyzer":"yara-rules"');

      // The endpoint updates and installs it.
      const u1 = await runCli(["update", ...endpoint]);
      expect(u1.code, u1.stderr).toBe(0);
      expect(readFileSync(join(dir, "installed", "demo-1.yar"), "utf8")).toContain("demo_one");
      const oldBundle = join(dir, "bundle-1.json");
      writeFileSync(oldBundle, await (await api("/channels/rules/bundle")).text());

      // A second release, rejected by one reviewer, never reaches the endpoint.
      const v2 = join(dir, "demo-2.yar");
      writeFileSync(v2, "rule demo_two { condition: true }\n");
      const second = await submit("2026.11.23.2", v2);
      expect(second.code, second.stderr).toBe(0);
      expect((await runCli(["review", "approve", second.id, ...beta])).code).toBe(0);
      const veto = await runCli(["review", "reject", second.id, ...alpha]);
      expect(veto.stdout).toContain("rejected");
      const alphaAgain = await runCli(["review", "approve", second.id, ...alpha]);
      expect(alphaAgain.stderr).toMatch(/E_RELEASE_CLOSED|E_REVIEW_DUPLICATE/);
      const u2 = await runCli(["update", ...endpoint]);
      expect(u2.code, u2.stderr).toBe(0);
      expect(u2.stdout).toContain("up to date");
      expect(existsSync(join(dir, "installed", "demo-2.yar"))).toBe(false);

      // Bad input, each refused with a clear error, and nothing accepted lost or altered.
      const before = await (await api("/releases")).json();
      const vendorToken = readFileSync(join(tokens, "vendor.token"), "utf8").trim();
      const put = (sha: string, size: number, body: Buffer) =>
        api(`/artifacts/${sha}?size=${size}`, {
          method: "PUT",
          headers: {
            authorization: `Bearer ${vendorToken}`,
            "content-type": "application/octet-stream",
          },
          body: new Uint8Array(body) as unknown as BodyInit,
        });
      const bytes = Buffer.alloc(4096, 7);
      const sha = (await import("node:crypto")).createHash("sha256").update(bytes).digest("hex");
      //  a truncated upload: the connection ends half-way through the announced body
      await new Promise<void>((resolve) => {
        const socket = connect(port, "127.0.0.1", () => {
          socket.write(
            `PUT /api/v1/artifacts/${sha}?size=4096 HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${vendorToken}\r\ncontent-type: application/octet-stream\r\ncontent-length: 4096\r\n\r\n`,
          );
          socket.write(bytes.subarray(0, 1000));
          setTimeout(() => socket.destroy(), 200);
        });
        socket.on("close", () => resolve());
        socket.on("error", () => {});
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect((await api(`/artifacts/${sha}`)).status).toBe(404);
      expect(readdirSync(join(data, "artifacts", "tmp"))).toEqual([]);
      //  bytes that are not the announced digest
      const wrong = await put(sha, 4096, Buffer.alloc(4096, 8));
      expect(wrong.status).toBe(400);
      expect((await wrong.json()).error.code).toBe("E_ARTIFACT_DIGEST");
      //  an artifact over the limit
      const big = Buffer.alloc(MAX_ARTIFACT + 1, 1);
      const bigSha = (await import("node:crypto")).createHash("sha256").update(big).digest("hex");
      const tooBig = await put(bigSha, big.length, big);
      expect(tooBig.status).toBe(413);
      expect((await tooBig.json()).error.code).toBe("E_ARTIFACT_TOO_LARGE");
      expect((await api(`/artifacts/${bigSha}`)).status).toBe(404);
      //  a version that goes back
      const back = await submit("2026.11.22.9", v2);
      expect(back.code).toBe(1);
      expect(back.stderr).toContain("E_VERSION_NOT_NEWER");
      //  a verdict signed by a key the policy does not know
      const v3 = join(dir, "demo-3.yar");
      writeFileSync(v3, "rule demo_three { condition: false }\n");
      const third = await submit("2026.11.23.3", v3);
      expect(third.code, third.stderr).toBe(0);
      const detail = await (await api(`/releases/${third.id}`)).json();
      const stranger = generateNoteKey("stranger.example/reviewer");
      const forged = signReview(
        {
          verifier: { id: "Alpha Labs", reviewer: "mallory" },
          timeVerified: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
          release: { envelopeSha256: third.id, channel: "rules", version: "2026.11.23.3" },
          artifacts: detail.release.artifacts.map((a: { name: string; sha256: string }) => ({
            name: a.name,
            sha256: a.sha256,
          })),
          verdict: "approve",
          findings: { reportSha256: "0".repeat(64) },
          analyzers: [],
          comment: "",
        },
        ed25519EnvelopeSigner(stranger.signerKey),
      );
      const reviewerToken = readFileSync(join(tokens, "reviewer-alpha.token"), "utf8").trim();
      const unknown = await api(`/releases/${third.id}/reviews`, {
        method: "POST",
        headers: { authorization: `Bearer ${reviewerToken}`, "content-type": "application/json" },
        body: JSON.stringify({ review: forged }),
      });
      expect(unknown.status).toBe(403);
      expect((await unknown.json()).error.code).toBe("E_REVIEWER_UNKNOWN");
      //  writes without a token, and bad JSON
      expect(
        (
          await api("/releases", {
            method: "POST",
            body: "{}",
            headers: { "content-type": "application/json" },
          })
        ).status,
      ).toBe(401);
      const after = await (await api("/releases")).json();
      expect(after.releases.length).toBe(before.releases.length + 1);
      expect(after.releases.slice(1)).toEqual(before.releases);
      const latest = await (await api("/channels/rules/latest")).json();
      expect(latest.version).toBe("2026.11.23.1");

      // A restart keeps everything; the endpoint's state survives and refuses a rollback.
      await stop(service.child);
      service = await startService(data, port, extra);
      expect((await runCli(["review", "approve", third.id, ...alpha])).code).toBe(0);
      const b3 = await runCli(["review", "approve", third.id, ...beta]);
      expect(b3.stdout).toContain("published");
      const u3 = await runCli(["update", ...endpoint]);
      expect(u3.code, u3.stderr).toBe(0);
      expect(u3.stdout).toContain("2026.11.23.3");
      const stateBefore = readFileSync(join(dir, "endpoint", "state.json"), "utf8");
      const rollback = await runCli([
        "verify",
        "--artifact",
        v1,
        "--bundle",
        oldBundle,
        "--policy",
        join(data, "policy.json"),
        "--state",
        join(dir, "endpoint"),
        "--channel",
        "rules",
      ]);
      expect(rollback.code).toBe(1);
      expect(rollback.stderr).toMatch(/E_ROLLBACK|E_HEAD_REPLAY|E_CHECKPOINT_ROLLBACK/);
      expect(readFileSync(join(dir, "endpoint", "state.json"), "utf8")).toBe(stateBefore);
      expect(readFileSync(join(dir, "installed", "demo-3.yar"), "utf8")).toContain("demo_three");

      // A monitor reading the whole log finds nothing critical (no release published without its
      // reviews, no targeted audience, no rollback), and does report the rejected release.
      const monitor = await runCli([
        "monitor",
        "--once",
        "--json",
        "--log",
        `${server}/log`,
        "--policy",
        join(data, "policy.json"),
        "--state",
        join(dir, "monitor.json"),
      ]);
      expect(monitor.code, monitor.stdout + monitor.stderr).toBe(0);
      expect(monitor.stdout).toContain("M_RELEASE_REJECTED");

      // The OpenAPI document is generated from the route schemas.
      const docs = await (await fetch(`${server}/api/docs/json`)).json();
      expect(Object.keys(docs.paths)).toContain("/api/v1/releases/{sha256}/reviews");
      await stop(service.child);
    },
    180_000,
  );
});
