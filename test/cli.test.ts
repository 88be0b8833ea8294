/** The `crosscheck` command as a user meets it: keys, serving, adding, proving, auditing, errors. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateNoteKey, parseVerifierKey } from "../src/crypto/index.js";
import { parseTlogProof } from "../src/merkle/index.js";
import { freePort, runCli, startServe, stop } from "./support/cli.js";

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "crosscheck-cli-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("crosscheck keygen", () => {
  it("writes a private key file only its owner can read and prints the verifier key", async () => {
    const out = join(tempDir(), "vendor.key");
    const result = await runCli(["keygen", "--name", "vendor.example/releases", "--out", out]);
    expect(result.code).toBe(0);
    const vkey = parseVerifierKey(result.stdout.trim());
    expect(vkey.name).toBe("vendor.example/releases");
    expect(vkey.keyType).toBe(0x01);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(readFileSync(out, "utf8")).toMatch(/^PRIVATE\+KEY\+vendor\.example\/releases\+/);
  });

  it("makes cosignature/v1 witness keys", async () => {
    const out = join(tempDir(), "witness.key");
    const result = await runCli([
      "keygen",
      "--type",
      "witness",
      "--name",
      "witness.example",
      "--out",
      out,
    ]);
    expect(result.code).toBe(0);
    expect(parseVerifierKey(result.stdout.trim()).keyType).toBe(0x04);
  });

  it("never overwrites an existing key", async () => {
    const out = join(tempDir(), "log.key");
    expect((await runCli(["keygen", "--name", "a.example/log", "--out", out])).code).toBe(0);
    const before = readFileSync(out, "utf8");
    const again = await runCli(["keygen", "--name", "a.example/log", "--out", out]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("E_KEY_EXISTS");
    expect(readFileSync(out, "utf8")).toBe(before);
  });

  it("encrypts a key with a passphrase, and refuses it without one", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "pass"), "correct horse battery staple\n");
    const out = join(dir, "log.key");
    const made = await runCli([
      "keygen",
      "--name",
      "enc.example/log",
      "--out",
      out,
      "--passphrase-file",
      join(dir, "pass"),
    ]);
    expect(made.code).toBe(0);
    expect(readFileSync(out, "utf8")).not.toContain("PRIVATE+KEY");
    const without = await runCli(["log", "vkey", "--data", dir, "--log-key", out]);
    expect(without.code).toBe(1);
    expect(without.stderr).toContain("E_KEY_PASSPHRASE");
    const withIt = await runCli([
      "log",
      "vkey",
      "--data",
      dir,
      "--log-key",
      out,
      "--key-passphrase-file",
      join(dir, "pass"),
    ]);
    expect(withIt.stdout.trim()).toBe(made.stdout.trim());
  });
});

describe("key files that are missing, unreadable or malformed", () => {
  it("says which file is missing and how to make one", async () => {
    const dir = tempDir();
    const result = await runCli(["log", "vkey", "--data", dir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(join(dir, "log.key"));
    expect(result.stderr).toContain("crosscheck keygen");
    expect(result.stderr).toContain("E_KEY_MISSING");
  });

  it("reports an unreadable key file", async () => {
    const dir = tempDir();
    mkdirSync(join(dir, "log.key"));
    const result = await runCli(["log", "vkey", "--data", dir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("E_KEY_UNREADABLE");
  });

  it("reports a malformed key file without echoing its contents", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "log.key"), "PRIVATE+KEY+oops+deadbeef+c2VjcmV0LXNlZWQtYnl0ZXM=\n");
    const result = await runCli(["log", "vkey", "--data", dir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("E_KEY_MALFORMED");
    expect(result.stderr).not.toContain("c2VjcmV0");
  });

  it("refuses to serve from a shared PostgreSQL without an explicit key", async () => {
    const result = await runCli([
      "log",
      "serve",
      "--data",
      tempDir(),
      "--port",
      "1",
      "--database",
      "postgres://postgres@127.0.0.1:5432/test",
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("--log-key");
  });

  it("refuses to listen beyond loopback without a token", async () => {
    const result = await runCli([
      "log",
      "serve",
      "--data",
      tempDir(),
      "--port",
      String(await freePort()),
      "--host",
      "0.0.0.0",
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("E_AUTH_REQUIRED");
  });
});

describe("crosscheck log against a served log", () => {
  let url: string;
  let vkey: string;
  let server: Awaited<ReturnType<typeof startServe>>;
  let dir: string;

  beforeAll(async () => {
    dir = tempDir();
    const port = await freePort();
    url = `http://127.0.0.1:${port}/log`;
    server = await startServe([
      "--data",
      dir,
      "--port",
      String(port),
      "--origin",
      "cli.test.example/log",
    ]);
    expect(server.stderr()).toContain("Created the log key");
    vkey = (await runCli(["log", "vkey", "--data", dir])).stdout.trim();
  });
  afterAll(async () => {
    await stop(server.child);
  });

  it("adds entries from a file and from standard input, and proves them", async () => {
    const file = join(dir, "entry.txt");
    writeFileSync(file, "first entry\n");
    const first = await runCli(["log", "add", file, "--url", url]);
    expect(first).toMatchObject({ code: 0, stdout: "0\n" });
    const second = await runCli(["log", "add", "--url", url], "second entry\n");
    expect(second.stdout).toBe("1\n");
    const waited = await runCli(["log", "add", "--wait", "--url", url], "third entry\n");
    expect(parseTlogProof(waited.stdout).index).toBe(2);

    const proof = await runCli([
      "log",
      "prove-inclusion",
      "--index",
      "0",
      "--entry",
      file,
      "--url",
      url,
      "--vkey",
      vkey,
    ]);
    expect(proof.code).toBe(0);
    expect(parseTlogProof(proof.stdout).index).toBe(0);
    const wrongEntry = await runCli([
      "log",
      "prove-inclusion",
      "--index",
      "1",
      "--entry",
      file,
      "--url",
      url,
    ]);
    expect(wrongEntry.stderr).toContain("E_ENTRY_MISMATCH");
    const past = await runCli(["log", "prove-inclusion", "--index", "99", "--url", url]);
    expect(past.code).toBe(1);
    expect(past.stderr).toContain("E_PROOF_RANGE");
    const consistency = await runCli([
      "log",
      "prove-consistency",
      "--old",
      "1",
      "--url",
      url,
      "--json",
    ]);
    expect(JSON.parse(consistency.stdout).new).toBe(3);
  });

  it("refuses an entry over 65,535 bytes before sending it", async () => {
    const file = join(dir, "big.bin");
    writeFileSync(file, Buffer.alloc(65536, 7));
    const result = await runCli(["log", "add", file, "--url", url]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("E_ENTRY_TOO_LARGE");
  });

  it("checks the checkpoint's signature, and refuses another log's key", async () => {
    const ok = await runCli(["log", "checkpoint", "--url", url, "--vkey", vkey]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^cli\.test\.example\/log\n\d+\n/);
    const other = generateNoteKey("cli.test.example/log").verifierKey;
    const refused = await runCli(["log", "checkpoint", "--url", url, "--vkey", other]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/E_NOTE_(UNVERIFIED|SIGNATURE)/);
  });

  it("audits the log and proves consistency with the checkpoint it saved last time", async () => {
    const state = join(dir, "audit.checkpoint");
    const first = await runCli([
      "log",
      "verify",
      url,
      "--vkey",
      vkey,
      "--state",
      state,
      "--entries",
    ]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^ok cli\.test\.example\/log size \d+/);
    await runCli(["log", "add", "--url", url], "after the first audit\n");
    const second = await runCli(["log", "verify", url, "--vkey", vkey, "--state", state, "--json"]);
    expect(second.code).toBe(0);
    const report = JSON.parse(second.stdout);
    expect(report.consistentWith).toBeGreaterThan(0);
    expect(report.size).toBe(report.consistentWith + 1);
  });
});

describe("a log that misbehaves", () => {
  let server: Server;
  let url: string;
  let body = "";

  beforeAll(async () => {
    server = createHttpServer((req, res) => {
      if (req.url === "/log/checkpoint") res.end(body);
      else res.writeHead(404).end();
    });
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${port}/log`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it.each([
    ["garbage", "this is not a checkpoint"],
    ["no signature", "cli.test.example/log\n3\nAAAA\n"],
    ["a bad root", "cli.test.example/log\n3\nnot-base64!\n\n— cli.test.example/log AAAAAAAA\n"],
  ])("gets a clear message for a garbled checkpoint (%s)", async (_name, text) => {
    body = text;
    const vkey = generateNoteKey("cli.test.example/log").verifierKey;
    const result = await runCli(["log", "verify", url, "--vkey", vkey]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^crosscheck: .+ \(E_[A-Z_]+\)\n$/);
  });

  it("gets a clear message when nothing listens", async () => {
    const result = await runCli([
      "log",
      "checkpoint",
      "--url",
      `http://127.0.0.1:${await freePort()}/log`,
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("E_LOG_UNREACHABLE");
  });
});
