/**
 * C2SP tlog-witness `add-checkpoint`, the wire format only:
 *
 *   request body   "old <size>\n" + up to 63 base64 proof lines + "\n" + the signed checkpoint
 *   200            one or more note signature lines ("— name base64\n"): the cosignatures
 *   409            "<size>\n", Content-Type text/x.tlog.size, when `old` is not the size the
 *                  witness last cosigned (or the same size arrives with another root)
 *   400 / 403 / 404 / 422   malformed / no trusted signature / unknown origin / bad proof
 */
import { fromBase64, toBase64 } from "../crypto/index.js";
import { CrosscheckError } from "../errors/index.js";

export const TLOG_SIZE_CONTENT_TYPE = "text/x.tlog.size";
export const MAX_PROOF_LINES = 63;
/** A checkpoint note is small; anything near this is not one. */
export const MAX_REQUEST_SIZE = 1 << 16;

export interface AddCheckpointRequest {
  oldSize: number;
  proof: Uint8Array[];
  /** The signed checkpoint note, as sent. */
  checkpoint: string;
}

export function formatAddCheckpoint(request: AddCheckpointRequest): string {
  const proof = request.proof.map((h) => `${toBase64(h)}\n`).join("");
  return `old ${request.oldSize}\n${proof}\n${request.checkpoint}`;
}

export function parseAddCheckpoint(body: string): AddCheckpointRequest {
  if (body.length > MAX_REQUEST_SIZE) throw malformed("the request is too large");
  const blank = body.indexOf("\n\n");
  if (blank < 0)
    throw malformed("no empty line separates the old size and proof from the checkpoint");
  const lines = body.slice(0, blank).split("\n");
  const checkpoint = body.slice(blank + 2);
  const match = /^old (0|[1-9][0-9]{0,15})$/.exec(lines[0] ?? "");
  if (!match)
    throw malformed('the first line must be "old <size>" in decimal without leading zeros');
  const oldSize = Number(match[1]);
  if (!Number.isSafeInteger(oldSize)) throw malformed("the old size is too large");
  const proofLines = lines.slice(1);
  if (proofLines.length > MAX_PROOF_LINES)
    throw malformed(`more than ${MAX_PROOF_LINES} proof lines`);
  const proof = proofLines.map((line, i) => {
    let hash: Uint8Array;
    try {
      hash = fromBase64(line);
    } catch {
      throw malformed(`proof line ${i + 1} is not base64`);
    }
    if (hash.length !== 32) throw malformed(`proof line ${i + 1} is not a 32-byte hash`);
    return hash;
  });
  if (oldSize === 0 && proof.length > 0) throw malformed("a proof from size 0 must be empty");
  return { oldSize, proof, checkpoint };
}

/** Reads the size a witness answered a 409 with. */
export function parseTlogSize(body: string): number | undefined {
  const match = /^(0|[1-9][0-9]{0,15})\n$/.exec(body);
  return match ? Number(match[1]) : undefined;
}

function malformed(why: string): CrosscheckError {
  return new CrosscheckError(
    "E_WITNESS_REQUEST",
    `The add-checkpoint request is malformed: ${why}.`,
  );
}
