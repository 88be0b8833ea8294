/**
 * Rebuild predicates for tests: one GOOD rebuild of a product release and the build environment
 * it reports, so each test states only what it varies. goodRebuild returns a fresh copy each call,
 * so a test may change what it gets.
 */
import type { RebuildEnvironment, RebuildPredicate } from "../../src/attest/index.js";

/** The released (and, in a GOOD rebuild, rebuilt) digest of the one artifact, "agent". */
export const RELEASED_SHA256 = "a".repeat(64);

/** An isolated Linux build, as a rebuilder reports it. */
export const REBUILD_ENVIRONMENT: RebuildEnvironment = {
  platform: "linux",
  arch: "x64",
  kernel: "6.1.0",
  sourceDateEpoch: 1795427200,
  timezone: "UTC",
  locale: "C.UTF-8",
  umask: "0022",
  network: "isolated",
  processes: "pid-namespace",
  timeoutSeconds: 600,
  durationMs: 1234,
  tools: [],
};

/** A GOOD rebuild of agent 2026.11.23.1 by "Rebuild Co", with `changes` applied. */
export function goodRebuild(changes: Partial<RebuildPredicate> = {}): RebuildPredicate {
  return {
    rebuilder: { id: "Rebuild Co", builder: "rebuilder-1" },
    timeFinished: "2026-11-23T10:40:00Z",
    release: { envelopeSha256: "e".repeat(64), channel: "product", version: "2026.11.23.1" },
    source: { repository: "https://git.vendor.example/agent.git", commit: "c".repeat(40) },
    recipeSha256: "d".repeat(64),
    status: "GOOD",
    artifacts: [{ name: "agent", sha256: RELEASED_SHA256, rebuiltSha256: RELEASED_SHA256 }],
    differences: [],
    reason: "",
    environment: { ...REBUILD_ENVIRONMENT, tools: [...REBUILD_ENVIRONMENT.tools] },
    log: { sha256: "f".repeat(64), size: 2048 },
    ...changes,
  };
}
