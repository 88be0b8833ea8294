/**
 * The collector against in-process witnesses: a fetch that routes to `Witness.addCheckpoint`, with
 * witnesses that can be held, killed (never answer) or refused (connection error), and one run
 * over real loopback HTTP.
 */
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkCosignature,
  type GrowingLog,
  growingLog,
  logKey,
  openWitness,
  sizeAndRoot,
  type WitnessKit,
  witnessKey,
} from "../../test/support/witness-kit.js";
import { parseNote } from "../crypto/index.js";
import { parseTlogPolicy } from "../policy/index.js";
import { createWitnessServer } from "../server/index.js";
import { CosignatureCollector, formatAddCheckpoint, parseAddCheckpoint } from "./index.js";

const LOG = logKey("log.collector-test.example");
let honest: GrowingLog;

beforeAll(async () => {
  honest = await growingLog(LOG.signerKey, "honest");
  await honest.grow(16);
});
afterAll(async () => {
  await honest.close();
});

type Mode = "up" | "dead" | "refused" | "endless" | { held: Promise<void> };

interface Net {
  kits: WitnessKit[];
  modes: Mode[];
  /** Every request each witness received: old size and checkpoint size. */
  seen: { old: number; size: number }[][];
  /** Bytes each "endless" witness was made to send. */
  streamed: number[];
  fetch: typeof fetch;
  policyText: (urls?: string[]) => string;
  close(): Promise<void>;
}

async function network(count = 3): Promise<Net> {
  const kits: WitnessKit[] = [];
  for (let i = 1; i <= count; i++) {
    kits.push(await openWitness([LOG.verifierKey], witnessKey(`w${i}.collector-test.example`)));
  }
  const modes: Mode[] = kits.map(() => "up");
  const seen: Net["seen"] = kits.map(() => []);
  const streamed = kits.map(() => 0);
  const fetcher = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const i = Number(url.hostname.replace(/^w/, "")) - 1;
    const kit = kits[i];
    if (!kit || url.pathname !== "/add-checkpoint") throw new TypeError("fetch failed");
    const mode = modes[i];
    const signal = init?.signal ?? undefined;
    if (mode === "refused") throw new TypeError("fetch failed: connection refused");
    if (mode === "dead") {
      await new Promise<never>((_, reject) => {
        signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
      });
    }
    if (typeof mode === "object") await mode.held;
    if (mode === "endless") {
      // A hostile witness: 200, then a body that never ends.
      const chunk = new Uint8Array(16 * 1024).fill(0x41);
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          streamed[i] = (streamed[i] ?? 0) + chunk.length;
          controller.enqueue(chunk);
        },
      });
      return new Response(body, { status: 200, headers: { "content-type": "text/plain" } });
    }
    const body = String(init?.body ?? "");
    const request = parseAddCheckpoint(body);
    seen[i]?.push({ old: request.oldSize, size: sizeAndRoot(request.checkpoint).size });
    const answer = kit.witness.addCheckpoint(body);
    return new Response(answer.body, {
      status: answer.status,
      headers: { "content-type": answer.contentType },
    });
  }) as typeof fetch;
  return {
    kits,
    modes,
    seen,
    streamed,
    fetch: fetcher,
    policyText: (urls = kits.map((_, i) => `http://w${i + 1}`)) =>
      [
        `log ${LOG.verifierKey}`,
        ...kits.map((k, i) => `witness w${i + 1} ${k.key.verifierKey} ${urls[i]}`),
        `group witnesses 2 ${kits.map((_, i) => `w${i + 1}`).join(" ")}`,
        "quorum witnesses",
        "",
      ].join("\n"),
    async close() {
      for (const kit of kits) await kit.close();
    },
  };
}

interface Run {
  collector: CosignatureCollector;
  published: string[];
  warnings: string[];
}

function collect(net: Net, options: { timeoutMs?: number; retryMs?: number } = {}): Run {
  const published: string[] = [];
  const warnings: string[] = [];
  const collector = new CosignatureCollector({
    policy: parseTlogPolicy(net.policyText()),
    consistencyProof: (a, b) => honest.proof(a, b),
    publish: async (note) => {
      published.push(note);
    },
    fetch: net.fetch,
    timeoutMs: options.timeoutMs ?? 2000,
    retryMs: options.retryMs ?? 100,
    warn: (m) => warnings.push(m),
  });
  return { collector, published, warnings };
}

async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Witness names whose cosignature on `note` verifies. */
function cosigners(net: Net, note: string): string[] {
  const { text, signatures } = parseNote(note);
  expect(note.startsWith(honest.note(sizeAndRoot(note).size))).toBe(true);
  const names: string[] = [];
  for (const [i, kit] of net.kits.entries()) {
    for (const sig of signatures) {
      if (!sig.name.startsWith(`w${i + 1}.`)) continue;
      const line = note.split("\n").find((l) => l.startsWith(`— ${sig.name} `));
      checkCosignature(`${text}\n${line}\n`, `${line}\n`, kit.key.verifierKey);
      names.push(`w${i + 1}`);
    }
  }
  return names;
}

function gate(): { held: Promise<void>; open: () => void } {
  let open = () => {};
  const held = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { held, open };
}

describe("CosignatureCollector", () => {
  it("publishes only once the quorum is met, then adds late cosignatures", async () => {
    const net = await network();
    const w2 = gate();
    const w3 = gate();
    net.modes[1] = { held: w2.held };
    net.modes[2] = { held: w3.held };
    const run = collect(net);
    run.collector.offer(honest.note(3));
    await until("w1's answer", () => net.seen[0]?.length === 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(run.published).toEqual([]);
    w2.open();
    await until("a publication", () => run.published.length === 1);
    expect(cosigners(net, run.published[0] as string).sort()).toEqual(["w1", "w2"]);
    w3.open();
    await until("the late cosignature", () => run.published.length === 2);
    expect(cosigners(net, run.published[1] as string).sort()).toEqual(["w1", "w2", "w3"]);
    await run.collector.close();
    await net.close();
  });

  it("follows a 409 to the size the witness holds, with a proof from there", async () => {
    const net = await network();
    // w1 already cosigned size 5 (for another instance of the log, say).
    const first = net.kits[0]?.witness.addCheckpoint(
      formatAddCheckpoint({ oldSize: 0, proof: [], checkpoint: honest.note(5) }),
    );
    expect(first?.status).toBe(200);
    const run = collect(net);
    run.collector.offer(honest.note(9));
    await until("w1's cosignature", () =>
      run.published.some((n) => cosigners(net, n).includes("w1")),
    );
    expect(net.seen[0]).toEqual([
      { old: 0, size: 9 },
      { old: 5, size: 9 },
    ]);
    // Next round starts from what it learned.
    run.collector.offer(honest.note(12));
    await until("size 12", () => run.published.some((n) => sizeAndRoot(n).size === 12));
    expect(net.seen[0]?.at(-1)).toEqual({ old: 9, size: 12 });
    await run.collector.close();
    await net.close();
  });

  it("is not stalled by a dead witness: it times out and keeps publishing", async () => {
    const net = await network();
    net.modes[2] = "dead";
    const run = collect(net, { timeoutMs: 300 });
    const started = Date.now();
    run.collector.offer(honest.note(2));
    await until("size 2", () => run.published.length >= 1);
    expect(Date.now() - started).toBeLessThan(1000);
    run.collector.offer(honest.note(4));
    await until("size 4", () => run.published.some((n) => sizeAndRoot(n).size === 4), 3000);
    expect(run.warnings.some((w) => w.startsWith("witness w3"))).toBe(true);
    for (const note of run.published) expect(cosigners(net, note).sort()).toEqual(["w1", "w2"]);
    await run.collector.close();
    await net.close();
  });

  it("refuses a witness answer that never ends, without buffering it", async () => {
    const net = await network();
    net.modes[0] = "endless";
    const run = collect(net, { timeoutMs: 20_000 });
    run.collector.offer(honest.note(2));
    await until("the endless answer refused", () =>
      run.warnings.some((w) => w.startsWith("witness w1") && /more than 65536 bytes/.test(w)),
    );
    // Read up to the bound and cancelled, not drained until the timeout.
    expect(net.streamed[0]).toBeLessThan(1 << 20);
    await until("size 2", () => run.published.length >= 1);
    expect(cosigners(net, run.published[0] as string).sort()).toEqual(["w2", "w3"]);
    await run.collector.close();
    await net.close();
  });

  it("retries a round that missed the quorum, and publishes the newest size when it can", async () => {
    const net = await network();
    net.modes[1] = "refused";
    net.modes[2] = "dead";
    const run = collect(net, { timeoutMs: 100, retryMs: 100 });
    run.collector.offer(honest.note(3));
    await until("two tries", () => (net.seen[0]?.length ?? 0) >= 2);
    expect(run.published).toEqual([]);
    run.collector.offer(honest.note(6));
    await until("a try of 6", () => net.seen[0]?.some((s) => s.size === 6) ?? false);
    expect(run.published).toEqual([]);
    // w2 comes back: no new checkpoint is offered, the retry alone publishes size 6.
    net.modes[1] = "up";
    await until("size 6 published", () => run.published.length >= 1, 3000);
    expect(run.published.map((n) => sizeAndRoot(n).size)).toEqual([6]);
    expect(cosigners(net, run.published[0] as string).sort()).toEqual(["w1", "w2"]);
    await run.collector.close();
    await net.close();
  });

  it("never publishes a smaller size after a larger one", async () => {
    const net = await network();
    const run = collect(net);
    const w2 = gate();
    net.modes[1] = { held: w2.held };
    // Offers arrive out of order and while a round is still running.
    run.collector.offer(honest.note(10));
    run.collector.offer(honest.note(7));
    run.collector.offer(honest.note(13));
    run.collector.offer(honest.note(8));
    w2.open();
    await until("publications", () => run.published.length >= 1);
    await new Promise((r) => setTimeout(r, 300));
    run.collector.offer(honest.note(11));
    run.collector.offer(honest.note(14));
    await until("size 14", () => run.published.some((n) => sizeAndRoot(n).size === 14));
    run.collector.offer(honest.note(12));
    await new Promise((r) => setTimeout(r, 300));
    const sizes = run.published.map((n) => sizeAndRoot(n).size);
    for (let i = 1; i < sizes.length; i++)
      expect(sizes[i]).toBeGreaterThanOrEqual(sizes[i - 1] as number);
    expect(sizes.at(-1)).toBe(14);
    for (const note of run.published) expect(cosigners(net, note).length).toBeGreaterThanOrEqual(2);
    await run.collector.close();
    await net.close();
  });

  it("survives a publish that fails once, and publishes again on retry", async () => {
    // A transient storage error while recording the cosigned checkpoint must neither crash the
    // log (an unhandled rejection ends a Node process) nor lose the checkpoint for good.
    const net = await network();
    const published: string[] = [];
    let failures = 1;
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    const collector = new CosignatureCollector({
      policy: parseTlogPolicy(net.policyText()),
      consistencyProof: (a, b) => honest.proof(a, b),
      publish: async (note) => {
        if (failures-- > 0) throw new Error("SQLITE_BUSY: database is locked");
        published.push(note);
      },
      fetch: net.fetch,
      timeoutMs: 500,
      retryMs: 100,
      warn: () => {},
    });
    try {
      collector.offer(honest.note(4));
      await new Promise((r) => setTimeout(r, 500));
      expect(unhandled).toEqual([]);
      await until("size 4 published", () => published.length >= 1, 2000);
    } finally {
      process.off("unhandledRejection", onUnhandled);
      await collector.close().catch(() => {});
      await net.close();
    }
  });

  it("works over loopback HTTP with witnesses served by createWitnessServer", async () => {
    const net = await network();
    const apps = await Promise.all(
      net.kits.map((kit) => createWitnessServer({ witness: kit.witness })),
    );
    const urls: string[] = [];
    for (const app of apps) {
      await app.listen({ host: "127.0.0.1", port: 0 });
      urls.push(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/`);
    }
    await apps[2]?.close(); // one witness is gone: connection refused
    const published: string[] = [];
    const collector = new CosignatureCollector({
      policy: parseTlogPolicy(net.policyText(urls)),
      consistencyProof: (a, b) => honest.proof(a, b),
      publish: async (note) => {
        published.push(note);
      },
      timeoutMs: 1000,
      retryMs: 100,
    });
    try {
      collector.offer(honest.note(5));
      await until("size 5", () => published.length >= 1);
      collector.offer(honest.note(15));
      await until("size 15", () => published.some((n) => sizeAndRoot(n).size === 15));
      expect(cosigners(net, published.at(-1) as string).sort()).toEqual(["w1", "w2"]);
      expect(net.kits[0]?.store.current(origin())?.size).toBe(15);
    } finally {
      await collector.close();
      for (const app of apps.slice(0, 2)) await app.close();
      await net.close();
    }
  });
});

function origin(): string {
  return LOG.verifierKey.split("+")[0] as string;
}
