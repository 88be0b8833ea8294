/**
 * Load for a fleet of replicas through a round-robin balancer, keeping a ledger of what was
 * acknowledged: log adds (entry → index), telemetry batches (Idempotency-Key → records), and every
 * checkpoint seen (never smaller than one seen before, never two roots for one size). An add or a
 * batch cut off by a kill is not acknowledged; the caller retries it later (the same bytes, the
 * same key), as a client would. Used by test/replicas.test.ts and bench/scale.ts.
 */
import { randomBytes, randomInt } from "node:crypto";
import { toBase64, toHex } from "../../src/crypto/index.js";
import { openCheckpoint } from "../../src/log/index.js";
import type { RoundRobin } from "./replica-fleet.js";

export class Ledger {
  /** Acknowledged log adds by hex entry. */
  readonly adds = new Map<string, { entry: Uint8Array; index: number }>();
  /** Adds sent and never answered (their replica died), by hex entry. */
  readonly cutOff = new Map<string, Uint8Array>();
  /** Acknowledged telemetry batches by Idempotency-Key. */
  readonly batches = new Map<string, { records: number; bytes: number }>();
  readonly roots = new Map<number, string>();
  /** Sizes of the checkpoints seen, in order, with when. */
  readonly seen: { size: number; at: number }[] = [];
  newest = -1;
  newestNote = "";
  firstNote = "";
  readonly violations: string[] = [];
  addBytes = 0;

  ackAdd(entry: Uint8Array, index: number, where: string): void {
    const key = toHex(entry);
    const known = this.adds.get(key);
    if (known && known.index !== index) {
      this.violations.push(`${where}: entry acknowledged at ${known.index} now answers ${index}`);
    }
    if (!known) this.adds.set(key, { entry, index });
    this.cutOff.delete(key);
  }

  sawCheckpoint(note: string, vkey: string, where: string): number {
    const cp = openCheckpoint(note, vkey);
    const root = toBase64(cp.root);
    const earlier = this.roots.get(cp.size);
    if (earlier !== undefined && earlier !== root) {
      this.violations.push(`${where}: two roots for size ${cp.size}`);
    }
    this.roots.set(cp.size, root);
    if (cp.size < this.newest) {
      this.violations.push(`${where}: checkpoint went back from ${this.newest} to ${cp.size}`);
    }
    if (cp.size > this.newest) {
      this.newest = cp.size;
      this.newestNote = note;
      this.seen.push({ size: cp.size, at: Date.now() });
    }
    if (!this.firstNote) this.firstNote = note;
    return cp.size;
  }
}

/** Adds random entries until `done()`, one request at a time; returns how many it acknowledged. */
export async function addEntries(
  rr: RoundRobin,
  token: string,
  ledger: Ledger,
  done: () => boolean,
  entryBytes = [16, 200] as [number, number],
): Promise<number> {
  let acked = 0;
  while (!done()) {
    const entry = randomBytes(randomInt(entryBytes[0], entryBytes[1]));
    if (await addOnce(rr, token, ledger, entry, "load")) acked++;
  }
  return acked;
}

/** One add; false when it was cut off (kept in `ledger.cutOff` to retry). */
export async function addOnce(
  rr: RoundRobin,
  token: string,
  ledger: Ledger,
  entry: Uint8Array,
  where: string,
): Promise<boolean> {
  let response: Response;
  let replica: string;
  try {
    const sent = await rr.fetch("/log/add", {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/octet-stream" },
      body: entry.slice(),
    });
    response = sent.response;
    replica = sent.replica.name;
  } catch {
    ledger.cutOff.set(toHex(entry), entry);
    return false;
  }
  let text: string;
  try {
    text = await response.text();
  } catch {
    ledger.cutOff.set(toHex(entry), entry);
    return false;
  }
  if (response.status !== 200) {
    ledger.violations.push(`${where}: add on ${replica} answered ${response.status}: ${text}`);
    return false;
  }
  const { index } = JSON.parse(text) as { index: number };
  ledger.ackAdd(entry, index, `${where} via ${replica}`);
  ledger.addBytes += entry.length;
  return true;
}

/**
 * Sends batches of `records` telemetry records (NDJSON, `makeRecord(i)` each) with a fresh
 * Idempotency-Key, retrying a batch that was cut off with the same key on the next replica.
 */
export async function sendTelemetry(
  rr: RoundRobin,
  token: string,
  ledger: Ledger,
  done: () => boolean,
  records: number,
  makeRecord: () => Record<string, unknown>,
): Promise<void> {
  while (!done()) {
    const key = randomBytes(12).toString("hex");
    const body = `${Array.from({ length: records }, () => JSON.stringify(makeRecord())).join("\n")}\n`;
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        const { response } = await rr.fetch("/v1/events", {
          method: "POST",
          headers: {
            authorization: `Bearer ${token}`,
            "content-type": "application/x-ndjson",
            "idempotency-key": key,
          },
          body,
        });
        const text = await response.text();
        if (response.status === 200) {
          ledger.batches.set(key, { records, bytes: Buffer.byteLength(body) });
          break;
        }
        if (response.status !== 503 && response.status !== 429) {
          ledger.violations.push(`telemetry answered ${response.status}: ${text}`);
          break;
        }
      } catch {
        // Cut off: send the same batch, with the same key, to the next replica.
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Reads the checkpoint round robin until `done()`, recording every one in the ledger. */
export async function watchCheckpoints(
  rr: RoundRobin,
  vkey: string,
  ledger: Ledger,
  done: () => boolean,
): Promise<void> {
  while (!done()) {
    try {
      const { response, replica } = await rr.fetch("/log/checkpoint", { timeoutMs: 5000 });
      const note = await response.text();
      if (response.status === 200)
        ledger.sawCheckpoint(note, vkey, `checkpoint via ${replica.name}`);
    } catch {
      // A replica died mid-request.
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}
