/** The inbound stream through the command line: sign, review, log, bundle, verify, refuse. */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliRelease, cliRelease } from "./support/cli-release.js";

describe("a release made and verified with the CLI", () => {
  let c: CliRelease;
  let state: string;
  beforeAll(async () => {
    c = await cliRelease();
    state = join(c.dir, "endpoint");
  }, 120_000);
  afterAll(async () => {
    await c?.stop();
  });

  const verify = (artifact: string, bundle: string, extra: string[] = []) =>
    c.run([
      "verify",
      "--artifact",
      artifact,
      "--bundle",
      bundle,
      "--policy",
      c.policy,
      "--state",
      state,
      "--channel",
      "sigdb",
      ...extra,
    ]);

  it("accepts the first release, then the next one, and refuses going back", async () => {
    const first = await c.release("2026.11.23.1");
    const accepted = await verify(first.artifact, first.bundle);
    expect(accepted.stderr).toBe("");
    expect(accepted.code).toBe(0);
    expect(accepted.stdout).toMatch(
      /^accepted sigdb 2026\.11\.23\.1 \(main-2026\.11\.23\.1\.cvd\), approved by (Alpha Labs, Beta Review|Beta Review, Alpha Labs)/,
    );

    // Verifying the same bundle again is idempotent.
    expect((await verify(first.artifact, first.bundle)).code).toBe(0);

    const savedBefore = JSON.parse(readFileSync(join(state, "state.json"), "utf8"));
    const second = await c.release("2026.11.23.2", { previous: first.envelope });
    const consistency = await c.run([
      "log",
      "prove-consistency",
      "--old",
      String(sizeOf(savedBefore.checkpoint)),
      "--url",
      c.url,
      "--json",
    ]);
    writeFileSync(join(c.dir, "consistency.json"), consistency.stdout);
    const next = await verify(second.artifact, second.bundle, [
      "--consistency",
      join(c.dir, "consistency.json"),
      "--json",
    ]);
    expect(next.code).toBe(0);
    expect(JSON.parse(next.stdout)).toMatchObject({
      accepted: true,
      version: "2026.11.23.2",
      consistency: "proof",
    });

    // The endpoint can hand what it saw to a monitor (gossip).
    const exported = await c.run(["endpoint", "checkpoint", "--state", state]);
    expect(exported.code).toBe(0);
    expect(sizeOf(exported.stdout)).toBeGreaterThan(sizeOf(savedBefore.checkpoint));

    const back = await verify(first.artifact, first.bundle);
    expect(back.code).toBe(1);
    expect(back.stderr).toMatch(/\((E_CHECKPOINT_ROLLBACK|E_HEAD_REPLAY|E_ROLLBACK)\)\n$/);
  });

  it("refuses an artifact that is not the reviewed file", async () => {
    const r = await c.release("2026.11.23.3");
    writeFileSync(r.artifact, "tampered\n");
    const result = await verify(r.artifact, r.bundle);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("E_ARTIFACT_MISMATCH");
  });
});

function sizeOf(note: string): number {
  return Number(note.split("\n")[1]);
}
