/**
 * The monitor: tails a log through its C2SP read API and checks it with nothing but a trust
 * policy. Each poll
 *
 * 1. fetches /checkpoint and verifies it with the policy's log key;
 * 2. proves it consistent with the newest checkpoint seen before (same size ⇒ same root; a larger
 *    tree ⇒ a consistency proof from its tiles), or returns split-view evidence and stops there;
 * 3. reads the next entries (at most `maxEntriesPerPoll`, entry bundles fetched `concurrency` at a
 *    time), proves that they are exactly the leaves the checkpoint commits to (their compact range
 *    is carried in the state, so this costs one consistency proof, not a re-read of the log), and
 *    only then checks each one against the policy, in log order.
 *
 * State survives restarts (`state`, JSON): a restarted monitor continues where it stopped.
 */
import { bytesEqual, fromBase64, openNote, parseVerifierKey, toBase64 } from "../crypto/index.js";
import { CrosscheckError, isCrosscheckError } from "../errors/index.js";
import { type LogClient, openCheckpoint, proveConsistency } from "../log/index.js";
import {
  type Checkpoint,
  CompactRange,
  cosignatureVerifier,
  leafHash,
  TILE_WIDTH,
  tileWidth,
  verifyConsistency,
} from "../merkle/index.js";
import type { TrustedPolicy } from "../policy/index.js";
import type { SplitViewEvidence } from "../witness/index.js";
import { type Alert, alert } from "./alerts.js";
import { EntryChecker } from "./checks.js";
import { judgeConsistency } from "./consistency.js";
import { emptyMonitorState, type MonitorState } from "./state.js";

export interface MonitorOptions {
  client: LogClient;
  policy: TrustedPolicy;
  /** A state saved by an earlier run against the same log. */
  state?: MonitorState;
  /** Entries read and checked per poll (default 4096): one poll's work is bounded. */
  maxEntriesPerPoll?: number;
  /** Entry bundles fetched at once (default 4). */
  concurrency?: number;
}

export interface PollResult {
  alerts: Alert[];
  /** Size of the checkpoint the log served, when it verified. */
  servedSize?: number;
  /** Size of the newest checkpoint proved consistent with everything seen before. */
  verifiedSize: number;
  /** Policy witnesses whose cosignature on the served checkpoint verified. */
  cosignedBy: string[];
  /** Entries read and checked in this poll, and the index of the next one to read. */
  entriesChecked: number;
  next: number;
  /** Every entry of the verified checkpoint has been checked. */
  caughtUp: boolean;
  /** Present when the log was caught showing a split view: the file to publish. */
  evidence?: SplitViewEvidence;
}

export class Monitor {
  readonly client: LogClient;
  readonly policy: TrustedPolicy;
  readonly logKey: string;
  readonly origin: string;
  private readonly maxEntries: number;
  private readonly concurrency: number;
  private current: MonitorState;

  constructor(options: MonitorOptions) {
    this.client = options.client;
    this.policy = options.policy;
    const log = options.policy.parsedLog.logs[0];
    if (!log) throw new CrosscheckError("E_POLICY_MALFORMED", "The policy names no log.");
    this.logKey = log.key;
    this.origin = parseVerifierKey(log.key).name;
    this.maxEntries = Math.max(1, options.maxEntriesPerPoll ?? 4096);
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    const state = options.state ? structuredClone(options.state) : emptyMonitorState(this.origin);
    if (state.origin !== this.origin) {
      throw new CrosscheckError(
        "E_MONITOR_STATE",
        `The saved monitor state is for the log ${JSON.stringify(state.origin)}, but the policy's log is ${JSON.stringify(this.origin)}. Use another state file.`,
      );
    }
    if (state.checkpoint !== null) {
      const saved = openCheckpoint(state.checkpoint, this.logKey);
      if (state.next > saved.size) {
        throw new CrosscheckError(
          "E_MONITOR_STATE",
          `The saved monitor state has read ${state.next} entries of a checkpoint of size ${saved.size}.`,
        );
      }
    }
    // Validates the peaks against `next`.
    new CompactRange(state.next, state.peaks.map(fromBase64));
    this.current = state;
  }

  /** A copy of the state, to save. */
  get state(): MonitorState {
    return structuredClone(this.current);
  }

  /** The newest checkpoint proved consistent (a signed note), if any. */
  get checkpoint(): string | null {
    return this.current.checkpoint;
  }

  /** One step: checkpoint, consistency, then a bounded batch of entries. */
  async poll(): Promise<PollResult> {
    const state = this.current;
    const alerts: Alert[] = [];
    const result = (extra: Partial<PollResult> = {}): PollResult => ({
      alerts,
      verifiedSize: state.checkpoint ? sizeOf(state.checkpoint, this.logKey) : 0,
      cosignedBy: [],
      entriesChecked: 0,
      next: state.next,
      caughtUp: state.checkpoint !== null && state.next === sizeOf(state.checkpoint, this.logKey),
      ...extra,
    });

    const note = await this.client.checkpoint();
    let served: Checkpoint;
    try {
      served = openCheckpoint(note, this.logKey);
    } catch (err) {
      if (!isCrosscheckError(err)) throw err;
      alerts.push(
        alert(
          "M_CHECKPOINT_INVALID",
          `The log at ${this.client.url} served a checkpoint that the policy's log key does not verify: ${err.message}`,
        ),
      );
      return result();
    }
    const cosignedBy = this.cosigners(note);

    if (state.checkpoint !== null) {
      const known = openCheckpoint(state.checkpoint, this.logKey);
      if (served.size < known.size) {
        alerts.push(
          alert(
            "M_LOG_SHRANK",
            `The log served a checkpoint of size ${served.size} after one of size ${known.size}: a log never shrinks. Keep both checkpoints; the monitor stays at size ${known.size}.`,
          ),
        );
        return result({ servedSize: served.size, cosignedBy });
      }
      const judged = await judgeConsistency(
        { note: state.checkpoint, checkpoint: known },
        { note, checkpoint: served },
        this.client.tileSource,
      );
      if (judged.status === "split-view") {
        alerts.push(
          alert(
            "M_SPLIT_VIEW",
            `Split view: ${judged.reason}. The two signed checkpoints are the evidence; publish them.`,
          ),
        );
        return result({ servedSize: served.size, cosignedBy, evidence: judged.evidence });
      }
      if (judged.status === "unproven") {
        alerts.push(
          alert(
            "M_TILES_INVALID",
            `Cannot prove that the log's checkpoint of size ${served.size} extends the one of size ${known.size}: ${judged.reason}.`,
          ),
        );
        return result({ servedSize: served.size, cosignedBy });
      }
    }
    state.checkpoint = note;

    const checked = await this.readEntries(served, alerts);
    return result({ servedSize: served.size, cosignedBy, entriesChecked: checked });
  }

  /** Reads, proves and checks the next batch of entries of `tree`; returns how many. */
  private async readEntries(tree: Checkpoint, alerts: Alert[]): Promise<number> {
    const state = this.current;
    const start = state.next;
    const end = Math.min(tree.size, start + this.maxEntries);
    if (end <= start) return 0;

    const first = Math.floor(start / TILE_WIDTH);
    const last = Math.floor((end - 1) / TILE_WIDTH);
    const bundles = await boundedMap(last - first + 1, this.concurrency, (i) =>
      this.client.entries(first + i, tileWidth(tree.size, 0, first + i)),
    );
    const entries: Uint8Array[] = [];
    const range = new CompactRange(state.next, state.peaks.map(fromBase64));
    for (let index = start; index < end; index++) {
      const bundle = bundles[Math.floor(index / TILE_WIDTH) - first] as Uint8Array[];
      const entry = bundle[index % TILE_WIDTH] as Uint8Array;
      entries.push(entry);
      range.append(leafHash(entry));
    }

    // The entries must be exactly the leaves the verified checkpoint commits to.
    let proved = false;
    if (end === tree.size) {
      proved = bytesEqual(range.root(), tree.root);
    } else {
      try {
        const proof = await proveConsistency(this.client.tileSource, end, tree.size);
        verifyConsistency(end, tree.size, proof, range.root(), tree.root);
        proved = true;
      } catch (err) {
        if (!isCrosscheckError(err)) throw err;
      }
    }
    if (!proved) {
      alerts.push(
        alert(
          "M_ENTRIES_MISMATCH",
          `The entries ${start} to ${end - 1} the log served are not the leaves of its checkpoint of size ${tree.size}: the log serves other entries than it signed. They were not checked.`,
        ),
      );
      return 0;
    }

    const checker = new EntryChecker(this.policy, state);
    for (let i = 0; i < entries.length; i++) {
      alerts.push(...checker.check(start + i, entries[i] as Uint8Array));
    }
    state.next = end;
    state.peaks = range.peaks.map(toBase64);
    return entries.length;
  }

  private cosigners(note: string): string[] {
    const names: string[] = [];
    for (const witness of this.policy.parsedLog.witnesses) {
      try {
        openNote(note, [cosignatureVerifier(witness.key)]);
        names.push(witness.name);
      } catch {
        // Not cosigned by this witness (or not validly): it does not count.
      }
    }
    return names;
  }
}

function sizeOf(note: string, key: string): number {
  return openCheckpoint(note, key).size;
}

/** `fn(0..n-1)` with at most `concurrency` running at once; results in order. */
async function boundedMap<T>(
  n: number,
  concurrency: number,
  fn: (i: number) => Promise<T>,
): Promise<T[]> {
  const out = new Array<T>(n);
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      out[i] = await fn(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, concurrency) }, worker));
  return out;
}
