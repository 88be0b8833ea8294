/**
 * The gateway benchmark (issue 7, "Must show"; Decision 26): end-to-end MB/s on one core of our
 * pipeline and of the npm package `redact-pii`, on the same generated EDR telemetry, plus how many
 * output records are not valid JSON for each.
 *
 *   npm run bench:gateway -- [--mb 10] [--seed 7] [--batch 1000] [--rounds 3]
 *
 * Ours, per batch of NDJSON lines: parse, check against the compiled dictionary, scan and redact
 * personal data field by field, serialise, build the audit entry, and commit the batch with its
 * decisions to the spool in SQLite (synchronous=FULL) — what `POST /v1/events` does between
 * receiving the bytes and answering. Not timed: the load generator and the upstream.
 * redact-pii: its SyncRedactor over each serialized line, the way it is meant to be used on text
 * (it cannot see fields, so it may break the JSON — which is what the broken-records figure counts).
 * baseline: a bare JSON.parse + JSON.stringify of every line; our figure is also given as a
 * fraction of it.
 *
 * Each figure is the median of --rounds rounds (redact-pii, at ~3-6 MB/s, runs once over the same
 * data). stdout carries JSON lines only; progress goes to stderr.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { installNodeCrypto } from "../src/crypto/node.js";
import { compileDictionary, parseDictionary } from "../src/dictionary/index.js";
import { batchEntry } from "../src/gateway/audit.js";
import { parseGatewayConfig } from "../src/gateway/config.js";
import { parseEvents } from "../src/gateway/ingest-formats.js";
import { processBatch, type TenantRuntime } from "../src/gateway/pipeline.js";
import { TenantPolicy } from "../src/gateway/redaction-policy.js";
import { openGatewayStore } from "../src/gateway/storage/index.js";
import { tenantKeys } from "../src/gateway/tenant-keys.js";
import { migrate, openSqlite } from "../src/store/index.js";
import { emit, progress } from "./output.js";
import { generateTelemetry } from "./telemetry-corpus.js";

interface Options {
  mb: number;
  seed: number;
  batch: number;
  rounds: number;
}

function options(argv: string[]): Options {
  const get = (name: string, fallback: number) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? Number(argv[i + 1]) : fallback;
  };
  return {
    mb: get("mb", 10),
    seed: get("seed", 7),
    batch: get("batch", 1000),
    rounds: get("rounds", 3),
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

function isJson(line: string): boolean {
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  installNodeCrypto();
  const opts = options(process.argv.slice(2));
  progress(`generating ${opts.mb} MB of EDR telemetry (seed ${opts.seed})…`);
  const { records } = generateTelemetry({ seed: opts.seed, bytes: opts.mb * 1024 * 1024 });
  const lines = records.map((r) => JSON.stringify(r));
  const totalBytes = lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
  const batches: Buffer[] = [];
  for (let i = 0; i < lines.length; i += opts.batch) {
    batches.push(Buffer.from(`${lines.slice(i, i + opts.batch).join("\n")}\n`));
  }
  const dictionaryPath = fileURLToPath(
    new URL("../../examples/dictionary/edr.yaml", import.meta.url),
  );
  const dictionary = compileDictionary(parseDictionary(readFileSync(dictionaryPath, "utf8")));
  const config = parseGatewayConfig({
    name: "bench.localhost",
    regions: [{ region: "eu", endpoints: [{ url: "https://eu.vendor.invalid/ingest" }] }],
    tenants: [{ name: "bench", region: "eu" }],
  });
  const tenant: TenantRuntime = {
    name: "bench",
    region: "eu",
    policy: new TenantPolicy(config.tenants.get("bench")?.policy ?? {}),
    keys: tenantKeys(new Uint8Array(32).fill(7)),
  };

  // Baseline: bare parse + serialise.
  const baseline: number[] = [];
  for (let round = 0; round < opts.rounds; round++) {
    const start = performance.now();
    let n = 0;
    for (const line of lines) n += JSON.stringify(JSON.parse(line)).length;
    const seconds = (performance.now() - start) / 1000;
    if (n === 0) throw new Error("unreachable");
    baseline.push(totalBytes / 1e6 / seconds);
  }

  // Ours: the whole in-process pipeline, committing to a real spool.
  const ours: number[] = [];
  let broken = 0;
  let forwarded = 0;
  let refused = 0;
  const checked: string[][] = [];
  for (let round = 0; round < opts.rounds; round++) {
    const dir = mkdtempSync(join(tmpdir(), "crosscheck-bench-gateway-"));
    const database = openSqlite(join(dir, "spool.sqlite"));
    await migrate(database);
    const store = await openGatewayStore(database);
    broken = 0;
    forwarded = 0;
    refused = 0;
    const start = performance.now();
    let key = 0;
    for (const body of batches) {
      const { records: input } = parseEvents(body, "ndjson", 1_000_000);
      const outcome = processBatch(input, tenant, dictionary);
      const idempotencyKey = `bench-${round}-${key++}`;
      const received = new Date().toISOString();
      const audit = batchEntry(
        {
          gateway: "bench.localhost",
          tenant: "bench",
          region: "eu",
          kind: "records",
          received,
          batch: idempotencyKey,
          records: input.length,
          forwarded: outcome.lines.length,
          blocked: input.length - outcome.lines.length,
          quarantined: 0,
          bytesIn: outcome.bytesIn,
          bytesOut: outcome.bytesOut,
          events: outcome.events,
          redactions: outcome.redactions,
        },
        outcome.decisions,
      );
      await store.enqueue(
        {
          tenant: "bench",
          region: "eu",
          idempotencyKey,
          kind: "records",
          contentType: "application/x-ndjson",
          body: outcome.body,
          records: outcome.lines.length,
          receivedAt: received,
          decisions: outcome.decisions,
          auditEntry: audit,
        },
        { maxPendingBytes: Number.MAX_SAFE_INTEGER, maxPendingBatches: Number.MAX_SAFE_INTEGER },
      );
      forwarded += outcome.lines.length;
      refused += outcome.refused.length;
      if (round === 0) checked.push(outcome.lines);
    }
    const seconds = (performance.now() - start) / 1000;
    // Counted outside the timed loop: the check is the benchmark's, not the gateway's.
    for (const batch of checked.splice(0)) for (const line of batch) if (!isJson(line)) broken++;
    ours.push(totalBytes / 1e6 / seconds);
    await database.close();
    rmSync(dir, { recursive: true, force: true });
    progress(`ours round ${round + 1}: ${(totalBytes / 1e6 / seconds).toFixed(1)} MB/s`);
  }

  // redact-pii over the same serialized lines (it sees text, not fields); broken lines counted.
  const { SyncRedactor } = await import("redact-pii");
  const redactor = new SyncRedactor();
  progress(`redact-pii over ${(totalBytes / 1e6).toFixed(2)} MB…`);
  const start = performance.now();
  const redacted = lines.map((line) => redactor.redact(line));
  const theirSeconds = (performance.now() - start) / 1000;
  const theirs = totalBytes / 1e6 / theirSeconds;
  const theirBroken = redacted.filter((line) => !isJson(line)).length;

  const ourRate = median(ours);
  const base = median(baseline);
  emit({
    bench: "gateway.throughput",
    value: Number(ourRate.toFixed(1)),
    unit: "MB/s",
    per: "core",
    records: lines.length,
    mb: Number((totalBytes / 1e6).toFixed(2)),
    vs: "redact-pii",
    ratio: Number((ourRate / theirs).toFixed(1)),
    target: 50,
  });
  emit({
    bench: "gateway.redact-pii",
    value: Number(theirs.toFixed(2)),
    unit: "MB/s",
    records: lines.length,
  });
  emit({
    bench: "gateway.json-baseline",
    value: Number(base.toFixed(1)),
    unit: "MB/s",
    ours_fraction: Number((ourRate / base).toFixed(3)),
  });
  emit({
    bench: "gateway.broken-records",
    ours: broken,
    ours_records: forwarded,
    ours_refused: refused,
    "redact-pii": theirBroken,
    "redact-pii_records": lines.length,
  });
}

await main();
