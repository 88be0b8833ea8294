/** What every lifecycle of the release pipeline works with. */
import type { EnvelopeSigner } from "../attest/index.js";
import type { TransparencyLog } from "../log/index.js";
import type { TrustedPolicy } from "../policy/index.js";
import type { ArtifactStore } from "./artifacts.js";
import type { Analyzer } from "./findings.js";
import type { ReleaseStore } from "./storage/index.js";

export interface ReleaseContext {
  store: ReleaseStore;
  log: TransparencyLog;
  policy: TrustedPolicy;
  artifacts: ArtifactStore;
  analyzers: readonly Analyzer[];
  /**
   * Demo only (Decision 17): the vendor's key, used for nothing but (re)signing channel heads.
   * Outside the demo the vendor signs heads and submits them.
   */
  headSigner?: EnvelopeSigner;
  now: () => Date;
  /** Runs `task` after every earlier task of the same `key` (one channel, one release). */
  serialize<T>(key: string, task: () => Promise<T>): Promise<T>;
  /** Wakes the analysis worker. */
  kick(): void;
  /** Reports a problem the service survives (the worker retries); the operator should see it. */
  warn(message: string): void;
}

export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, "Z");
}

/** A per-key queue of tasks in this process (the database's constraints guard across processes). */
export function keyedSerializer(): ReleaseContext["serialize"] {
  const tails = new Map<string, Promise<unknown>>();
  return <T>(key: string, task: () => Promise<T>) => {
    const previous = tails.get(key) ?? Promise.resolve();
    const run = previous.then(task, task);
    const tail = run.catch(() => {});
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return run;
  };
}
