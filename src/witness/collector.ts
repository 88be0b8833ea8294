/**
 * The log's side of witnessing: after every new checkpoint, ask each configured witness to cosign
 * it (C2SP tlog-witness add-checkpoint, with a consistency proof from the size that witness last
 * cosigned), and publish the checkpoint with its cosignatures as soon as the witness quorum of the
 * log's tlog-policy is met. Fail closed: nothing is published below quorum.
 *
 * The sequencer never waits for this: a new checkpoint supersedes one still being witnessed, each
 * request has a timeout, and a round that misses the quorum is retried on a timer, so a slow or
 * dead witness delays cosigned publication, never integration.
 */
import { type NoteVerifier, parseNote } from "../crypto/index.js";
import { readLimited } from "../log/index.js";
import { cosignatureVerifier, parseCheckpoint } from "../merkle/index.js";
import { quorumSatisfied, type TlogPolicy } from "../policy/index.js";
import { formatAddCheckpoint, parseTlogSize, TLOG_SIZE_CONTENT_TYPE } from "./protocol.js";

export interface CollectorOptions {
  /** The log's tlog-policy: its witnesses (with URLs) and the quorum to meet. */
  policy: TlogPolicy;
  /** RFC 6962 consistency proof between two sizes of the log's tree. */
  consistencyProof: (size1: number, size2: number) => Promise<Uint8Array[]>;
  /** Called with each newly cosigned checkpoint (the log's note plus cosignature lines). */
  publish: (note: string) => Promise<void>;
  timeoutMs?: number;
  retryMs?: number;
  fetch?: typeof fetch;
  /** Where problems with witnesses are reported (a dead witness is not an error of the log). */
  warn?: (message: string) => void;
}

const MAX_WITNESS_RESPONSE = 1 << 16;

interface Target {
  name: string;
  url: string;
  verifier: NoteVerifier;
  /** The size this witness last cosigned, as far as we know. */
  knownSize: number;
}

export class CosignatureCollector {
  private readonly targets: Target[];
  private latest: string | undefined;
  private published = -1;
  private running: Promise<void> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private readonly fetcher: typeof fetch;

  constructor(private readonly options: CollectorOptions) {
    this.fetcher = options.fetch ?? fetch;
    this.targets = options.policy.witnesses
      .filter((w) => w.url)
      .map((w) => ({
        name: w.name,
        url: (w.url as string).replace(/\/+$/, ""),
        verifier: cosignatureVerifier(w.key),
        knownSize: 0,
      }));
  }

  /** Offers the log's newest checkpoint; an older one still in flight is superseded. */
  offer(note: string): void {
    if (this.closed) return;
    this.latest = note;
    this.running ??= this.loop();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private async loop(): Promise<void> {
    try {
      while (!this.closed && this.latest) {
        const note = this.latest;
        // A failed round (a witness answered nonsense, storing the result failed) is retried.
        const met = await this.round(note).catch((err: unknown) => {
          this.options.warn?.(
            `cosigning size ${sizeOfNote(note)} failed: ${(err as Error).message}`,
          );
          return false;
        });
        if (this.latest === note) {
          if (!met) this.scheduleRetry(note);
          this.latest = undefined;
        }
      }
    } finally {
      this.running = undefined;
    }
  }

  private scheduleRetry(note: string): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.latest) this.offer(note);
    }, this.options.retryMs ?? 2000);
    this.timer.unref?.();
  }

  /** Asks every witness; publishes as soon as the quorum is met. Returns whether it was. */
  private async round(note: string): Promise<boolean> {
    const { text } = parseNote(note);
    const size = parseCheckpoint(text).size;
    if (size <= this.published) return true;
    const lines = new Map<string, string>();
    let published = false;
    const publishIfQuorum = async () => {
      if (published || !quorumSatisfied(this.options.policy, new Set(lines.keys()))) return;
      published = true;
      await this.publish(note, size, [...lines.values()]);
    };
    await Promise.all(
      this.targets.map(async (target) => {
        const line = await this.request(target, note, size).catch((err: unknown) => {
          this.options.warn?.(`witness ${target.name}: ${(err as Error).message}`);
          return undefined;
        });
        if (line) {
          lines.set(target.name, line);
          await publishIfQuorum();
        }
      }),
    );
    // Witnesses that answered after the quorum was met still add their cosignatures.
    if (published && lines.size > 0) await this.publish(note, size, [...lines.values()], true);
    return published;
  }

  private async publish(note: string, size: number, lines: string[], again = false): Promise<void> {
    if (size < this.published || (size === this.published && !again)) return;
    await this.options.publish(note + lines.join(""));
    // Only once stored: a failed publish leaves the size to be published again.
    this.published = Math.max(this.published, size);
  }

  /** One add-checkpoint exchange; follows a 409 once to the size the witness really holds. */
  private async request(target: Target, note: string, size: number): Promise<string | undefined> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const old = target.knownSize <= size ? target.knownSize : 0;
      const proof = old > 0 && old < size ? await this.options.consistencyProof(old, size) : [];
      const response = await this.fetcher(`${target.url}/add-checkpoint`, {
        method: "POST",
        body: formatAddCheckpoint({ oldSize: old, proof, checkpoint: note }),
        redirect: "error",
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
      });
      // A witness's answer is a few lines; one that streams on is refused, not buffered.
      const body = new TextDecoder().decode(await readLimited(response, MAX_WITNESS_RESPONSE));
      if (response.status === 200) {
        target.knownSize = size;
        return this.cosignatureLine(target, note, body);
      }
      if (
        response.status === 409 &&
        response.headers.get("content-type")?.startsWith(TLOG_SIZE_CONTENT_TYPE)
      ) {
        const theirs = parseTlogSize(body);
        if (theirs === undefined) throw new Error("answered 409 without a size");
        if (theirs > size) {
          throw new Error(
            `has cosigned size ${theirs}, larger than this log's ${size}: the log lost entries or forked`,
          );
        }
        if (theirs === target.knownSize)
          throw new Error(`refused size ${size} as conflicting with its size ${theirs}`);
        target.knownSize = theirs;
        continue;
      }
      throw new Error(`answered HTTP ${response.status}: ${body.trim().slice(0, 200)}`);
    }
    return undefined;
  }

  private cosignatureLine(target: Target, note: string, body: string): string | undefined {
    const { text } = parseNote(note);
    // The witness's answer is signature lines; checked as if appended to the checkpoint.
    const lines = body
      .split("\n")
      .filter((l) => l.startsWith("— "))
      .map((l) => `${l}\n`);
    for (const line of lines) {
      try {
        const candidate = parseNote(`${text}\n${line}`).signatures[0];
        if (
          candidate &&
          candidate.name === target.verifier.name &&
          candidate.keyHash === target.verifier.keyHash &&
          target.verifier.verify(new TextEncoder().encode(text), candidate.signature)
        ) {
          return line;
        }
      } catch {
        // Not a well-formed signature line: ignore it, as the spec says for unknown ones.
      }
    }
    throw new Error("answered 200 without a valid cosignature by its key");
  }
}

function sizeOfNote(note: string): number {
  return parseCheckpoint(parseNote(note).text).size;
}
