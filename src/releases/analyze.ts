/**
 * Analysis lifecycle: claim a queued job → run its analyzer over the release's stored artifacts →
 * store the report and its digest → once every job of the release is finished, combine their
 * findings into the release's report and open it for review. Jobs are claimed atomically, so each
 * runs once, even with several replicas on one PostgreSQL (FOR UPDATE SKIP LOCKED).
 *
 * A claim is a lease (`leaseMs`), renewed every third of it while the analyzer runs: a job whose
 * lease expired has lost its worker (a killed replica) and is claimed again by whoever asks next;
 * a live worker's job never is. With replicas the worker also looks at the queue every `pollMs`,
 * since a release submitted to another replica, or a dead replica's job, wakes no one here. A job
 * abandoned `MAX_ATTEMPTS` times (it kills whatever runs it) fails instead of being tried again.
 */
import { createHash } from "node:crypto";
import { hostname } from "node:os";
import { openRelease, parseEnvelope } from "../attest/index.js";
import { type ReleaseContext, rfc3339 } from "./context.js";
import { FINDINGS_REPORT_TYPE, type Finding, type FindingsReport } from "./findings.js";
import type { JobClaim, JobRow, ReleaseRow } from "./storage/index.js";

export const sha256Hex = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

/** How long the worker waits before trying the queue again after a failure (e.g. the database). */
export const RETRY_MS = 5000;
/** A job's lease without renewal; renewed every third of it while its analyzer runs. */
export const JOB_LEASE_MS = 30_000;
export const MAX_ATTEMPTS = 5;

export interface AnalysisWorkerOptions {
  /** This worker among replicas (it names the claims); host and pid by default. */
  worker?: string;
  leaseMs?: number;
  /** Look at the queue this often even when not woken (replicas); never by default. */
  pollMs?: number;
}

export class AnalysisWorker {
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private poller: ReturnType<typeof setInterval> | undefined;
  private readonly claim: JobClaim;

  constructor(
    private readonly ctx: ReleaseContext,
    private readonly retryMs = RETRY_MS,
    private readonly options: AnalysisWorkerOptions = {},
  ) {
    this.claim = {
      worker: options.worker ?? `${hostname()}:${process.pid}`,
      leaseMs: options.leaseMs ?? JOB_LEASE_MS,
    };
  }

  /** Re-queues jobs of a dead process, then works through the queue. */
  async start(): Promise<number> {
    const requeued = await this.ctx.store.requeueRunning();
    this.kick();
    if (this.options.pollMs) {
      this.poller = setInterval(() => this.kick(), this.options.pollMs);
      this.poller.unref?.();
    }
    return requeued;
  }

  kick(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    // A failure to work the queue (the database went away) must not become an unhandled
    // rejection that kills the server: report it and try again later.
    this.running = this.drain()
      .catch((err: unknown) => {
        this.ctx.warn(
          `The analysis worker failed (${(err as Error)?.message ?? String(err)}); retrying in ${this.retryMs} ms.`,
        );
        this.scheduleRetry();
      })
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Resolves once the queue is empty (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.poller) clearInterval(this.poller);
    if (this.retry) clearTimeout(this.retry);
    this.retry = undefined;
    await this.idle();
  }

  private scheduleRetry(): void {
    if (this.closed || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.kick();
    }, this.retryMs);
    this.retry.unref?.();
  }

  private async drain(): Promise<void> {
    for (;;) {
      if (this.closed) return;
      const job = await this.ctx.store.claimJob(rfc3339(this.ctx.now()), this.claim);
      if (!job) return;
      await this.run(job);
    }
  }

  private async run(job: JobRow): Promise<void> {
    const { store } = this.ctx;
    const release = (await store.releaseById(job.releaseId)) as ReleaseRow;
    const predicate = openRelease(parseEnvelope(release.envelope), []).predicate;
    const analyzer = this.ctx.analyzers.find((a) => a.name === job.analyzer);
    const at = () => rfc3339(this.ctx.now());
    // The lease is renewed while the analyzer runs, so no other replica takes the job meanwhile.
    const heartbeat = setInterval(
      () => {
        store
          .renewJob(job.id, this.claim)
          .then((mine) => {
            // Its result will not be stored (finishJob checks the claim); the other run's stands.
            if (!mine) this.ctx.warn(`job ${job.id} was taken over by another worker`);
          })
          .catch((err: unknown) => {
            this.ctx.warn(`could not renew the lease of job ${job.id}: ${(err as Error).message}`);
          });
      },
      Math.max(10, Math.floor(this.claim.leaseMs / 3)),
    );
    heartbeat.unref?.();
    let finished: boolean;
    try {
      if (job.attempts > MAX_ATTEMPTS) {
        throw new Error(
          `the job was abandoned ${job.attempts - 1} times (its worker died each time); not tried again`,
        );
      }
      if (!analyzer) throw new Error(`no analyzer named ${job.analyzer} in this service`);
      const artifacts = predicate.artifacts.map((a) => ({
        name: a.name,
        sha256: a.sha256,
        path: this.ctx.artifacts.path(a.sha256),
      }));
      const findings = await analyzer.analyze(predicate, artifacts);
      const report = JSON.stringify(findings);
      finished = await store.finishJob(
        job.id,
        { report, reportSha256: sha256Hex(report) },
        at(),
        this.claim.worker,
      );
    } catch (err) {
      finished = await store.finishJob(
        job.id,
        { error: (err as Error).message ?? String(err) },
        at(),
        this.claim.worker,
      );
    } finally {
      clearInterval(heartbeat);
    }
    // Taken over while this worker stalled past its lease: the other worker's result stands.
    if (finished) await this.completeIfDone(release);
  }

  private async completeIfDone(release: ReleaseRow): Promise<void> {
    const jobs = await this.ctx.store.jobs(release.id);
    if (jobs.some((j) => j.status === "queued" || j.status === "running")) return;
    const findings: Finding[] = [];
    for (const job of jobs) {
      if (job.status === "done") findings.push(...(JSON.parse(job.report ?? "[]") as Finding[]));
      else {
        findings.push({
          id: `${job.analyzer}/failed`,
          severity: "high",
          analyzer: job.analyzer,
          location: { artifact: "*" },
          message: `The analyzer ${job.analyzer} failed; its findings are missing.`,
          evidence: { error: job.error },
        });
      }
    }
    const report = serializeReport(release, jobs, this.ctx, findings);
    await this.ctx.store.setReport(release.id, report, sha256Hex(report));
    await this.ctx.store.transition(release.id, "analyzing", "in-review");
  }
}

function serializeReport(
  release: ReleaseRow,
  jobs: JobRow[],
  ctx: ReleaseContext,
  findings: Finding[],
): string {
  const report: FindingsReport = {
    type: FINDINGS_REPORT_TYPE,
    release: {
      envelopeSha256: release.envelopeSha256,
      channel: release.channel,
      version: release.version,
    },
    analyzers: jobs.map((j) => ({
      name: j.analyzer,
      version: ctx.analyzers.find((a) => a.name === j.analyzer)?.version ?? "unknown",
    })),
    findings,
  };
  return JSON.stringify(report);
}
