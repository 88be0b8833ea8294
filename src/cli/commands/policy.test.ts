/** `crosscheck policy …` in-process: init, sign to threshold, show with verdicts, rotate. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { generateNoteKey, NOTE_KEY_TYPE_COSIGNATURE_V1 } from "../../crypto/index.js";
import { writeKeyFile } from "../../crypto/node.js";
import { isCrosscheckError } from "../../errors/index.js";
import { type PolicyDocument, parsePolicyDocument } from "../../policy/index.js";
import { policyCommand } from "./policy.js";

const dir = mkdtempSync(join(tmpdir(), "crosscheck-policy-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const path = (name: string) => join(dir, name);

function key(name: string, type?: number) {
  const pair = generateNoteKey(name, type);
  const file = path(`${name.replace(/\W/g, "_")}.key`);
  writeKeyFile(file, pair.signerKey);
  return { ...pair, file };
}

const roots = [1, 2, 3].map((i) => key(`root-${i}`));
const newRoots = [1, 2].map((i) => key(`new-root-${i}`));
const log = key("example.com/log");
const witnesses = [1, 2, 3].map((i) => key(`w${i}.example`, NOTE_KEY_TYPE_COSIGNATURE_V1));
const vendor = key("vendor.example");
const reviewers = [key("alpha.example"), key("beta.example")];

async function run(
  ...args: string[]
): Promise<{ stdout: string; error?: Error & { code?: string } }> {
  let stdout = "";
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  try {
    await policyCommand().exitOverride().parseAsync(args, { from: "user" });
    return { stdout };
  } catch (error) {
    return { stdout, error: error as Error & { code?: string } };
  } finally {
    spy.mockRestore();
  }
}

const initArgs = (out: string, ...extra: string[]) => [
  "init",
  "--out",
  out,
  ...roots.flatMap((r) => ["--root-key", r.verifierKey]),
  "--root-threshold",
  "2",
  "--log-key",
  log.verifierKey,
  ...witnesses.flatMap((w, i) => ["--witness", `W${i + 1}=${w.verifierKey}`]),
  "--witness-quorum",
  "2",
  "--vendor-key",
  `sigdb=${vendor.verifierKey}`,
  "--reviewer",
  `Alpha Labs=${reviewers[0]?.verifierKey}`,
  "--reviewer",
  `Beta Review=${reviewers[1]?.verifierKey}`,
  "--review-threshold",
  "2",
  "--region",
  "eu",
  ...extra,
];

describe("crosscheck policy", () => {
  const v1 = path("policy.json");

  it("init writes a valid unsigned document", async () => {
    const { stdout, error } = await run(...initArgs(v1));
    expect(error).toBeUndefined();
    expect(stdout).toMatch(/Sign it with 2 root key\(s\)/);
    const { document, parsedLog } = parsePolicyDocument(readFileSync(v1, "utf8"));
    expect(document.version).toBe(1);
    expect(document.channels.sigdb).toEqual({
      vendorKeys: [vendor.verifierKey],
      reviewThreshold: 2,
      headExpiry: 86400,
    });
    expect(document.channels.product).toBeUndefined();
    expect(parsedLog.groups).toEqual([
      { name: "witnesses", threshold: 2, members: ["W1", "W2", "W3"] },
    ]);
    expect(Date.parse(document.expires) - Date.now()).toBeGreaterThan(364 * 86400 * 1000);
  });

  it("init refuses to overwrite a file", async () => {
    const before = readFileSync(v1, "utf8");
    const { error } = await run(...initArgs(v1));
    expect(error?.code).toBe("E_POLICY_EXISTS");
    expect(readFileSync(v1, "utf8")).toBe(before);
  });

  it("init refuses thresholds the keys cannot meet, saying which", async () => {
    const { error } = await run(...initArgs(path("bad.json"), "--review-threshold", "3"));
    expect(error?.code).toBe("E_POLICY_MALFORMED");
    expect(error?.message).toMatch(/channels\.sigdb\.reviewThreshold is 3, but only 2 distinct/);
  });

  it("init refuses a policy without witnesses", async () => {
    const { error } = await run(
      "init",
      "--out",
      path("nowitness.json"),
      "--root-key",
      roots[0]?.verifierKey ?? "",
      "--root-threshold",
      "1",
      "--log-key",
      log.verifierKey,
    );
    expect(error?.code).toBe("E_USAGE");
    expect(error?.message).toMatch(/at least one --witness/);
  });

  it("show refuses an unsigned document, saying how many signatures it needs", async () => {
    const { stdout, error } = await run("show", v1);
    expect(stdout).toMatch(/Trust policy version 1, expires .* \(unsigned document\)/);
    expect(stdout).toMatch(/sigdb: vendor vendor\.example\+[0-9a-f]{8}; 2 reviewer organisation/);
    expect(stdout).toMatch(/product: not trusted/);
    expect(error?.code).toBe("E_POLICY_UNSIGNED");
    expect(error?.message).toMatch(/0 signatures present, 2 root signature\(s\) required/);
  });

  it("sign makes an envelope; show counts it below the threshold", async () => {
    const signed = await run("sign", v1, "--key", roots[0]?.file ?? "");
    expect(signed.error).toBeUndefined();
    expect(signed.stdout).toMatch(/Signed by root-1\+[0-9a-f]{8}, a root key of version 1/);
    expect(signed.stdout).toMatch(/1 of the 2 root signature\(s\) required/);
    expect(JSON.parse(readFileSync(v1, "utf8")).payloadType).toBe(
      "application/vnd.crosscheck.policy+json",
    );
    const { error } = await run("show", v1);
    expect(error?.code).toBe("E_POLICY_UNSIGNED");
    expect(error?.message).toMatch(
      /carries 1 valid signature\(s\) by its root keys; 2 are required/,
    );
  });

  it("sign adds a signature; the policy is then trusted", async () => {
    expect((await run("sign", v1, "--key", roots[1]?.file ?? "")).error).toBeUndefined();
    const { stdout, error } = await run("show", v1);
    expect(error).toBeUndefined();
    expect(stdout).toMatch(/Signatures: 2 valid root signature\(s\) of 2 required/);
    expect(stdout).toMatch(/Verdict: trusted/);
    const json = await run("show", v1, "--json");
    const report = JSON.parse(json.stdout);
    expect(report.verdict).toEqual({ ok: true });
    expect(report.digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it("sign refuses a second signature by the same key and leaves the file alone", async () => {
    const before = readFileSync(v1, "utf8");
    const { error } = await run("sign", v1, "--key", roots[1]?.file ?? "");
    expect(error?.code).toBe("E_POLICY_DUPLICATE_SIGNATURE");
    expect(readFileSync(v1, "utf8")).toBe(before);
  });

  it("show refuses an expired policy", async () => {
    const { error } = await run("show", v1, "--at", "2199-01-01T00:00:00Z");
    expect(error?.code).toBe("E_POLICY_EXPIRED");
  });

  it("show refuses a malformed file, saying where", async () => {
    const broken = path("broken.json");
    await run(...initArgs(path("template.json")));
    const document = JSON.parse(readFileSync(path("template.json"), "utf8"));
    writeFileSync(broken, JSON.stringify({ ...document, version: 0 }));
    const { error } = await run("show", broken);
    expect(error?.code).toBe("E_POLICY_MALFORMED");
    expect(error?.message).toMatch(/broken\.json: .*malformed at \/version: Expected integer/);
    writeFileSync(broken, '{"type": "https://crosscheck.dev/policy/v1", "version": 1}');
    expect((await run("show", broken)).error?.message).toMatch(
      /at \/expires: this field is missing/,
    );
  });

  it("rotate writes the next version; new keys alone cannot sign it, old and new can", async () => {
    const v2 = path("policy-2.json");
    const rotated = await run("rotate", "--from", v1, "--out", v2);
    expect(rotated.error).toBeUndefined();
    const next = JSON.parse(readFileSync(v2, "utf8")) as PolicyDocument;
    expect(next.version).toBe(2);
    next.root.keys = newRoots.map((r) => r.verifierKey);
    writeFileSync(v2, JSON.stringify(next));

    const byNew = path("policy-2-new-only.json");
    const newArgs = newRoots.flatMap((r) => ["--key", r.file]);
    expect((await run("sign", v2, ...newArgs, "--out", byNew)).error).toBeUndefined();
    const refused = await run("show", byNew, "--trusted", v1);
    expect(refused.error?.code).toBe("E_POLICY_ROTATION");
    expect(refused.stdout).toMatch(/by the trusted version 1's root: 0 of 2 required/);

    const signed = await run(
      "sign",
      byNew,
      "--key",
      roots[0]?.file ?? "",
      "--key",
      roots[2]?.file ?? "",
    );
    expect(signed.stdout).toMatch(/not a root key of version 2: it counts only towards a rotation/);
    const accepted = await run("show", byNew, "--trusted", v1);
    expect(accepted.error).toBeUndefined();
    expect(accepted.stdout).toMatch(/Verdict: trusted/);

    const rollback = await run("show", v1, "--trusted", byNew);
    expect(rollback.error?.code).toBe("E_POLICY_ROLLBACK");
    expect(isCrosscheckError(rollback.error)).toBe(true);
  });
});

describe("crosscheck policy, as the built command", () => {
  // dist/ is built by `tsc` before the tests (npm test); main.ts prints the error and its code.
  const main = new URL("../../../dist/src/cli/main.js", import.meta.url).pathname;

  it("prints an expired policy's sentence and code and exits 1", async () => {
    const file = path("spawned.json");
    expect((await run(...initArgs(file))).error).toBeUndefined();
    expect(
      (await run("sign", file, "--key", roots[0]?.file ?? "", "--key", roots[1]?.file ?? "")).error,
    ).toBeUndefined();
    const ok = spawnSync(process.execPath, [main, "policy", "show", file], { encoding: "utf8" });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/Verdict: trusted/);
    const expired = spawnSync(
      process.execPath,
      [main, "policy", "show", file, "--at", "2199-01-01T00:00:00Z"],
      { encoding: "utf8" },
    );
    expect(expired.status).toBe(1);
    expect(expired.stderr).toMatch(
      /^crosscheck: The trust policy version 1 expired at .* \(E_POLICY_EXPIRED\)\n$/,
    );
  });
});
