import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compileDictionary, parseDictionary } from "../dictionary/index.js";
import type { PolicyDocument } from "./config.js";
import { type InputRecord, processBatch, type TenantRuntime } from "./pipeline.js";
import { TenantPolicy } from "./redaction-policy.js";
import { tenantKeys } from "./tenant-keys.js";

const dictionary = compileDictionary(
  parseDictionary(
    readFileSync(
      fileURLToPath(new URL("../../examples/dictionary/edr.yaml", import.meta.url)),
      "utf8",
    ),
  ),
);

const tenant = (policy: PolicyDocument): TenantRuntime => ({
  name: "acme",
  region: "eu",
  policy: new TenantPolicy(policy),
  keys: tenantKeys(new Uint8Array(32).fill(3)),
});

const common = {
  id: "0b7a6c1e-2f3d-4e5f-8a9b-0c1d2e3f4a5b",
  time: "2026-11-23T10:00:00.000Z",
  host_id: "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b",
};

const processStart = (over: Record<string, unknown> = {}) => ({
  event: "process_start",
  ...common,
  pid: 4312,
  image_path: "C:\\Windows\\System32\\cmd.exe",
  command_line: "cmd /c echo mail alice.smith@example.com",
  user: "jdoe",
  ...over,
});

const input = (value: unknown): InputRecord => ({ value, raw: JSON.stringify(value) });

/** Runs one record through the pipeline for a tenant; the forwarded record, or why not. */
function run(policy: PolicyDocument, value: unknown) {
  const outcome = processBatch([input(structuredClone(value))], tenant(policy), dictionary);
  const [decision] = outcome.decisions;
  return {
    out: outcome.lines[0] === undefined ? undefined : JSON.parse(outcome.lines[0]),
    decision,
    refused: outcome.refused[0],
  };
}

describe("the record pipeline under a tenant's policy", () => {
  it("masks an email in free text under the baseline policy", () => {
    const { out, decision } = run({}, processStart());
    expect(out.command_line).toBe("cmd /c echo mail [EMAIL]");
    expect(decision?.redactions).toEqual([
      { field: "process_start/command_line", entity: "EMAIL", action: "mask" },
      { field: "process_start/user", entity: "DOMAIN_ACCOUNT", action: "pseudonymise" },
    ]);
  });

  it("allows an entity the tenant allows, and records no redaction", () => {
    const { out, decision } = run({ entities: { EMAIL: "allow" } }, processStart());
    expect(out.command_line).toBe("cmd /c echo mail alice.smith@example.com");
    expect(decision?.redactions.filter((r) => r.entity === "EMAIL")).toEqual([]);
  });

  it("pseudonymises with a key of the tenant: stable, and not the value", () => {
    const a = run({ entities: { EMAIL: "pseudonymise" } }, processStart());
    const b = run({ entities: { EMAIL: "pseudonymise" } }, processStart());
    expect(a.out.command_line).toMatch(/^cmd \/c echo mail EMAIL_[0-9a-f]{16}$/);
    expect(a.out.command_line).toBe(b.out.command_line);
  });

  it("drops the field that holds the entity when the policy says drop", () => {
    const { out, decision } = run({ entities: { EMAIL: "drop" } }, processStart());
    expect(out).not.toHaveProperty("command_line");
    expect(out.pid).toBe(4312);
    expect(decision?.action).toBe("forward");
  });

  it("blocks the whole record when the policy blocks the entity", () => {
    const { out, decision, refused } = run({ entities: { EMAIL: "block" } }, processStart());
    expect(out).toBeUndefined();
    expect(decision?.action).toBe("block");
    expect(refused?.code).toBe("E_PII_BLOCKED");
  });

  it("applies a whole-field action before any scan", () => {
    expect(
      run({ fields: { "process_start/command_line": "drop" } }, processStart()).out,
    ).not.toHaveProperty("command_line");
    expect(
      run({ fields: { "process_start/command_line": "mask" } }, processStart()).out.command_line,
    ).toBe("[FIELD]");
    const allowed = run({ fields: { "process_start/command_line": "allow" } }, processStart());
    expect(allowed.out.command_line).toContain("alice.smith@example.com");
    expect(run({ fields: { "process_start/user": "block" } }, processStart()).refused?.code).toBe(
      "E_FIELD_BLOCKED",
    );
  });

  it("lets a field's entity rule win over the tenant-wide entity rule", () => {
    const policy: PolicyDocument = {
      entities: { EMAIL: "block" },
      fields: { "process_start/command_line": { EMAIL: "mask" } },
    };
    expect(run(policy, processStart()).out.command_line).toBe("cmd /c echo mail [EMAIL]");
  });

  it("pseudonymises a field declared as a user name as a whole", () => {
    const { out } = run({}, processStart());
    expect(out.user).toMatch(/^[A-Z_]+_[0-9a-f]{16}$/);
    expect(JSON.stringify(out)).not.toContain("jdoe");
  });

  it("blocks undeclared fields by default, and drops them when the tenant says so", () => {
    const extra = processStart({ owner_email: "bob@example.com" });
    expect(run({}, extra).refused?.code).toBe("E_FIELD_UNDECLARED");
    const dropped = run({ undeclared: "drop" }, extra);
    expect(dropped.out).not.toHaveProperty("owner_email");
    expect(dropped.decision?.redactions).toContainEqual({
      field: "owner_email",
      entity: "UNDECLARED",
      action: "drop",
    });
    // An undeclared event type is never forwarded, whatever the policy.
    expect(
      run({ undeclared: "drop" }, { ...processStart(), event: "keystrokes" }).refused?.code,
    ).toBe("E_EVENT_UNDECLARED");
  });

  it("commits to the bytes as received, whatever is forwarded", () => {
    const value = processStart();
    const raw = JSON.stringify(value);
    const keys = tenantKeys(new Uint8Array(32).fill(3));
    const outcome = processBatch([{ value, raw }], tenant({}), dictionary);
    expect(outcome.decisions[0]?.commitment).toBe(keys.commit(raw));
    expect(outcome.bytesIn).toBe(Buffer.byteLength(raw));
  });
});

describe("a tenant's sample policy", () => {
  it("quarantines documents and forwards executables unless the policy says otherwise", () => {
    const baseline = new TenantPolicy({});
    expect(baseline.sampleAction("document")).toBe("quarantine");
    expect(baseline.sampleAction("executable")).toBe("forward");
    expect(baseline.sampleAction("something-new")).toBe("quarantine");
    const open = new TenantPolicy({ samples: { document: "forward", executable: "quarantine" } });
    expect(open.sampleAction("document")).toBe("forward");
    expect(open.sampleAction("executable")).toBe("quarantine");
  });
});
