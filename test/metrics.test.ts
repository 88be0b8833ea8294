/**
 * `GET /metrics` of a real `crosscheck serve` (the demo, SQLite): Prometheus text format that a
 * scraper accepts, and figures that agree with what the service serves elsewhere — the log's size
 * with its checkpoint, the analysis jobs with the releases submitted, the requests with the ones
 * this test made, a cosignature age per demo witness. The PostgreSQL replicas' view (exactly one
 * sequencer, pool settings) is checked in test/replicas.test.ts.
 */
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseNote } from "../src/crypto/index.js";
import { parseCheckpoint } from "../src/merkle/index.js";
import { type DemoService, startDemoService } from "./support/demo-service.js";
import { parsePrometheus, type Sample } from "./support/prometheus.js";

const DICTIONARY = fileURLToPath(new URL("../examples/dictionary/edr.yaml", import.meta.url));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (found.length === 0) throw new Error(`no sample ${name} ${JSON.stringify(labels)}`);
  return found.reduce((sum, s) => sum + s.value, 0);
}

describe("crosscheck serve: /metrics", () => {
  let service: DemoService;

  beforeAll(async () => {
    service = await startDemoService();
  }, 120_000);

  afterAll(async () => {
    await service?.close();
  });

  it("answers in the Prometheus text format with figures that agree with the service", async () => {
    const settled = async () => {
      let samples: Sample[] = [];
      let note = "";
      for (let i = 0; i < 100; i++) {
        note = await (await fetch(`${service.origin}/log/checkpoint`)).text();
        const response = await fetch(`${service.origin}/metrics`);
        expect(response.status).toBe(200);
        expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
        samples = parsePrometheus(await response.text());
        const queued = value(samples, "crosscheck_analysis_jobs", { status: "queued" });
        const running = value(samples, "crosscheck_analysis_jobs", { status: "running" });
        if (queued + running === 0) break;
        await sleep(100);
      }
      return { samples, note };
    };
    const before = value((await settled()).samples, "crosscheck_analysis_jobs", { status: "done" });
    // A release submitted and approved: its analysis jobs run to completion.
    const release = await service.publish("dictionary", "2026.12.5.1", DICTIONARY);
    const { samples, note } = await settled();
    const { jobs } = (await (
      await fetch(`${service.origin}/api/v1/releases/${release.id}`)
    ).json()) as { jobs: { status: string }[] };
    expect(jobs.length).toBeGreaterThan(0);
    expect(jobs.every((j) => j.status === "done")).toBe(true);
    const origin = note.split("\n")[0] as string;
    const size = parseCheckpoint(parseNote(note).text).size;

    expect(value(samples, "crosscheck_log_size", { log: origin })).toBeGreaterThanOrEqual(size);
    expect(value(samples, "crosscheck_log_cosigned_size", { log: origin })).toBeGreaterThanOrEqual(
      size,
    );
    expect(value(samples, "crosscheck_log_sequencer", { log: origin })).toBe(1);
    expect(value(samples, "crosscheck_log_sequencing_lag_entries", { log: origin })).toBe(0);
    expect(value(samples, "crosscheck_analysis_jobs", { status: "done" })).toBe(
      before + jobs.length,
    );
    expect(value(samples, "crosscheck_analysis_jobs", { status: "queued" })).toBe(0);
    expect(value(samples, "crosscheck_gateway_spool_batches")).toBe(0);

    // One age per demo witness that cosigned the checkpoint served, each fresh.
    const ages = samples.filter(
      (s) => s.name === "crosscheck_witness_cosignature_age_seconds" && s.labels.log === origin,
    );
    expect(ages.length).toBeGreaterThanOrEqual(2);
    for (const age of ages) expect(age.value).toBeLessThan(600);

    // Requests by route pattern, never by raw URL: a tile path does not make a series of its own.
    await fetch(`${service.origin}/log/tile/0/000.p/1`);
    await sleep(1100); // past the second for which one collection answers every scrape
    const after = parsePrometheus(await (await fetch(`${service.origin}/metrics`)).text());
    const checkpointReads = value(after, "crosscheck_http_requests_total", {
      route: "/log/checkpoint",
      method: "GET",
      status: "200",
    });
    expect(checkpointReads).toBeGreaterThanOrEqual(1);
    const routes = new Set(
      after.filter((s) => s.name === "crosscheck_http_requests_total").map((s) => s.labels.route),
    );
    expect(routes).toContain("/log/tile/*");
    expect([...routes].some((r) => r?.includes("000.p"))).toBe(false);
    expect(
      value(after, "crosscheck_http_request_duration_seconds_count", { route: "/log/checkpoint" }),
    ).toBeGreaterThanOrEqual(checkpointReads);

    // The process's own figures, and no secret in any label.
    expect(value(after, "crosscheck_process_resident_memory_bytes")).toBeGreaterThan(0);
    const text = await (await fetch(`${service.origin}/metrics`)).text();
    for (const token of ["vendor", "reviewer-alpha", "admin"]) {
      expect(text).not.toContain(service.token(token));
    }
  }, 60_000);
});
