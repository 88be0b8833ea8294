/**
 * The scale-out benchmark (issue 11): log adds per second and telemetry MB/s through one
 * `crosscheck serve` replica and through three on one PostgreSQL, and the failover time — from
 * SIGKILL of the sequencing replica to another holding the lease, and to the first checkpoint
 * past the kill served.
 *
 *   npm run bench:scale -- [--seconds 10] [--adders 64] [--senders 8] [--records 500]
 *                          [--kills 3] [--pg postgres://…] [--cli dist/src/cli/main.js]
 *
 * Real processes, a round-robin client (test/support/replica-fleet.ts) in this process, the demo
 * data folder shared by the replicas, a fresh schema per fleet. On this 2-core machine the
 * replicas, PostgreSQL and the load generator share two cores, so three replicas cannot be faster
 * than one: the throughput figures are informational, the failover ones are the claim
 * (Decision 28). An add is acknowledged once durably integrated, whichever replica sequenced it;
 * a telemetry batch once committed to the spool (Decision 25).
 *
 * stdout carries one JSON object per line, nothing else; progress goes to stderr.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { installNodeCrypto } from "../src/crypto/node.js";
import { freePort } from "../test/support/cli.js";
import { fileWrite } from "../test/support/gateway-world.js";
import { type Acked, ReleasePipeline } from "../test/support/release-pipeline.js";
import {
  committedSize,
  createFleet,
  type Fleet,
  type Replica,
  RoundRobin,
} from "../test/support/replica-fleet.js";
import {
  addEntries,
  Ledger,
  sendTelemetry,
  watchCheckpoints,
} from "../test/support/replica-load.js";
import { emit } from "./output.js";

installNodeCrypto();

interface Options {
  seconds: number;
  adders: number;
  senders: number;
  records: number;
  kills: number;
  pg: string;
  cli: string;
}

function parseOptions(argv: string[]): Options {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i] as string;
    const value = argv[i + 1];
    if (!flag.startsWith("--") || value === undefined) usage(`bad argument ${flag}`);
    flags.set(flag.slice(2), value as string);
  }
  const number = (name: string, fallback: number) => {
    const value = Number(flags.get(name) ?? fallback);
    if (!Number.isFinite(value) || value < 0) usage(`--${name} takes a number`);
    return value;
  };
  return {
    seconds: number("seconds", 10),
    adders: number("adders", 64),
    senders: number("senders", 8),
    records: number("records", 500),
    kills: number("kills", 3),
    pg:
      flags.get("pg") ??
      process.env.CROSSCHECK_TEST_PG ??
      "postgres://postgres@127.0.0.1:5432/test",
    cli: flags.get("cli") ?? fileURLToPath(new URL("../src/cli/main.js", import.meta.url)),
  };
}

function usage(message: string): never {
  process.stderr.write(
    `${message}\nusage: bench:scale -- [--seconds N] [--adders N] [--senders N] [--records N] [--kills N] [--pg URL] [--cli FILE]\n`,
  );
  process.exit(2);
}

const say = (message: string) => process.stderr.write(`${message}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const DICTIONARY = fileURLToPath(new URL("../../examples/dictionary/edr.yaml", import.meta.url));

async function until(what: () => Promise<boolean> | boolean, ms: number, label: string) {
  const deadline = Date.now() + ms;
  while (!(await what())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${label}`);
    await sleep(50);
  }
}

/** A fleet of `count` replicas with the dictionary published and loaded by every gateway. */
async function fleetOf(count: number, options: Options): Promise<Fleet> {
  const fleet = await createFleet({
    cli: options.cli,
    pgUrl: options.pg,
    ports: freePort,
    args: ["--writes-per-minute", "1000000"],
  });
  await fleet.start("r1");
  await Promise.all(Array.from({ length: count - 1 }, (_, i) => fleet.start(`r${i + 2}`)));
  const acked: Acked = { releases: new Map(), reviews: new Map() };
  const rr = new RoundRobin(fleet);
  await new ReleasePipeline(rr, fleet, acked).publish(
    "dictionary",
    "2026.11.23.1",
    readFileSync(DICTIONARY),
  );
  for (const replica of fleet.replicas) {
    await until(
      async () =>
        (
          (await (await fetch(`${replica.url}/api/v1/gateway/status`)).json()) as {
            dictionary: string | null;
          }
        ).dictionary === "2026.11.23.1",
      60_000,
      `${replica.name} loads the dictionary`,
    );
  }
  return fleet;
}

async function throughput(count: number, options: Options): Promise<void> {
  say(`${count} replica(s): starting`);
  const fleet = await fleetOf(count, options);
  try {
    const rr = new RoundRobin(fleet);
    const token = fleet.token("vendor");
    const ledger = new Ledger();
    let deadline = Date.now() + options.seconds * 1000;
    let started = performance.now();
    await Promise.all(
      Array.from({ length: options.adders }, () =>
        addEntries(rr, token, ledger, () => Date.now() > deadline, [256, 257]),
      ),
    );
    let seconds = (performance.now() - started) / 1000;
    if (ledger.violations.length > 0) throw new Error(ledger.violations.join("\n"));
    emit({
      bench: "scale.log.adds",
      replicas: count,
      value: Math.round(ledger.adds.size / seconds),
      unit: "adds/s",
      clients: options.adders,
      entryBytes: 256,
      seconds: Number(seconds.toFixed(1)),
      note: "informational on 2 cores (Decision 28); acknowledged = durably integrated",
    });

    deadline = Date.now() + options.seconds * 1000;
    started = performance.now();
    await Promise.all(
      Array.from({ length: options.senders }, () =>
        sendTelemetry(
          rr,
          fleet.token("demo-eu"),
          ledger,
          () => Date.now() > deadline,
          options.records,
          () => fileWrite(),
        ),
      ),
    );
    seconds = (performance.now() - started) / 1000;
    if (ledger.violations.length > 0) throw new Error(ledger.violations.join("\n"));
    const bytes = [...ledger.batches.values()].reduce((n, b) => n + b.bytes, 0);
    const records = [...ledger.batches.values()].reduce((n, b) => n + b.records, 0);
    emit({
      bench: "scale.telemetry",
      replicas: count,
      value: Number((bytes / seconds / 1e6).toFixed(2)),
      unit: "MB/s",
      records: Math.round(records / seconds),
      recordsUnit: "records/s",
      clients: options.senders,
      recordsPerBatch: options.records,
      seconds: Number(seconds.toFixed(1)),
      note: "informational on 2 cores (Decision 28); acknowledged = committed to the spool",
    });
  } finally {
    await fleet.dispose();
  }
}

/** Kills the sequencing replica of three under add load, `kills` times, restarting it each time. */
async function failover(options: Options): Promise<void> {
  say("failover: starting three replicas");
  const fleet = await fleetOf(3, options);
  const takeover: number[] = [];
  const nextCheckpoint: number[] = [];
  try {
    const rr = new RoundRobin(fleet);
    const token = fleet.token("vendor");
    const vkey = readFileSync(join(fleet.data, "keys", "log.vkey"), "utf8").trim();
    const ledger = new Ledger();
    let stopping = false;
    const done = () => stopping;
    const load = Promise.all([
      watchCheckpoints(rr, vkey, ledger, done),
      ...Array.from({ length: 8 }, () => addEntries(rr, token, ledger, done)),
    ]);
    await until(() => ledger.newest > 0, 30_000, "first checkpoint");
    const origin = ledger.firstNote.split("\n")[0] as string;
    for (let kill = 0; kill < options.kills; kill++) {
      await sleep(1500);
      const leader = (await fleet.holder(origin)) as Replica;
      const killedAt = Date.now();
      await fleet.kill(leader, "SIGKILL");
      // The largest tree the dead replica committed: the next checkpoint is the successor's.
      const committed = await committedSize(fleet, origin);
      await until(async () => (await fleet.holder(origin)) !== undefined, 30_000, "takeover");
      takeover.push(Date.now() - killedAt);
      await until(() => ledger.newest > committed, 30_000, "a checkpoint past the kill");
      const next = ledger.seen.find((s) => s.size > committed)?.at ?? Date.now();
      nextCheckpoint.push(next - killedAt);
      say(
        `failover ${kill + 1}: lease taken after ${takeover.at(-1)} ms, next checkpoint after ${nextCheckpoint.at(-1)} ms`,
      );
      // The killed replica comes back (as a new process) before the next round.
      await fleet.start(`${leader.name}-${kill + 1}`);
    }
    stopping = true;
    await load;
    if (ledger.violations.length > 0) throw new Error(ledger.violations.join("\n"));
  } finally {
    await fleet.dispose();
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  emit({
    bench: "scale.failover.takeover",
    value: median(takeover),
    unit: "ms",
    runs: takeover,
    note: "SIGKILL of the sequencing replica → another holds its lease (median)",
  });
  emit({
    bench: "scale.failover.next_checkpoint",
    value: median(nextCheckpoint),
    unit: "ms",
    runs: nextCheckpoint,
    note: "SIGKILL of the sequencing replica → first cosigned checkpoint past it served (median)",
  });
}

const options = parseOptions(process.argv.slice(2));
await throughput(1, options);
await throughput(3, options);
if (options.kills > 0) await failover(options);
