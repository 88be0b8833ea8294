/**
 * `GET /metrics` in the Prometheus text format (prom-client): what an operator of several replicas
 * watches. Each replica answers for itself; gauges read from the database (queue depths) are the
 * same on every replica, by design.
 *
 * - requests: `crosscheck_http_requests_total` and `crosscheck_http_request_duration_seconds`
 *   (by method, route pattern — never the raw URL, so tile paths do not explode the series — and
 *   status);
 * - the log: size, cosigned size, whether this replica sequences it, and the sequencing lag (adds
 *   accepted and not yet integrated, and the age of the oldest queued one);
 * - witnesses: the age of each cosignature on the checkpoint served (Decision 5's freshness);
 * - analysis jobs by status, and the gateway's spool (batches and bytes waiting for the vendor);
 * - the database settings in force (pool size and timeouts, the lease), so a dashboard shows them;
 * - Node's process metrics (event-loop lag, memory, CPU).
 */
import type { FastifyInstance } from "fastify";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { parseNote } from "../crypto/index.js";
import type { TelemetryGateway } from "../gateway/index.js";
import type { TransparencyLog } from "../log/index.js";
import { cosignatureTime, parseCheckpoint } from "../merkle/index.js";
import type { ReleaseStore } from "../releases/index.js";

const JOB_STATUSES = ["queued", "running", "done", "failed"] as const;

/** How long one collection answers scrapes (a scraper asks every 15 s or so). */
const REUSE_MS = 1000;

/** Settings an operator chose (or the defaults), shown as gauges. */
export interface MetricsSettings {
  /** Most PostgreSQL connections this replica opens. */
  databasePoolMax?: number;
  databaseConnectTimeoutSeconds?: number;
  databaseIdleTimeoutSeconds?: number;
  databaseStatementTimeoutSeconds?: number;
  /** The sequencer lease's time to live. */
  leaseSeconds?: number;
}

export interface MetricsOptions {
  logs: TransparencyLog[];
  releases?: ReleaseStore;
  gateway?: TelemetryGateway;
  settings?: MetricsSettings;
}

export async function registerMetrics(app: FastifyInstance, options: MetricsOptions) {
  const register = new Registry();
  collectDefaultMetrics({ register, prefix: "crosscheck_" });

  const requests = new Counter({
    name: "crosscheck_http_requests_total",
    help: "HTTP requests answered, by method, route pattern and status.",
    labelNames: ["method", "route", "status"],
    registers: [register],
  });
  const latency = new Histogram({
    name: "crosscheck_http_request_duration_seconds",
    help: "Time to answer HTTP requests, by method, route pattern and status.",
    labelNames: ["method", "route", "status"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [register],
  });
  app.addHook("onResponse", async (request, reply) => {
    const labels = {
      method: request.method,
      route: request.routeOptions.url ?? "(unmatched)",
      status: String(reply.statusCode),
    };
    requests.inc(labels);
    latency.observe(labels, reply.elapsedTime / 1000);
  });

  const logLabel = ["log"] as const;
  const size = new Gauge({
    name: "crosscheck_log_size",
    help: "Entries integrated into the log (this replica's view).",
    labelNames: logLabel,
    registers: [register],
  });
  const cosigned = new Gauge({
    name: "crosscheck_log_cosigned_size",
    help: "Size of the checkpoint served (cosigned by the witness quorum when witnessed).",
    labelNames: logLabel,
    registers: [register],
  });
  const leader = new Gauge({
    name: "crosscheck_log_sequencer",
    help: "1 when this replica sequences the log (holds its lease), else 0.",
    labelNames: logLabel,
    registers: [register],
  });
  const lagEntries = new Gauge({
    name: "crosscheck_log_sequencing_lag_entries",
    help: "Adds accepted but not yet integrated (here, and queued for the sequencing replica).",
    labelNames: logLabel,
    registers: [register],
  });
  const lagSeconds = new Gauge({
    name: "crosscheck_log_sequencing_lag_seconds",
    help: "How long the oldest add queued for the sequencing replica has waited.",
    labelNames: logLabel,
    registers: [register],
  });
  const cosignatureAge = new Gauge({
    name: "crosscheck_witness_cosignature_age_seconds",
    help: "Age of each witness cosignature on the checkpoint served (cosignature/v1 time).",
    labelNames: ["log", "witness"],
    registers: [register],
  });
  const jobs = new Gauge({
    name: "crosscheck_analysis_jobs",
    help: "Analysis jobs by status (queued is the queue depth).",
    labelNames: ["status"],
    registers: [register],
  });
  const spoolBatches = new Gauge({
    name: "crosscheck_gateway_spool_batches",
    help: "Telemetry batches in the gateway's spool waiting for the vendor.",
    registers: [register],
  });
  const spoolBytes = new Gauge({
    name: "crosscheck_gateway_spool_bytes",
    help: "Bytes in the gateway's spool waiting for the vendor.",
    registers: [register],
  });
  const setting = (name: string, help: string, value: number | undefined) => {
    if (value === undefined) return;
    new Gauge({ name, help, registers: [register] }).set(value);
  };
  const s = options.settings ?? {};
  setting(
    "crosscheck_db_pool_max_connections",
    "Most PostgreSQL connections in the pool.",
    s.databasePoolMax,
  );
  setting(
    "crosscheck_db_connect_timeout_seconds",
    "PostgreSQL connect timeout.",
    s.databaseConnectTimeoutSeconds,
  );
  setting(
    "crosscheck_db_idle_timeout_seconds",
    "Idle pooled connections close after this.",
    s.databaseIdleTimeoutSeconds,
  );
  setting(
    "crosscheck_db_statement_timeout_seconds",
    "PostgreSQL statement_timeout of this replica's sessions.",
    s.databaseStatementTimeoutSeconds,
  );
  setting(
    "crosscheck_lease_seconds",
    "Time to live of the sequencer lease without renewal.",
    s.leaseSeconds,
  );

  /** Reads every gauge at scrape time, so nothing polls between scrapes. */
  const collect = async () => {
    const now = Date.now() / 1000;
    // A witness that stopped cosigning must vanish from the series, not keep its last age.
    cosignatureAge.reset();
    for (const log of options.logs) {
      const labels = { log: log.origin };
      size.set(labels, log.state.size);
      leader.set(labels, log.leading ? 1 : 0);
      const backlog = await log.backlog();
      lagEntries.set(labels, backlog.entries);
      lagSeconds.set(labels, backlog.oldestSeconds);
      let note: string | undefined;
      try {
        note = await log.readCheckpoint();
      } catch {
        continue; // not witnessed yet
      }
      const { text, signatures } = parseNote(note);
      cosigned.set(labels, parseCheckpoint(text).size);
      for (const signature of signatures) {
        const time = cosignatureTime(signature.signature);
        if (signature.name === log.origin || time === undefined) continue;
        cosignatureAge.set({ log: log.origin, witness: signature.name }, Math.max(0, now - time));
      }
    }
    if (options.releases) {
      // Every status is a series from the first scrape on, so rates and alerts see a 0, not a gap.
      const counts = await options.releases.jobCounts();
      jobs.reset();
      for (const status of JOB_STATUSES) jobs.set({ status }, counts[status] ?? 0);
      for (const [status, n] of Object.entries(counts)) jobs.set({ status }, n);
    }
    if (options.gateway) {
      const spool = await options.gateway.store.spoolStats();
      spoolBatches.set(spool.pendingBatches);
      spoolBytes.set(spool.pendingBytes);
    }
  };

  // The page is open to anyone (as a CT log's stats are), so scrapes must not be a way to load
  // the database: concurrent scrapes share one collection, and one is reused for a second.
  let rendering: Promise<string> | undefined;
  let rendered: { text: string; at: number } | undefined;
  const render = () => {
    if (rendered && performance.now() - rendered.at < REUSE_MS)
      return Promise.resolve(rendered.text);
    rendering ??= collect()
      .then(() => register.metrics())
      .then((text) => {
        rendered = { text, at: performance.now() };
        return text;
      })
      .finally(() => {
        rendering = undefined;
      });
    return rendering;
  };

  app.get("/metrics", async (_request, reply) => {
    const text = await render();
    reply.header("cache-control", "no-store").type(register.contentType);
    return text;
  });
}
