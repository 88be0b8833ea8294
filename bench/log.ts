/**
 * The log benchmark: sustained integration throughput and add → integrated latency on SQLite and
 * PostgreSQL, in-process and over HTTP, and inclusion-proof verifications per second against the
 * SHA-256 rate measured in the same run (Decisions 24, 25).
 *
 *   npm run bench:log -- [--entries 1000000] [--backend sqlite|postgres|all] [--pg URL]
 *                        [--window 4096] [--http-entries 50000] [--http-window 128]
 *                        [--dup-rate 0.05] [--proofs 1000] [--verify-seconds 2] [--timeout 2400]
 *
 * `--entries` new entries (256 bytes each) are added per backend, so the tree ends at exactly that
 * size; on top of them a `--dup-rate` fraction of all adds re-add an entry added earlier, so
 * deduplication is exercised on every batch. The in-process load generator keeps `--window` adds
 * in flight (closed loop): by Little's law its latency is about window ÷ throughput, so the window
 * is printed with every latency figure. The HTTP client runs in a worker thread (its own core) and
 * drives `POST /log/add` of a real server bound to 127.0.0.1 on the same database, after the
 * in-process phase. SQLite keeps `synchronous=FULL` as `openSqlite` sets it; PostgreSQL keeps its
 * default durable commits: an acknowledged add is on disk.
 *
 * stdout carries one JSON object per line, nothing else; progress goes to stderr.
 */
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { generateNoteKey, sha256 } from "../src/crypto/index.js";
import { installNodeCrypto } from "../src/crypto/node.js";
import { TransparencyLog } from "../src/log/index.js";
import { leafHash, verifyInclusion } from "../src/merkle/index.js";
import { createServer } from "../src/server/index.js";
import { type Database, openPostgres, openSqlite } from "../src/store/index.js";

const ENTRY_SIZE = 256;

interface Options {
  entries: number;
  backends: ("sqlite" | "postgres")[];
  pg: string;
  window: number;
  httpEntries: number;
  httpWindow: number;
  dupRate: number;
  proofs: number;
  verifySeconds: number;
  timeoutSeconds: number;
}

function parseOptions(argv: string[]): Options {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith("--")) usage(`unexpected argument ${arg}`);
    const eq = arg.indexOf("=");
    if (eq > 0) flags.set(arg.slice(2, eq), arg.slice(eq + 1));
    else {
      const value = argv[++i];
      if (value === undefined) usage(`${arg} needs a value`);
      flags.set(arg.slice(2), value);
    }
  }
  const known = [
    "entries",
    "backend",
    "pg",
    "window",
    "http-entries",
    "http-window",
    "dup-rate",
    "proofs",
    "verify-seconds",
    "timeout",
  ];
  for (const k of flags.keys()) if (!known.includes(k)) usage(`unknown flag --${k}`);
  const int = (name: string, fallback: number, min = 0) => {
    const raw = flags.get(name);
    if (raw === undefined) return fallback;
    const n = Number(raw.replaceAll("_", ""));
    if (!Number.isSafeInteger(n) || n < min) usage(`--${name} must be a whole number >= ${min}`);
    return n;
  };
  const num = (name: string, fallback: number, min: number, max: number) => {
    const raw = flags.get(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max) usage(`--${name} must be in [${min}, ${max}]`);
    return n;
  };
  const backend = flags.get("backend") ?? "all";
  if (!["sqlite", "postgres", "all"].includes(backend)) usage("--backend is sqlite|postgres|all");
  return {
    entries: int("entries", 1_000_000, 1),
    backends: backend === "all" ? ["sqlite", "postgres"] : [backend as "sqlite" | "postgres"],
    pg:
      flags.get("pg") ??
      process.env.CROSSCHECK_TEST_PG ??
      "postgres://postgres@127.0.0.1:5432/test",
    window: int("window", 4096, 1),
    httpEntries: int("http-entries", 50_000, 0),
    httpWindow: int("http-window", 128, 1),
    dupRate: num("dup-rate", 0.05, 0, 0.9),
    proofs: int("proofs", 1000, 1),
    verifySeconds: num("verify-seconds", 2, 0.1, 600),
    timeoutSeconds: int("timeout", 2400, 1),
  };
}

function usage(message: string): never {
  process.stderr.write(`bench/log: ${message}\n`);
  process.exit(2);
}

function emit(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

function progress(message: string): void {
  process.stderr.write(`[bench/log ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

// ---------------------------------------------------------------------------------------------
// Entries: 256 bytes each, a fixed random buffer with the entry's number in its first 8 bytes, so
// any entry can be made again (for duplicates, and to check proofs) without keeping it.

function entryMaker(): (n: number) => Uint8Array<ArrayBuffer> {
  const base = new Uint8Array(ENTRY_SIZE);
  // Fixed seed: the same entries every run (xorshift32), random-looking bytes.
  let x = 0x2545f491;
  for (let i = 0; i < ENTRY_SIZE; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    base[i] = x & 0xff;
  }
  return (n) => {
    const e = new Uint8Array(ENTRY_SIZE);
    e.set(base);
    const view = new DataView(e.buffer);
    view.setUint32(0, Math.floor(n / 2 ** 32));
    view.setUint32(4, n >>> 0);
    return e;
  };
}

/** A fast deterministic PRNG in [0, 1), so runs pick the same duplicates and proof indexes. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

// ---------------------------------------------------------------------------------------------
// Closed-loop load: `window` workers, each adding one entry at a time until `newEntries` new
// entries have been issued; each add is, with probability dupRate, a re-add of an earlier entry.

interface LoadResult {
  seconds: number;
  adds: number;
  newEntries: number;
  duplicates: number;
  latenciesMs: Float64Array;
  /** Entries per second in each tenth of the run (by new entries integrated). */
  deciles: number[];
}

interface LoadPlan {
  /** Numbers of the new entries: first, first+1, …, first+newEntries-1. */
  first: number;
  newEntries: number;
  window: number;
  dupRate: number;
  seed: number;
  label: string;
  add: (entry: Uint8Array<ArrayBuffer>) => Promise<{ index: number; duplicate: boolean }>;
  /**
   * The entry a duplicate re-adds, or undefined for none yet. `confirmed[0..count)` are the numbers
   * of this run's new entries whose add has resolved; by default a duplicate is one of those (an
   * entry still in flight may reach the log after its re-add over HTTP, which would swap roles).
   */
  pickDuplicate?: (
    confirmed: Int32Array,
    count: number,
    random: () => number,
  ) => number | undefined;
  /** Called with the index each new entry got. */
  onNew?: (entryNumber: number, index: number) => void;
}

async function runLoad(plan: LoadPlan): Promise<LoadResult> {
  const makeEntry = entryMaker();
  const random = prng(plan.seed);
  const expectedAdds = Math.ceil(plan.newEntries / (1 - plan.dupRate)) + plan.window + 1024;
  let latencies = new Float64Array(expectedAdds);
  let adds = 0;
  let issuedNew = 0;
  let doneNew = 0;
  const confirmed = new Int32Array(plan.newEntries);
  const pick =
    plan.pickDuplicate ??
    ((done: Int32Array, count: number, random: () => number) =>
      count > 0 ? done[Math.floor(random() * count)] : undefined);
  let duplicates = 0;
  let failure: unknown;
  const decileMarks: number[] = [];
  const decileEvery = Math.max(1, Math.floor(plan.newEntries / 10));
  const start = performance.now();
  let lastMark = start;

  const worker = async () => {
    while (issuedNew < plan.newEntries && failure === undefined) {
      const again = random() < plan.dupRate ? pick(confirmed, doneNew, random) : undefined;
      const dup = again !== undefined;
      const n = again ?? plan.first + issuedNew++;
      const entry = makeEntry(n);
      const t0 = performance.now();
      let result: { index: number; duplicate: boolean };
      try {
        result = await plan.add(entry);
      } catch (err) {
        failure ??= err;
        return;
      }
      const t1 = performance.now();
      if (adds === latencies.length) {
        const grown = new Float64Array(latencies.length * 2);
        grown.set(latencies);
        latencies = grown;
      }
      latencies[adds++] = t1 - t0;
      if (result.duplicate) {
        duplicates++;
        if (!dup) failure ??= new Error(`new entry ${n} came back as a duplicate`);
        continue;
      }
      if (dup) failure ??= new Error(`re-added entry ${n} came back as new`);
      plan.onNew?.(n, result.index);
      confirmed[doneNew++] = n;
      if (doneNew % decileEvery === 0 && decileMarks.length < 10) {
        decileMarks.push(decileEvery / ((t1 - lastMark) / 1000));
        lastMark = t1;
        progress(
          `${plan.label}: ${doneNew}/${plan.newEntries} new entries, ` +
            `${Math.round(doneNew / ((t1 - start) / 1000))} entries/s so far, ` +
            `this tenth ${Math.round(decileMarks[decileMarks.length - 1] as number)}/s`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: plan.window }, worker));
  const seconds = (performance.now() - start) / 1000;
  if (failure !== undefined) throw failure;
  return {
    seconds,
    adds,
    newEntries: doneNew,
    duplicates,
    latenciesMs: latencies.subarray(0, adds),
    deciles: decileMarks,
  };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

function latencyFields(latencies: Float64Array) {
  const sorted = Float64Array.from(latencies).sort();
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    p50_ms: round(percentile(sorted, 50)),
    p99_ms: round(percentile(sorted, 99)),
    max_ms: round(sorted[sorted.length - 1] ?? Number.NaN),
  };
}

// ---------------------------------------------------------------------------------------------
// The HTTP load generator runs in a worker thread: fetch (undici) costs as much CPU per request as
// the server does, and on its own thread it does not steal the server's event loop.

interface HttpPlan {
  url: string;
  first: number;
  newEntries: number;
  /** Entry numbers below this were added earlier and may be re-added. */
  earlier: number;
  window: number;
  dupRate: number;
  seed: number;
}

interface HttpResult {
  seconds: number;
  adds: number;
  newEntries: number;
  duplicates: number;
  latencies: Float64Array<ArrayBuffer>;
  error?: string;
}

async function httpWorker(plan: HttpPlan): Promise<void> {
  // node:http with keep-alive rather than fetch: undici's fetch costs ~0.4 ms of CPU per request
  // here, so with fetch this measured the client, not the log.
  const agent = new http.Agent({ keepAlive: true, maxSockets: plan.window });
  const url = new URL(plan.url);
  const result = await runLoad({
    first: plan.first,
    newEntries: plan.newEntries,
    window: plan.window,
    dupRate: plan.dupRate,
    seed: plan.seed,
    label: "http",
    // Duplicates re-add entries added in-process as well as those this client added.
    pickDuplicate: (confirmed, count, random) => {
      const r = Math.floor(random() * (plan.earlier + count));
      return r < plan.earlier ? r : confirmed[r - plan.earlier];
    },
    add: (entry) => post(agent, url, entry),
  }).catch((err: unknown) => ({ error: String((err as Error)?.stack ?? err) }));
  agent.destroy();
  if ("error" in result) {
    parentPort?.postMessage({ error: result.error } satisfies Partial<HttpResult>);
    return;
  }
  const message: HttpResult = {
    seconds: result.seconds,
    adds: result.adds,
    newEntries: result.newEntries,
    duplicates: result.duplicates,
    latencies: new Float64Array(result.latenciesMs),
  };
  parentPort?.postMessage(message, [message.latencies.buffer]);
}

/** POST /log/add with the entry as the body; resolves with the server's JSON answer. */
function post(
  agent: http.Agent,
  url: URL,
  entry: Uint8Array,
): Promise<{ index: number; duplicate: boolean }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: "POST",
        headers: { "content-type": "application/octet-stream", "content-length": entry.length },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (c: Buffer) => chunks.push(c));
        response.on("error", reject);
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          if (response.statusCode !== 200) {
            reject(new Error(`POST ${url.pathname} answered ${response.statusCode}: ${text}`));
            return;
          }
          try {
            resolve(JSON.parse(text) as { index: number; duplicate: boolean });
          } catch (err) {
            reject(err);
          }
        });
      },
    );
    request.on("error", reject);
    request.end(entry);
  });
}

// ---------------------------------------------------------------------------------------------

interface OpenedBackend {
  database: Database;
  dispose(): Promise<void>;
}

async function openBackend(name: "sqlite" | "postgres", pgUrl: string): Promise<OpenedBackend> {
  if (name === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "crosscheck-bench-"));
    const database = openSqlite(join(dir, "log.sqlite"));
    return {
      database,
      async dispose() {
        await database.close().catch(() => {});
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = `bench_log_${process.pid}_${Date.now().toString(36)}`;
  const database = await openPostgres(pgUrl, { schema });
  return {
    database,
    async dispose() {
      await database.sql.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
      await database.close().catch(() => {});
    },
  };
}

interface BatchCounter {
  /** Integration transactions and the new entries they wrote since the last call. */
  take(): { transactions: number; entries: number };
}

/**
 * Counts the log's integration transactions by wrapping its storage's `integrate` (measurement
 * only: the call goes through unchanged), so the figures show how far group commit batches.
 */
function countBatches(log: TransparencyLog): BatchCounter {
  const storage = log.storage as { integrate: TransparencyLog["storage"]["integrate"] };
  const integrate = storage.integrate.bind(storage);
  let transactions = 0;
  let entries = 0;
  storage.integrate = (write) => {
    transactions++;
    entries += write.dedup.length;
    return integrate(write);
  };
  return {
    take() {
      const taken = { transactions, entries };
      transactions = 0;
      entries = 0;
      return taken;
    },
  };
}

let disposeCurrent: (() => Promise<void>) | undefined;

async function benchBackend(
  name: "sqlite" | "postgres",
  options: Options,
  verify: boolean,
): Promise<void> {
  const backend = await openBackend(name, options.pg);
  disposeCurrent = backend.dispose;
  try {
    const key = generateNoteKey(`bench.crosscheck.example/${name}/${process.pid}`);
    const log = await TransparencyLog.open({ database: backend.database, signer: key.signerKey });
    const batches = countBatches(log);
    const n = options.entries;
    const indexOf = new Int32Array(n).fill(-1);
    const entryAt = new Int32Array(n).fill(-1);

    progress(`${name}: adding ${n} entries, window ${options.window}, dup rate ${options.dupRate}`);
    const load = await runLoad({
      first: 0,
      newEntries: n,
      window: options.window,
      dupRate: options.dupRate,
      seed: 1,
      label: name,
      add: (entry) => log.add(entry),
      onNew: (entryNumber, index) => {
        indexOf[entryNumber] = index;
        entryAt[index] = entryNumber;
      },
    });
    if (log.state.size !== n) throw new Error(`${name}: the tree has ${log.state.size} entries`);
    const rate = load.newEntries / load.seconds;
    const inProcessBatches = batches.take();
    emit({
      bench: "log.integrate",
      backend: name,
      entries: n,
      entry_bytes: ENTRY_SIZE,
      adds: load.adds,
      duplicates: load.duplicates,
      window: options.window,
      transactions: inProcessBatches.transactions,
      mean_batch: round(inProcessBatches.entries / inProcessBatches.transactions, 1),
      seconds: round(load.seconds, 2),
      value: Math.round(rate),
      unit: "entries/s",
      slowest_tenth: Math.round(Math.min(...load.deciles)),
      last_tenth: Math.round(load.deciles[load.deciles.length - 1] ?? rate),
      target: name === "sqlite" ? 15_000 : 5_000,
    });
    emit({
      bench: "log.add_to_integrated",
      backend: name,
      path: "in-process",
      entries: n,
      adds: load.adds,
      in_flight: options.window,
      ...latencyFields(load.latenciesMs),
      unit: "ms",
      target_p99_ms: 500,
    });

    if (verify) {
      const tree = { size: log.state.size, root: log.state.root };
      await benchVerification(log, tree, entryAt, options);
    }

    if (options.httpEntries > 0) await benchHttp(name, log, options, batches);
    await log.close();
  } finally {
    disposeCurrent = undefined;
    await backend.dispose();
  }
}

async function benchHttp(
  name: "sqlite" | "postgres",
  log: TransparencyLog,
  options: Options,
  batches: BatchCounter,
): Promise<void> {
  batches.take();
  const app = await createServer({ log, host: "127.0.0.1" });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  if (!address || typeof address === "string") throw new Error("the server has no TCP address");
  const sizeBefore = log.state.size;
  progress(`${name}: ${options.httpEntries} adds over HTTP, ${options.httpWindow} in flight`);
  const plan: HttpPlan = {
    url: `http://127.0.0.1:${address.port}/log/add`,
    first: options.entries,
    newEntries: options.httpEntries,
    earlier: options.entries,
    window: options.httpWindow,
    dupRate: options.dupRate,
    seed: 2,
  };
  const worker = new Worker(fileURLToPath(import.meta.url), { workerData: plan });
  try {
    const result = await new Promise<HttpResult>((resolve, reject) => {
      worker.once("message", (m: HttpResult) =>
        m.error ? reject(new Error(`HTTP client: ${m.error}`)) : resolve(m),
      );
      worker.once("error", reject);
      worker.once("exit", (code) => reject(new Error(`HTTP client exited with ${code}`)));
    });
    const grew = log.state.size - sizeBefore;
    if (grew !== options.httpEntries) {
      throw new Error(`${name}: HTTP adds grew the tree by ${grew}, not ${options.httpEntries}`);
    }
    const base = { backend: name, path: "http", entries: result.newEntries, adds: result.adds };
    const httpBatches = batches.take();
    emit({
      bench: "log.integrate",
      ...base,
      duplicates: result.duplicates,
      in_flight: options.httpWindow,
      transactions: httpBatches.transactions,
      mean_batch: round(httpBatches.entries / httpBatches.transactions, 1),
      seconds: round(result.seconds, 2),
      value: Math.round(result.newEntries / result.seconds),
      unit: "entries/s",
    });
    emit({
      bench: "log.add_to_integrated",
      ...base,
      in_flight: options.httpWindow,
      ...latencyFields(result.latencies),
      unit: "ms",
      target_p99_ms: 500,
    });
  } finally {
    await worker.terminate();
    await app.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Verification: SHA-256 calls/s on a 65-byte input (an interior node) through the very `sha256`
// the verifier calls, then inclusion proofs of random leaves verified in a loop.

const SHA_INPUT = Uint8Array.from({ length: 65 }, (_, i) => (i === 0 ? 1 : i));

/** SHA-256 calls for at least `ms`: [calls, elapsed ms]. */
function shaRound(ms: number): [number, number] {
  let calls = 0;
  let sink = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < 2000; i++) sink ^= sha256(SHA_INPUT)[i & 31] as number;
    calls += 2000;
    elapsed = performance.now() - start;
  }
  if (sink === -1) progress("(unreachable)");
  return [calls, elapsed];
}

async function benchVerification(
  log: TransparencyLog,
  tree: { size: number; root: Uint8Array },
  entryAt: Int32Array,
  options: Options,
): Promise<void> {
  const makeEntry = entryMaker();
  const random = prng(3);
  const cases: { leaf: Uint8Array; index: number; proof: Uint8Array[] }[] = [];
  for (let i = 0; i < options.proofs; i++) {
    const index = Math.floor(random() * tree.size);
    const proof = await log.inclusionProof(index, tree.size);
    const entryNumber = entryAt[index] as number;
    if (entryNumber < 0) throw new Error(`no entry recorded at index ${index}`);
    cases.push({ leaf: leafHash(makeEntry(entryNumber)), index, proof });
  }
  const meanLength = cases.reduce((s, c) => s + c.proof.length, 0) / cases.length;
  progress(`verify: ${cases.length} proofs at tree size ${tree.size}, mean length ${meanLength}`);

  // SHA-256 and verification alternate in short rounds, so a change in CPU speed (other work on
  // the machine, frequency scaling) weighs on both alike and the ratio stays honest.
  const verifyRound = (ms: number): [number, number] => {
    let done = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < ms) {
      for (const c of cases) verifyInclusion(c.leaf, c.index, tree.size, c.proof, tree.root);
      done += cases.length;
      elapsed = performance.now() - start;
    }
    return [done, elapsed];
  };
  shaRound(200);
  verifyRound(200);
  const rounds = Math.max(1, Math.round((options.verifySeconds * 1000) / 100));
  let shaCalls = 0;
  let shaMs = 0;
  let verified = 0;
  let verifyMs = 0;
  for (let r = 0; r < rounds; r++) {
    const [calls, ms] = shaRound(100);
    shaCalls += calls;
    shaMs += ms;
    const [done, vms] = verifyRound(100);
    verified += done;
    verifyMs += vms;
  }
  const shaRate = shaCalls / (shaMs / 1000);
  const rate = verified / (verifyMs / 1000);
  const limit = shaRate / meanLength;
  emit({ bench: "sha256", value: Math.round(shaRate), unit: "hashes/s", input_bytes: 65 });
  emit({
    bench: "merkle.verify_inclusion",
    tree_size: tree.size,
    proofs: cases.length,
    mean_proof_length: round(meanLength, 2),
    value: Math.round(rate),
    unit: "verifications/s",
    limit: Math.round(limit),
    ratio: round(rate / limit, 3),
    target_ratio: 0.8,
  });
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

async function main(): Promise<void> {
  installNodeCrypto();
  const options = parseOptions(process.argv.slice(2));
  const watchdog = setTimeout(() => {
    progress(`gave up after ${options.timeoutSeconds} s (--timeout)`);
    const dispose = disposeCurrent ?? (async () => {});
    void dispose().finally(() => process.exit(1));
  }, options.timeoutSeconds * 1000);
  watchdog.unref();
  for (const [i, name] of options.backends.entries()) {
    await benchBackend(name, options, i === 0);
  }
  clearTimeout(watchdog);
}

if (isMainThread) {
  await main();
} else {
  installNodeCrypto();
  await httpWorker(workerData as HttpPlan);
}
