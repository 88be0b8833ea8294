/**
 * A C2SP tlog-witness: it knows some logs (origin and key), remembers the newest checkpoint it
 * cosigned for each, and cosigns a new checkpoint only when it provably extends that one.
 *
 * `addCheckpoint`, in the spec's order, each refusal with the spec's status:
 *   malformed request                                               400
 *   unknown origin                                                  404
 *   no valid signature by the log's key                             403
 *   old size larger than the checkpoint's                           400  (a smaller tree: evidence kept)
 *   old size is not the size last cosigned                          409  "<size>\n" text/x.tlog.size
 *   same size, another root                                         409  (two roots for one size: evidence kept)
 *   consistency proof does not verify                               422  (evidence kept)
 * then stores the new checkpoint and answers 200 with its cosignature, in that order: nothing is
 * cosigned that is not on disk, so a killed witness never cosigns two inconsistent trees.
 */
import {
  bytesEqual,
  type NoteSigner,
  type NoteVerifier,
  openNote,
  parseNote,
  parseVerifierKey,
  signNote,
} from "../crypto/index.js";
import { isCrosscheckError } from "../errors/index.js";
import {
  type Checkpoint,
  EMPTY_ROOT,
  parseCheckpoint,
  verifyConsistency,
} from "../merkle/index.js";
import { signedByLog } from "./evidence.js";
import { parseAddCheckpoint, TLOG_SIZE_CONTENT_TYPE } from "./protocol.js";
import type { WitnessStore } from "./store.js";

export interface WitnessResponse {
  status: number;
  contentType: string;
  body: string;
}

export interface WitnessOptions {
  /** The witness's cosignature/v1 signer (see `cosignatureSigner`). */
  signer: NoteSigner;
  /** Verifier keys of the logs it witnesses; each key's name is the log's origin. */
  logs: readonly string[];
  store: WitnessStore;
}

class Refusal extends Error {
  /** What to keep as evidence once the refused transaction is rolled back. */
  evidence?: { kind: string; cosigned: string };

  constructor(
    readonly status: number,
    message: string,
    readonly contentType = "text/plain; charset=utf-8",
  ) {
    super(message);
  }

  keeping(kind: string, cosigned: string | undefined): this {
    if (cosigned) this.evidence = { kind, cosigned };
    return this;
  }
}

export class Witness {
  readonly name: string;
  private readonly signer: NoteSigner;
  private readonly logs: Map<string, NoteVerifier>;
  private readonly store: WitnessStore;

  constructor(options: WitnessOptions) {
    this.signer = options.signer;
    this.name = options.signer.name;
    this.store = options.store;
    this.logs = new Map(
      options.logs.map((vkey) => {
        const verifier = parseVerifierKey(vkey);
        return [verifier.name, verifier] as const;
      }),
    );
  }

  addCheckpoint(body: string): WitnessResponse {
    try {
      return { status: 200, contentType: "text/plain; charset=utf-8", body: this.cosign(body) };
    } catch (err) {
      if (err instanceof Refusal)
        return { status: err.status, contentType: err.contentType, body: err.message };
      throw err;
    }
  }

  private cosign(body: string): string {
    let request: ReturnType<typeof parseAddCheckpoint>;
    let text: string;
    try {
      request = parseAddCheckpoint(body);
      text = parseNote(request.checkpoint).text;
    } catch (err) {
      throw new Refusal(400, isCrosscheckError(err) ? `${err.message}\n` : "malformed request\n");
    }
    let checkpoint: Checkpoint;
    try {
      checkpoint = parseCheckpoint(text);
    } catch (err) {
      throw new Refusal(400, `${(err as Error).message}\n`);
    }
    const log = this.logs.get(checkpoint.origin);
    if (!log) throw new Refusal(404, `This witness does not witness ${checkpoint.origin}.\n`);
    try {
      openNote(request.checkpoint, [log]);
    } catch {
      throw new Refusal(403, `The checkpoint carries no valid signature by ${log.name}'s key.\n`);
    }

    try {
      this.store.advance(checkpoint.origin, (current) => {
        const known = current ?? { size: 0, root: EMPTY_ROOT, checkpoint: "" };
        const smaller = current && checkpoint.size < current.size ? current.checkpoint : undefined;
        if (request.oldSize > checkpoint.size) {
          throw new Refusal(
            400,
            `The old size ${request.oldSize} is larger than the checkpoint's size ${checkpoint.size}.\n`,
          ).keeping("smaller-tree", smaller);
        }
        if (request.oldSize !== known.size) {
          // A same-size fork is evidence whatever old size the request claims.
          const forked =
            current !== undefined &&
            checkpoint.size === current.size &&
            !bytesEqual(checkpoint.root, current.root);
          throw new Refusal(409, `${known.size}\n`, TLOG_SIZE_CONTENT_TYPE).keeping(
            forked ? "same-size-different-root" : "smaller-tree",
            forked ? current.checkpoint : smaller,
          );
        }
        if (checkpoint.size === known.size) {
          if (!bytesEqual(checkpoint.root, known.root)) {
            throw new Refusal(409, `${known.size}\n`, TLOG_SIZE_CONTENT_TYPE).keeping(
              "same-size-different-root",
              current?.checkpoint,
            );
          }
        } else if (known.size > 0) {
          try {
            verifyConsistency(
              known.size,
              checkpoint.size,
              request.proof,
              known.root,
              checkpoint.root,
            );
          } catch {
            throw new Refusal(
              422,
              `The consistency proof from size ${known.size} to ${checkpoint.size} does not verify.\n`,
            ).keeping("inconsistent", known.checkpoint);
          }
        }
        return {
          next: { size: checkpoint.size, root: checkpoint.root, checkpoint: request.checkpoint },
          result: undefined,
        };
      });
    } catch (err) {
      // The transaction rolled back; the refused checkpoint is kept on its own (Decision 9),
      // reduced to what the log signed: the rest of a request is the caller's, and a hostile
      // caller must not be able to fill the disk with it.
      if (err instanceof Refusal && err.evidence) {
        this.store.keepEvidence({
          origin: checkpoint.origin,
          kind: err.evidence.kind,
          cosignedCheckpoint: signedByLog(err.evidence.cosigned, log),
          request: signedByLog(request.checkpoint, log),
        });
      }
      throw err;
    }

    // On disk now; only then cosign. The signature lines of a note signed by us alone.
    return signNote(text, [this.signer]).slice(text.length + 1);
  }
}
