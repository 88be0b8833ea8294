/**
 * Durability under SIGKILL (Decisions 2 and 25): an entry acknowledged as integrated is never lost,
 * and a process killed at any instant restarts into a consistent tree whose checkpoints never go
 * back.
 *
 * Per backend, the real `crosscheck log serve` process (same data folder or schema every time) is
 * loaded with concurrent adds over HTTP (fresh random entries, re-adds of acknowledged ones, and
 * the same fresh entry from two clients at once) while its checkpoint is polled, and SIGKILLed
 * after a random 30–400 ms, mid-batch. After every restart:
 *   (a) the checkpoint verifies, is at least as large as every checkpoint seen before, signs no
 *       second root for a size already seen, and covers every acknowledged index;
 *   (b) every acknowledged entry is, byte for byte, at its acknowledged index in the entry bundles;
 *   (c) re-adding acknowledged entries returns their index with duplicate:true, and entries whose
 *       add was cut off by the kill are either wholly in the tree or get a new index;
 *   (d) a full audit (every tile, every entry re-hashed) passes, with a consistency proof from the
 *       newest checkpoint seen before the kill.
 */
import { randomBytes, randomInt } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { bytesEqual, toBase64, toHex } from "../src/crypto/index.js";
import { installNodeCrypto } from "../src/crypto/node.js";
import { auditLog, LogClient, openCheckpoint } from "../src/log/index.js";
import { TILE_WIDTH, tileWidth } from "../src/merkle/index.js";
import { freePort, stop } from "./support/cli.js";
import { createLogStore, killAllServers, type ServedLog, serveLog } from "./support/log-store.js";
import { postgresReachable } from "./support/postgres.js";

installNodeCrypto();

const PLAN = {
  sqlite: { kills: 15, budgetMs: 45_000 },
  postgres: { kills: 10, budgetMs: 45_000 },
} as const;
/** Fewer kills than this (the time budget ran out on a slow machine) fails the test. */
const MIN_KILLS = 5;
const IN_FLIGHT = 32;
const MAX_BATCH = 16;
const KILL_AFTER_MS: [number, number] = [30, 401];

afterAll(killAllServers);

interface Seen {
  size: number;
  note: string;
}

/** What the test knows about the log across restarts. */
class Ledger {
  /** Acknowledged entries by hex: bytes and the index the log answered. */
  readonly acked = new Map<string, { entry: Uint8Array; index: number }>();
  /** Root of every checkpoint ever seen, by size: one size must never get two roots. */
  readonly roots = new Map<number, string>();
  /** The largest checkpoint seen so far (across restarts). */
  newest: Seen | undefined;
  maxAckedIndex = -1;
  readonly violations: string[] = [];
  /** Adds cut off by a kill whose entry turned out integrated, or absent, after the restart. */
  cutOffFound = 0;
  cutOffAbsent = 0;

  ack(entry: Uint8Array, index: number, duplicate: boolean, ackedAtSend: boolean, where: string) {
    const key = toHex(entry);
    const known = this.acked.get(key);
    if (known && known.index !== index) {
      this.violations.push(`${where}: entry acknowledged at ${known.index} now answers ${index}`);
    }
    if (ackedAtSend && !duplicate) {
      this.violations.push(`${where}: re-add of acknowledged entry ${index} not a duplicate`);
    }
    if (!known) this.acked.set(key, { entry, index });
    this.maxAckedIndex = Math.max(this.maxAckedIndex, index);
  }

  sawCheckpoint(note: string, vkey: string, where: string) {
    const cp = openCheckpoint(note, vkey);
    const root = toBase64(cp.root);
    const earlier = this.roots.get(cp.size);
    if (earlier !== undefined && earlier !== root) {
      this.violations.push(`${where}: two roots signed for size ${cp.size}`);
    }
    this.roots.set(cp.size, root);
    if (this.newest && cp.size < this.newest.size) {
      this.violations.push(`${where}: checkpoint went back from ${this.newest.size} to ${cp.size}`);
    }
    if (!this.newest || cp.size > this.newest.size) this.newest = { size: cp.size, note };
    return cp;
  }
}

for (const kind of ["sqlite", "postgres"] as const) {
  const plan = PLAN[kind];
  describe.runIf(kind === "sqlite" || postgresReachable)(`crash safety on ${kind}`, () => {
    it(`keeps every acknowledged entry and never rolls back across ${plan.kills} SIGKILLs mid-batch`, async () => {
      const origin = `crash.${kind}.test.example/log`;
      // SQLite: the first `log serve` creates its own key (Decision 1); PostgreSQL needs one given.
      const store = await createLogStore(kind, { origin, makeKey: kind === "postgres" });
      const ledger = new Ledger();
      const started = Date.now();
      let kills = 0;
      let server: ServedLog | undefined;
      try {
        let vkey = "";
        let uncertain: Uint8Array[] = [];
        for (let iteration = 0; ; iteration++) {
          server = await serveLog(store, await freePort(), ["--max-batch", String(MAX_BATCH)]);
          if (iteration === 0) {
            if (kind === "sqlite") expect(server.stderr()).toContain("Created the log key");
            vkey = await store.verifierKey();
          } else {
            await checkAfterRestart(server, vkey, ledger, uncertain, `after kill ${iteration}`);
          }
          const done = kills >= plan.kills || Date.now() - started > plan.budgetMs;
          if (done) {
            await stop(server.child, "SIGTERM");
            break;
          }
          uncertain = await loadThenKill(server, vkey, ledger, iteration);
          kills++;
          expect(ledger.violations, `while serving, iteration ${iteration}`).toEqual([]);
        }
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        console.log(
          `crash test on ${kind}: ${kills} SIGKILLs, ${ledger.acked.size} distinct entries acknowledged, final tree size ${ledger.newest?.size}; of the adds cut off by kills and retried, ${ledger.cutOffFound} were already integrated and ${ledger.cutOffAbsent} were not; ${seconds} s`,
        );
        expect(kills).toBeGreaterThanOrEqual(MIN_KILLS);
        expect(ledger.acked.size).toBeGreaterThan(0);
      } finally {
        if (server) await stop(server.child, "SIGKILL");
        await killAllServers();
        await store.dispose();
      }
    }, 120_000);
  });
}

/**
 * Drives adds and checkpoint reads against `server`, SIGKILLs it after a random delay, and returns
 * the entries whose adds were cut off (sent, never answered).
 */
async function loadThenKill(
  server: ServedLog,
  vkey: string,
  ledger: Ledger,
  iteration: number,
): Promise<Uint8Array[]> {
  const where = `iteration ${iteration}`;
  let killed = false;
  const inFlight = new Map<string, Uint8Array>();
  const cutOff: Uint8Array[] = [];
  const ackedList = [...ledger.acked.values()];
  // Bounds: every loop below stops at the kill, and in any case by this deadline.
  const deadline = Date.now() + 10_000;

  const pick = (): Uint8Array => {
    const roll = Math.random();
    if (roll < 0.1 && ackedList.length > 0) {
      return (ackedList[randomInt(ackedList.length)] as { entry: Uint8Array }).entry;
    }
    if (roll < 0.15 && inFlight.size > 0) return [...inFlight.values()][0] as Uint8Array;
    return randomBytes(8 + randomInt(120));
  };

  const adder = async () => {
    while (!killed && Date.now() < deadline) {
      const entry = pick();
      const key = toHex(entry);
      const ackedAtSend = ledger.acked.has(key);
      inFlight.set(key, entry);
      try {
        const response = await fetch(`${server.url}/add`, {
          method: "POST",
          headers: { "content-type": "application/octet-stream" },
          body: entry.slice(),
          signal: AbortSignal.timeout(10_000),
        });
        const text = await response.text();
        if (response.status !== 200) {
          ledger.violations.push(`${where}: add answered HTTP ${response.status}: ${text}`);
          continue;
        }
        const { index, duplicate } = JSON.parse(text) as { index: number; duplicate: boolean };
        ledger.ack(entry, index, duplicate, ackedAtSend, where);
      } catch {
        // Cut off by the kill: not acknowledged, so the log owes nothing for it.
        if (!ackedAtSend) cutOff.push(entry);
      } finally {
        inFlight.delete(key);
      }
    }
  };

  const poller = async () => {
    while (!killed && Date.now() < deadline) {
      try {
        const response = await fetch(`${server.url}/checkpoint`, {
          signal: AbortSignal.timeout(5_000),
        });
        const note = await response.text();
        if (response.status === 200) ledger.sawCheckpoint(note, vkey, where);
      } catch {
        // The kill landed mid-request.
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  };

  const load = [poller(), ...Array.from({ length: IN_FLIGHT }, adder)];
  await new Promise((r) => setTimeout(r, randomInt(...KILL_AFTER_MS)));
  killed = true;
  await stop(server.child, "SIGKILL");
  await Promise.all(load);
  // An entry cut off here may have been acknowledged by a concurrent add of the same bytes, or
  // cut off twice (two clients sent it at once).
  const unique = new Map(cutOff.map((e) => [toHex(e), e]));
  return [...unique].filter(([key]) => !ledger.acked.has(key)).map(([, e]) => e);
}

async function checkAfterRestart(
  server: ServedLog,
  vkey: string,
  ledger: Ledger,
  cutOff: Uint8Array[],
  where: string,
): Promise<void> {
  const client = new LogClient(server.url);
  const before = ledger.newest;
  const maxAcked = ledger.maxAckedIndex;

  // (a) The restarted checkpoint verifies, never goes back, and covers every acknowledged index.
  const note = await client.checkpoint();
  const cp = ledger.sawCheckpoint(note, vkey, where);
  const context = `${where}: restarted at size ${cp.size}; newest checkpoint before the kill: ${before?.size}; highest acknowledged index: ${maxAcked}; ${ledger.acked.size} acknowledged`;
  expect(ledger.violations, context).toEqual([]);
  expect(cp.size, context).toBeGreaterThanOrEqual(before?.size ?? 0);
  expect(cp.size, context).toBeGreaterThan(maxAcked);

  // (b) Every acknowledged entry is at its index, byte for byte.
  const entries: Uint8Array[] = [];
  for (let t = 0; t * TILE_WIDTH < cp.size; t++) {
    entries.push(...(await client.entries(t, tileWidth(cp.size, 0, t))));
  }
  expect(entries.length, context).toBe(cp.size);
  const lost = [...ledger.acked.values()]
    .filter(({ entry, index }) => !bytesEqual(entries[index] ?? new Uint8Array(), entry))
    .map(({ index }) => index);
  expect(lost, `${context}: acknowledged entries not at their index`).toEqual([]);

  // (d) A full audit, proving consistency with the newest checkpoint seen before the kill.
  const report = await auditLog(client, {
    verifierKey: vkey,
    entries: true,
    samples: 16,
    previousCheckpoint: before?.note,
  });
  expect(report.size, context).toBe(cp.size);
  expect(report.entriesChecked, context).toBe(cp.size);
  expect(report.consistentWith, context).toBe(before?.size);

  // (c) Re-adds: the newest acknowledged entries (most at risk) and a random sample answer with
  // their index as duplicates.
  const acked = [...ledger.acked.values()].sort((x, y) => y.index - x.index);
  const sample = [...acked.slice(0, 16)];
  for (let i = 0; i < 16 && acked.length > 0; i++) {
    sample.push(acked[randomInt(acked.length)] as (typeof acked)[number]);
  }
  for (const { entry, index } of sample) {
    const again = await client.add(entry);
    expect(again, `${context}: re-adding acknowledged entry ${index}`).toEqual({
      index,
      duplicate: true,
    });
  }
  // Adds cut off by the kill: each entry is either wholly in the tree (a duplicate, its bytes at
  // the index given) or absent (a new index past the restarted size), never half there.
  for (const entry of cutOff.slice(0, 16)) {
    const again = await client.add(entry);
    const what = `${context}: re-adding an entry whose add the kill cut off, answered ${JSON.stringify(again)}`;
    if (again.index < cp.size) {
      expect(again.duplicate, what).toBe(true);
      expect(bytesEqual(entries[again.index] as Uint8Array, entry), what).toBe(true);
      ledger.cutOffFound++;
    } else {
      expect(again.duplicate, what).toBe(false);
      ledger.cutOffAbsent++;
    }
    ledger.ack(entry, again.index, again.duplicate, false, where);
  }
  const after = await client.checkpoint();
  ledger.sawCheckpoint(after, vkey, where);
  expect(ledger.violations, context).toEqual([]);
}
