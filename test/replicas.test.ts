/**
 * Scale-out (issue 11): three real `crosscheck serve` replicas on one PostgreSQL schema, sharing one
 * data folder and one tiles folder, behind a round-robin client. Releases, reviewers' verdicts, log
 * adds and telemetry are spread over all three; the replica sequencing the log is SIGKILLed while
 * adds are in flight (mid-batch); another takes over. Then:
 *
 *   - every acknowledged log add is in the log exactly once, at the index it was given; adds cut
 *     off by the kill are, once retried, in it exactly once too; nothing is left queued;
 *   - every acknowledged release and verdict is stored once and its envelope is in the log at its
 *     index; every analysis job ran to completion (a dead replica's job was taken over);
 *   - every acknowledged telemetry batch is stored exactly once with all its records' decisions,
 *     and its audit entry is in the gateway's audit log;
 *   - the log passes an audit by our `log verify` (every entry re-hashed, consistent with the
 *     first checkpoint seen) and by the independent Go checker; so does the tiles folder the
 *     sequencing replicas wrote, served by nginx; the gateway's audit log passes ours;
 *   - no checkpoint read from any replica was ever smaller than one read before, nor two roots
 *     signed for one size.
 *
 * It prints the failover figures: lease takeover, and leader death → next checkpoint served.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { envelopeLogEntry } from "../src/attest/index.js";
import { bytesEqual } from "../src/crypto/index.js";
import { installNodeCrypto } from "../src/crypto/node.js";
import { auditLog, LogClient, openCheckpoint } from "../src/log/index.js";
import { TILE_WIDTH, tileWidth } from "../src/merkle/index.js";
import { CLI, freePort } from "./support/cli.js";
import { fileWrite } from "./support/gateway-world.js";
import { nginxAvailable, startNginx } from "./support/nginx.js";
import { postgresReachable, TEST_PG_URL } from "./support/postgres.js";
import { parsePrometheus } from "./support/prometheus.js";
import { type Acked, ReleasePipeline } from "./support/release-pipeline.js";
import {
  committedSize,
  createFleet,
  type Fleet,
  type Replica,
  RoundRobin,
} from "./support/replica-fleet.js";
import {
  addEntries,
  addOnce,
  Ledger,
  sendTelemetry,
  watchCheckpoints,
} from "./support/replica-load.js";
import { buildTlogcheck, tlogcheck, tlogcheckAvailable } from "./support/tlogcheck.js";

installNodeCrypto();

const DICTIONARY = fileURLToPath(new URL("../examples/dictionary/edr.yaml", import.meta.url));
const LOG_ADDERS = 8;
const TELEMETRY_SENDERS = 2;
const RECORDS_PER_BATCH = 20;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: () => Promise<boolean> | boolean, ms: number, label: string) {
  const deadline = Date.now() + ms;
  while (!(await what())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${label}`);
    await sleep(50);
  }
}

describe.runIf(postgresReachable && tlogcheckAvailable && nginxAvailable)(
  "three crosscheck serve replicas on one PostgreSQL",
  () => {
    let fleet: Fleet;
    let checker: string;

    beforeAll(async () => {
      fleet = await createFleet({
        cli: CLI,
        pgUrl: TEST_PG_URL,
        ports: freePort,
        tiles: true,
        args: ["--writes-per-minute", "100000", "--lease-ms", "3000"],
      });
      checker = await buildTlogcheck(fleet.dir);
    }, 180_000);

    afterAll(async () => {
      await fleet?.dispose();
    });

    it("keeps every acknowledged entry and record exactly once when the sequencing replica is SIGKILLed mid-batch", async () => {
      // The first replica creates what is shared (gateway keys, demo users); the others start
      // together, taking turns at start-up.
      await fleet.start("r1");
      await Promise.all([fleet.start("r2"), fleet.start("r3")]);
      const rr = new RoundRobin(fleet);
      const vendorToken = fleet.token("vendor");
      const keys = join(fleet.data, "keys");
      const vkey = readFileSync(join(keys, "log.vkey"), "utf8").trim();
      const ledger = new Ledger();
      const acked: Acked = { releases: new Map(), reviews: new Map() };
      const pipeline = new ReleasePipeline(rr, fleet, acked);

      // 1. A data dictionary, published through the replicas (submitted to one, analysed by
      //    whichever claims the job, approved through the others); every gateway then loads it.
      await pipeline.publish("dictionary", "2026.11.23.1", readFileSync(DICTIONARY));
      for (const replica of fleet.replicas) {
        await until(
          async () => {
            const status = (await (await fetch(`${replica.url}/api/v1/gateway/status`)).json()) as {
              dictionary: string | null;
            };
            return status.dictionary === "2026.11.23.1";
          },
          30_000,
          `${replica.name} loads the dictionary`,
        );
      }

      // 2. Load on all three, and the sequencing replica killed in the middle of it.
      let stopping = false;
      const done = () => stopping;
      const load = Promise.all([
        watchCheckpoints(rr, vkey, ledger, done),
        ...Array.from({ length: LOG_ADDERS }, () => addEntries(rr, vendorToken, ledger, done)),
        ...Array.from({ length: TELEMETRY_SENDERS }, () =>
          sendTelemetry(rr, fleet.token("demo-eu"), ledger, done, RECORDS_PER_BATCH, () =>
            fileWrite(),
          ),
        ),
        pipeline.keepReleasing(done),
      ]);
      await until(() => ledger.adds.size >= 200 && acked.reviews.size >= 4, 30_000, "load runs");
      const origin = ledger.firstNote.split("\n")[0] as string;
      const leader = (await fleet.holder(origin)) as Replica;
      expect(leader, "a replica sequences the log").toBeDefined();
      const sizeAtKill = ledger.newest;
      const ackedAtKill = ledger.adds.size;
      const killedAt = Date.now();
      await fleet.kill(leader, "SIGKILL");
      // The largest tree the dead replica committed: the next checkpoint is past it.
      const committed = await committedSize(fleet, origin);
      await until(async () => (await fleet.holder(origin)) !== undefined, 15_000, "takeover");
      const takeoverMs = Date.now() - killedAt;
      const successor = (await fleet.holder(origin)) as Replica;
      await until(() => ledger.newest > committed, 20_000, "a checkpoint after the kill");
      const nextCheckpointMs =
        (ledger.seen.find((s) => s.size > committed)?.at ?? Date.now()) - killedAt;
      await until(() => ledger.adds.size >= ackedAtKill + 300, 30_000, "load goes on");
      stopping = true;
      await load;
      const cutOff = ledger.cutOff.size;
      // Requests were in flight on the killed replica (its batch among them): the balancer sent
      // each to another replica, where it was answered.
      const inFlightAtKill = rr.retried;
      expect(inFlightAtKill).toBeGreaterThan(0);

      // 3. Adds the kill cut off are retried (a client would): each lands once.
      for (const entry of [...ledger.cutOff.values()]) {
        expect(await addOnce(rr, vendorToken, ledger, entry, "retry")).toBe(true);
      }
      expect(ledger.violations).toEqual([]);

      // 4. Quiet: nothing queued for the sequencer, every job finished, every batch audited, and
      //    the checkpoint served covers every acknowledged index.
      const maxIndex = Math.max(
        ...[...ledger.adds.values()].map((a) => a.index),
        ...[...acked.releases.values()].map((r) => r.logIndex),
      );
      await until(
        async () => {
          const [q] = await fleet.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM log_pending`;
          const [j] = await fleet.sql<{ n: number }[]>`
            SELECT count(*)::int AS n FROM analysis_jobs WHERE status IN ('queued', 'running')`;
          const [b] = await fleet.sql<{ n: number }[]>`
            SELECT count(*)::int AS n FROM gateway_batches WHERE audit_index IS NULL`;
          const note = await (await rr.fetch("/log/checkpoint")).response.text();
          const size = ledger.sawCheckpoint(note, vkey, "quiet");
          return q?.n === 0 && j?.n === 0 && b?.n === 0 && size > maxIndex;
        },
        30_000,
        "the fleet settles",
      );

      // Each live replica's /metrics: exactly one sequences the log, none has adds waiting, and
      // the pool and lease settings in force are shown.
      const views = [];
      for (const replica of fleet.replicas.filter((r) => r.alive())) {
        const samples = parsePrometheus(await (await fetch(`${replica.url}/metrics`)).text());
        const pick = (name: string) =>
          samples.find((s) => s.name === name && (s.labels.log ?? origin) === origin)?.value;
        views.push({
          sequencer: pick("crosscheck_log_sequencer"),
          lag: pick("crosscheck_log_sequencing_lag_entries"),
          pool: pick("crosscheck_db_pool_max_connections"),
          lease: pick("crosscheck_lease_seconds"),
        });
      }
      expect(views.map((v) => v.sequencer).sort()).toEqual([0, 1]);
      for (const view of views) expect([view.lag, view.pool, view.lease]).toEqual([0, 10, 3]);

      // 5. Every acknowledged log add is in the log once, at its index.
      const live = fleet.replicas.find((r) => r.alive()) as Replica;
      const client = new LogClient(`${live.url}/log`);
      const note = await client.checkpoint();
      const size = ledger.sawCheckpoint(note, vkey, "final");
      const entries: Uint8Array[] = [];
      for (let t = 0; t * TILE_WIDTH < size; t++) {
        entries.push(...(await client.entries(t, tileWidth(size, 0, t))));
      }
      expect(entries).toHaveLength(size);
      const distinct = new Set(entries.map((e) => Buffer.from(e).toString("base64")));
      expect(distinct.size, "no entry sequenced twice").toBe(size);
      const misplaced = [...ledger.adds.values()].filter(
        ({ entry, index }) => !bytesEqual(entries[index] ?? new Uint8Array(), entry),
      );
      expect(misplaced, "acknowledged adds not at their index").toEqual([]);

      // 6. Releases and verdicts: stored once, their envelopes in the log at their index.
      for (const [sha, { envelope, logIndex }] of acked.releases) {
        const rows = await fleet.sql`SELECT log_index FROM releases WHERE envelope_sha256 = ${sha}`;
        expect(rows, `release ${sha}`).toHaveLength(1);
        expect(Number(rows[0]?.log_index)).toBe(logIndex);
        expect(bytesEqual(entries[logIndex] as Uint8Array, envelopeLogEntry(envelope))).toBe(true);
      }
      for (const [sha, { envelope }] of acked.reviews) {
        const rows = await fleet.sql`
          SELECT log_index FROM release_reviews WHERE envelope_sha256 = ${sha}`;
        expect(rows, `review ${sha}`).toHaveLength(1);
        const at = Number(rows[0]?.log_index);
        expect(bytesEqual(entries[at] as Uint8Array, envelopeLogEntry(envelope))).toBe(true);
      }
      const jobs = await fleet.sql<{ status: string; claimed_by: string }[]>`
        SELECT status, claimed_by FROM analysis_jobs`;
      expect(new Set(jobs.map((j) => j.status))).toEqual(new Set(["done"]));

      // 7. Telemetry: every acknowledged batch stored once, with a decision per record, audited.
      const keys_ = [...ledger.batches.keys()];
      const stored = await fleet.sql<{ sender_key: string; n: number; decided: number }[]>`
        SELECT b.sender_key, count(*)::int AS n,
          min(json_array_length(d.decisions::json))::int AS decided
        FROM gateway_batches b JOIN gateway_decisions d ON d.batch_id = b.id
        WHERE b.sender_key = ANY(${keys_}) GROUP BY b.sender_key`;
      expect(stored).toHaveLength(keys_.length);
      for (const row of stored) expect([row.n, row.decided]).toEqual([1, RECORDS_PER_BATCH]);
      const gatewayVkey = readFileSync(
        join(fleet.data, "gateway", "keys", "gateway-audit.vkey"),
        "utf8",
      ).trim();
      const gatewayAudit = await auditLog(new LogClient(`${live.url}/gateway/log`), {
        verifierKey: gatewayVkey,
        entries: true,
      });
      const [batchCount] = await fleet.sql<{ n: number; distinct_index: number }[]>`
        SELECT count(*)::int AS n, count(DISTINCT audit_index)::int AS distinct_index
        FROM gateway_batches`;
      expect(batchCount?.distinct_index).toBe(batchCount?.n);
      expect(gatewayAudit.size).toBeGreaterThanOrEqual(batchCount?.n ?? 0);

      // 8. The log passes an audit: ours (every entry), and the Go checker (every entry).
      const report = await auditLog(client, {
        verifierKey: vkey,
        entries: true,
        samples: 32,
        previousCheckpoint: ledger.firstNote,
      });
      expect(report.size).toBeGreaterThanOrEqual(size);
      expect(report.consistentWith).toBe(openCheckpoint(ledger.firstNote, vkey).size);
      const firstFile = join(fleet.dir, "first.checkpoint");
      writeFileSync(firstFile, ledger.firstNote);
      const go = await tlogcheck(checker, `${live.url}/log`, vkey, ["-entries", "-old", firstFile]);
      expect(go.code, `${go.stdout}${go.stderr}`).toBe(0);
      expect(go.last).toMatch(/^ok /);

      // 9. The tiles folder, written by whichever replica sequenced, served by nginx, passes too.
      const served = await client.checkpoint();
      await until(
        () => readFileSync(join(fleet.tiles, "checkpoint"), "utf8") === served,
        15_000,
        "the tiles folder catches up",
      );
      const nginx = await startNginx(fleet.tiles);
      try {
        const statik = await auditLog(new LogClient(nginx.url), {
          verifierKey: vkey,
          entries: true,
          previousCheckpoint: ledger.firstNote,
        });
        expect(Buffer.from(statik.root)).toEqual(Buffer.from(report.root));
        const goStatic = await tlogcheck(checker, nginx.url, vkey, ["-entries", "-old", firstFile]);
        expect(goStatic.code, `${goStatic.stdout}${goStatic.stderr}`).toBe(0);
      } finally {
        await nginx.stop();
      }
      expect(ledger.violations, "checkpoints never go back").toEqual([]);

      const workers = new Set(jobs.map((j) => j.claimed_by));
      console.log(
        `replicas: killed ${leader.name} (sequencing; checkpoint served ${sizeAtKill}, tree committed ${committed}); ${successor.name} took the lease after ${takeoverMs} ms; first checkpoint past the kill served ${nextCheckpointMs} ms after it. ${ledger.adds.size} log adds acknowledged (${inFlightAtKill} requests cut off by the kill and resent by the balancer, ${cutOff} retried by the client), ${acked.releases.size} releases and ${acked.reviews.size} verdicts, ${ledger.batches.size} telemetry batches; ${jobs.length} analysis jobs run by ${[...workers].join(", ")}; final size ${report.size}.`,
      );
      expect(takeoverMs).toBeLessThan(10_000);
    }, 150_000);
  },
);
