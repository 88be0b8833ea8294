/**
 * Issue 4, Must show: "Witness state survives a kill at any instant without ever cosigning two
 * inconsistent checkpoints (a test kills it repeatedly mid-request)".
 *
 * One real `crosscheck witness serve` process, SIGKILLed ~15 times at random moments while several
 * clients send it add-checkpoint requests: honest extensions (with correct proofs), stale ones,
 * duplicates, and a fork of the same log (same key, other entries) of the same and larger sizes.
 * Every cosignature it ever returned is kept and checked at the end.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toHex } from "../src/crypto/index.js";
import { writeKeyFile } from "../src/crypto/node.js";
import { verifyConsistency } from "../src/merkle/index.js";
import { formatAddCheckpoint, parseTlogSize } from "../src/witness/index.js";
import { freePort, stop } from "./support/cli.js";
import {
  addBody,
  checkCosignature,
  type GrowingLog,
  growingLog,
  logKey,
  sizeAndRoot,
  witnessKey,
} from "./support/witness-kit.js";
import { killAll, startWitness, type WitnessProcess } from "./support/witness-procs.js";

const LOG = logKey("log.crash-test.example");
const WITNESS = witnessKey("w.crash-test.example");
const MAX = 400;
const KILLS = 15;
let honest: GrowingLog;
let fork: GrowingLog;
let dir: string;

beforeAll(async () => {
  honest = await growingLog(LOG.signerKey, "honest");
  fork = await growingLog(LOG.signerKey, "fork");
  await honest.grow(MAX);
  await fork.grow(MAX);
  dir = mkdtempSync(join(tmpdir(), "crosscheck-witness-crash-"));
  writeKeyFile(join(dir, "witness.key"), WITNESS.signerKey);
}, 60_000);

afterAll(async () => {
  await killAll();
  await honest?.close();
  await fork?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Cosigned {
  size: number;
  root: string;
  forked: boolean;
  run: number;
}

const random = (n: number) => Math.floor(Math.random() * n);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("a witness killed at random instants", () => {
  it("never cosigns two inconsistent checkpoints, and its state never goes back", async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/add-checkpoint`;
    const cosigned: Cosigned[] = [];
    const badCosignatures: string[] = [];
    const storedAfterRestart: number[] = [];
    const maxCosignedBeforeRestart: number[] = [];
    const statuses = new Map<string, number>();
    let interrupted = 0;
    let believed = 0; // the size we think the witness holds

    const post = async (body: string, run: number, note: string, forked: boolean) => {
      let response: Response;
      let text: string;
      try {
        response = await fetch(url, {
          method: "POST",
          body,
          signal: AbortSignal.timeout(3000),
        });
        text = await response.text();
      } catch {
        interrupted++;
        return undefined;
      }
      statuses.set(String(response.status), (statuses.get(String(response.status)) ?? 0) + 1);
      if (response.status === 200) {
        const { size, root } = sizeAndRoot(note);
        try {
          checkCosignature(note, text, WITNESS.verifierKey);
        } catch (err) {
          badCosignatures.push(`${size}: ${(err as Error).message}`);
        }
        cosigned.push({ size, root: toHex(root), forked, run });
        believed = Math.max(believed, size);
      } else if (response.status === 409) {
        const size = parseTlogSize(text);
        if (size !== undefined) believed = Math.max(believed, size);
      }
      return response.status;
    };

    /** One random request: mostly honest extensions, with stale, duplicate and forked ones. */
    const oneRequest = async (run: number) => {
      const old = Math.min(believed, MAX);
      const kind = random(10);
      if (kind < 5) {
        // Honest: extend by 0–3 from what we believe (0: the same checkpoint again).
        const size = Math.min(MAX, old + random(4));
        await post(await addBody(honest, old, honest.note(size)), run, honest.note(size), false);
      } else if (kind < 6) {
        // Stale: an old size that is no longer the witness's.
        const stale = random(old + 1);
        const size = Math.min(MAX, stale + 1 + random(3));
        await post(await addBody(honest, stale, honest.note(size)), run, honest.note(size), false);
      } else if (kind < 7) {
        // A smaller honest tree, sent as if it were new.
        const size = random(old + 1);
        await post(await addBody(honest, 0, honest.note(size)), run, honest.note(size), false);
      } else if (kind < 8) {
        // The fork, at the witness's size (two roots for one size).
        if (old === 0) return; // the empty tree is the same in both
        const body = formatAddCheckpoint({ oldSize: old, proof: [], checkpoint: fork.note(old) });
        await post(body, run, fork.note(old), true);
      } else if (kind < 9) {
        // The fork, larger, with the fork's own (valid for the fork) proof from the honest size.
        const size = Math.min(MAX, old + 1 + random(3));
        if (size > old)
          await post(await addBody(fork, old, fork.note(size)), run, fork.note(size), true);
      } else {
        // The fork from 0 (as if the witness were new), at a random size.
        const size = 1 + random(MAX);
        await post(await addBody(fork, 0, fork.note(size)), run, fork.note(size), true);
      }
    };

    /** Reads the stored size through a 409: old 0 with a non-empty tree. */
    const probe = async (run: number): Promise<number> => {
      for (let attempt = 0; attempt < 3; attempt++) {
        const body = formatAddCheckpoint({ oldSize: 0, proof: [], checkpoint: honest.note(1) });
        const response = await fetch(url, {
          method: "POST",
          body,
          signal: AbortSignal.timeout(3000),
        });
        const text = await response.text();
        if (response.status === 409) return parseTlogSize(text) as number;
        // Never cosigned anything yet: this first honest checkpoint is now its state.
        expect(response.status).toBe(200);
        checkCosignature(honest.note(1), text, WITNESS.verifierKey);
        const { size, root } = sizeAndRoot(honest.note(1));
        cosigned.push({ size, root: toHex(root), forked: false, run });
      }
      throw new Error("the probe never got a 409");
    };

    let witness: WitnessProcess | undefined;
    const start = () =>
      startWitness({
        data: join(dir, "data"),
        keyFile: join(dir, "witness.key"),
        logVerifierKey: LOG.verifierKey,
        port,
      });
    const began = Date.now();
    for (let run = 0; run < KILLS; run++) {
      witness = await start();
      const stored = await probe(run);
      storedAfterRestart.push(stored);
      maxCosignedBeforeRestart.push(
        Math.max(0, ...cosigned.filter((c) => c.run < run).map((c) => c.size)),
      );
      believed = stored;

      let killed = false;
      const workers = Array.from({ length: 4 }, async () => {
        while (!killed) {
          await oneRequest(run);
          await sleep(random(8));
        }
      });
      await sleep(30 + random(250));
      killed = true;
      const child = witness.child;
      await stop(child, "SIGKILL");
      await Promise.all(workers);
    }
    // A last start: what it holds now.
    witness = await start();
    const finalStored = await probe(KILLS);
    storedAfterRestart.push(finalStored);
    maxCosignedBeforeRestart.push(Math.max(0, ...cosigned.map((c) => c.size)));
    await stop(witness.child);
    const elapsed = Date.now() - began;

    // It did real work, and kills interrupted requests.
    expect(cosigned.length, JSON.stringify(Object.fromEntries(statuses))).toBeGreaterThan(
      3 * KILLS,
    );
    expect(interrupted).toBeGreaterThan(0);
    expect(statuses.get("409") ?? 0).toBeGreaterThan(0);
    expect(elapsed).toBeLessThan(60_000);

    // Every cosignature verifies.
    expect(badCosignatures).toEqual([]);
    // No fork checkpoint was ever cosigned, and every cosigned root is the honest one of its size.
    expect(cosigned.filter((c) => c.forked)).toEqual([]);
    for (const c of cosigned) expect(c.root).toBe(toHex(honest.root(c.size)));
    // No size was cosigned with two roots.
    const roots = new Map<number, Set<string>>();
    for (const c of cosigned) roots.set(c.size, (roots.get(c.size) ?? new Set()).add(c.root));
    for (const [size, set] of roots) expect(set.size, `size ${size}`).toBe(1);
    // Every pair of cosigned sizes is consistent (consecutive pairs suffice, and all hold).
    const sizes = [...roots.keys()].sort((a, b) => a - b);
    for (let i = 1; i < sizes.length; i++) {
      const [a, b] = [sizes[i - 1] as number, sizes[i] as number];
      if (a === 0) continue;
      verifyConsistency(a, b, await honest.proof(a, b), honest.root(a), honest.root(b));
    }
    // The stored size never goes back, and never falls behind what it had cosigned before.
    for (let i = 1; i < storedAfterRestart.length; i++) {
      expect(storedAfterRestart[i]).toBeGreaterThanOrEqual(storedAfterRestart[i - 1] as number);
    }
    for (const [i, stored] of storedAfterRestart.entries()) {
      expect(stored, `restart ${i}`).toBeGreaterThanOrEqual(maxCosignedBeforeRestart[i] as number);
    }
  }, 90_000);
});
