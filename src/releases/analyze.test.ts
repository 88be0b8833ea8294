import { afterEach, describe, expect, it } from "vitest";
import { AnalysisWorker } from "./analyze.js";
import type { ReleaseContext } from "./context.js";
import type { ReleaseStore } from "./storage/index.js";

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
afterEach(() => {
  process.off("unhandledRejection", onUnhandled);
});

/** A context whose store fails to claim jobs `failures` times, then finds the queue empty. */
function context(failures: number) {
  const warnings: string[] = [];
  let claims = 0;
  const store = {
    async requeueRunning() {
      return 0;
    },
    async claimJob() {
      claims++;
      if (claims <= failures) throw new Error("the database connection was lost");
      return undefined;
    },
  } as unknown as ReleaseStore;
  const ctx = {
    store,
    now: () => new Date(),
    warn: (message: string) => warnings.push(message),
  } as unknown as ReleaseContext;
  return { ctx, warnings, claims: () => claims };
}

describe("AnalysisWorker", () => {
  it("reports a failed drain instead of rejecting unhandled, and retries after a delay", async () => {
    process.on("unhandledRejection", onUnhandled);
    const { ctx, warnings, claims } = context(2);
    const worker = new AnalysisWorker(ctx, 20);
    worker.kick();
    await worker.idle();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/database connection was lost.*retrying in 20 ms/);
    expect(claims()).toBe(1);
    // The retry tries again on its own, fails once more, and then finds the queue empty.
    const deadline = Date.now() + 2000;
    while (claims() < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await worker.idle();
    expect(claims()).toBe(3);
    expect(warnings).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 50));
    expect(claims()).toBe(3); // an empty queue schedules no retry
    expect(unhandled).toEqual([]);
    await worker.close();
  });

  it("schedules no retry once closed", async () => {
    const { ctx, claims } = context(100);
    const worker = new AnalysisWorker(ctx, 20);
    worker.kick();
    await worker.close();
    await new Promise((r) => setTimeout(r, 80));
    expect(claims()).toBe(1);
  });
});
