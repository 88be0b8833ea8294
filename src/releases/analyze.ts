/**
 * Analysis lifecycle: claim a queued job → run its analyzer over the release's stored artifacts →
 * store the report and its digest → once every job of the release is finished, combine their
 * findings into the release's report and open it for review. Jobs are claimed atomically, so each
 * runs once; a job left running by a process that died is queued again when the service starts.
 */
import { createHash } from "node:crypto";
import { openRelease, parseEnvelope } from "../attest/index.js";
import { type ReleaseContext, rfc3339 } from "./context.js";
import { FINDINGS_REPORT_TYPE, type Finding, type FindingsReport } from "./findings.js";
import type { JobRow, ReleaseRow } from "./storage/index.js";

export const sha256Hex = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

/** How long the worker waits before trying the queue again after a failure (e.g. the database). */
export const RETRY_MS = 5000;

export class AnalysisWorker {
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;
  private retry: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly ctx: ReleaseContext,
    private readonly retryMs = RETRY_MS,
  ) {}

  /** Re-queues jobs of a dead process, then works through the queue. */
  async start(): Promise<number> {
    const requeued = await this.ctx.store.requeueRunning();
    this.kick();
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
      const job = await this.ctx.store.claimJob(rfc3339(this.ctx.now()));
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
    try {
      if (!analyzer) throw new Error(`no analyzer named ${job.analyzer} in this service`);
      const artifacts = predicate.artifacts.map((a) => ({
        name: a.name,
        sha256: a.sha256,
        path: this.ctx.artifacts.path(a.sha256),
      }));
      const findings = await analyzer.analyze(predicate, artifacts);
      const report = JSON.stringify(findings);
      await store.finishJob(job.id, { report, reportSha256: sha256Hex(report) }, at());
    } catch (err) {
      await store.finishJob(job.id, { error: (err as Error).message ?? String(err) }, at());
    }
    await this.completeIfDone(release);
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
