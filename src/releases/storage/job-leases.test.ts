/**
 * Analysis jobs shared by several replicas on one PostgreSQL (issue 11): each job is claimed by one
 * worker; a worker that keeps renewing keeps its job, whatever the others do (a replica starting
 * re-queues nothing of it); a job whose worker stopped renewing (killed) is claimed again once its
 * lease expired, and the late worker's result is refused.
 */
import { afterEach, describe, expect, it } from "vitest";
import { freshPostgres, postgresReachable } from "../../../test/support/postgres.js";
import { migrate } from "../../store/index.js";
import { openReleaseStore, type ReleaseStore } from "./index.js";

const LEASE_MS = 400;

describe.runIf(postgresReachable)("analysis job leases across replicas (PostgreSQL)", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function queueWithJobs(count: number): Promise<ReleaseStore> {
    const db = await freshPostgres();
    cleanups.push(() => db.drop());
    await migrate(db);
    const store = openReleaseStore(db);
    await store.insertRelease(
      {
        channel: "rules",
        version: "1",
        envelopeSha256: "a".repeat(64),
        envelope: "{}",
        status: "analyzing",
        logIndex: 0,
        submittedAt: "2026-01-01T00:00:00Z",
      },
      Array.from({ length: count }, (_, i) => `analyzer-${i}`),
    );
    return store;
  }

  const at = "2026-01-01T00:00:01Z";
  const a = { worker: "replica-a", leaseMs: LEASE_MS };
  const b = { worker: "replica-b", leaseMs: LEASE_MS };

  it("never hands a live worker's job to another, and re-queues it once its worker died", async () => {
    const store = await queueWithJobs(2);
    const first = await store.claimJob(at, a);
    const second = await store.claimJob(at, b);
    expect(first?.id).toBeDefined();
    expect(second?.id).not.toBe(first?.id);
    expect(await store.claimJob(at, b)).toBeUndefined();

    // A keeps renewing for three lease times: nobody else gets its job, and a replica starting
    // (requeueRunning) leaves it alone.
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, LEASE_MS / 2));
      expect(await store.renewJob(first?.id as number, a)).toBe(true);
      expect(await store.renewJob(second?.id as number, b)).toBe(true);
      expect(await store.requeueRunning()).toBe(0);
      expect(await store.claimJob(at, { worker: "replica-c", leaseMs: LEASE_MS })).toBeUndefined();
    }

    // A dies (stops renewing): once its lease expired, B claims the job, as a second attempt.
    await new Promise((r) => setTimeout(r, LEASE_MS * 1.5));
    expect(await store.renewJob(second?.id as number, b)).toBe(true);
    const taken = await store.claimJob(at, b);
    expect(taken).toMatchObject({ id: first?.id, attempts: 2, status: "running" });
    // The late worker's result is refused; the new one's counts.
    expect(await store.finishJob(first?.id as number, { error: "late" }, at, a.worker)).toBe(false);
    expect(await store.renewJob(first?.id as number, a)).toBe(false);
    expect(
      await store.finishJob(first?.id as number, { report: "[]", reportSha256: "0" }, at, b.worker),
    ).toBe(true);
    expect(
      await store.finishJob(
        second?.id as number,
        { report: "[]", reportSha256: "0" },
        at,
        b.worker,
      ),
    ).toBe(true);
    expect(await store.jobCounts()).toEqual({ done: 2 });
  });

  it("claims each job once when many workers race for them", async () => {
    const store = await queueWithJobs(40);
    const claimed: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        for (;;) {
          const job = await store.claimJob(at, { worker: `w${w}`, leaseMs: 60_000 });
          if (!job) return;
          claimed.push(job.id);
        }
      }),
    );
    expect(claimed).toHaveLength(40);
    expect(new Set(claimed).size).toBe(40);
  });
});
