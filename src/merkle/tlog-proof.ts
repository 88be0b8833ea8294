/**
 * C2SP tlog-proof v1 (https://c2sp.org/tlog-proof): an offline-verifiable proof that an entry is in
 * a log, as text lines separated by U+000A:
 *
 *     c2sp.org/tlog-proof@v1
 *     [extra <base64 opaque data>]          optional, unauthenticated
 *     index <decimal, no leading zeros>
 *     <base64 SHA-256 hash>                  zero or more: the RFC 6962 inclusion proof, leaf up
 *     <empty line>
 *     <the signed checkpoint note, verbatim, with its signatures and cosignatures>
 *
 * This module only reads and writes the format. Verifying the note's signatures and the inclusion
 * proof against the checkpoint is the caller's job (crypto and verify).
 */
import { fromBase64, toBase64 } from "../crypto/index.js";
import { CrosscheckError } from "../errors/index.js";
import { parseCheckpoint } from "./checkpoint.js";
import { HASH_SIZE } from "./rfc6962.js";

export const TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1";

export interface TlogProof {
  /** Zero-based index of the entry in the log. */
  index: number;
  /** Inclusion proof hashes, from the leaf's sibling up to the root's child. */
  proof: Uint8Array[];
  /** The signed checkpoint note text, verbatim (body, blank line, signature lines). */
  checkpoint: string;
  /** Opaque application data; not authenticated by anything in the proof. */
  extra?: Uint8Array;
}

export function formatTlogProof(p: TlogProof): string {
  if (!Number.isSafeInteger(p.index) || p.index < 0) {
    throw malformed(`A tlog-proof index must be a whole number from 0 to 2^53-1, got ${p.index}.`);
  }
  for (const [i, hash] of p.proof.entries()) {
    if (hash.length !== HASH_SIZE) {
      throw malformed(`Proof hash ${i} is ${hash.length} bytes; it must be ${HASH_SIZE}.`);
    }
  }
  checkNote(p.checkpoint);
  const lines = [TLOG_PROOF_HEADER];
  if (p.extra !== undefined) lines.push(`extra ${toBase64(p.extra)}`);
  lines.push(`index ${p.index}`);
  for (const hash of p.proof) lines.push(toBase64(hash));
  return `${lines.join("\n")}\n\n${p.checkpoint}`;
}

/** Parses a tlog-proof strictly; anything off is `E_TLOG_PROOF_MALFORMED`. */
export function parseTlogProof(text: string): TlogProof {
  const blank = text.indexOf("\n\n");
  if (blank < 0) throw malformed("A tlog-proof needs an empty line before its checkpoint.");
  const lines = text.slice(0, blank).split("\n");
  const checkpoint = text.slice(blank + 2);
  if (lines[0] !== TLOG_PROOF_HEADER) {
    throw malformed(`A tlog-proof starts with the line "${TLOG_PROOF_HEADER}".`);
  }
  let at = 1;
  let extra: Uint8Array | undefined;
  const extraLine = lines[at];
  if (extraLine?.startsWith("extra ")) {
    extra = decode(extraLine.slice("extra ".length), "extra data");
    at++;
  }
  const indexLine = lines[at] ?? "";
  const indexText = indexLine.startsWith("index ") ? indexLine.slice("index ".length) : undefined;
  if (indexText === undefined) {
    throw malformed(`Line ${at + 1} of the tlog-proof must be "index <N>".`);
  }
  if (!/^(0|[1-9][0-9]*)$/.test(indexText) || !Number.isSafeInteger(Number(indexText))) {
    throw malformed(`The tlog-proof index "${indexText}" must be decimal without leading zeros.`);
  }
  const proof: Uint8Array[] = [];
  for (let i = at + 1; i < lines.length; i++) {
    const hash = decode(lines[i] as string, `proof line ${i + 1}`);
    if (hash.length !== HASH_SIZE) {
      throw malformed(`Proof line ${i + 1} holds ${hash.length} bytes; a hash is ${HASH_SIZE}.`);
    }
    proof.push(hash);
  }
  checkNote(checkpoint);
  const parsed: TlogProof = { index: Number(indexText), proof, checkpoint };
  if (extra !== undefined) parsed.extra = extra;
  return parsed;
}

/** The checkpoint must be a signed note whose body is a checkpoint: body, blank line, signatures. */
function checkNote(note: string): void {
  const split = note.indexOf("\n\n");
  if (split < 0 || !note.endsWith("\n") || note.length === split + 2) {
    throw malformed(
      "The tlog-proof checkpoint must be a signed note: body, empty line, signatures.",
    );
  }
  try {
    parseCheckpoint(note.slice(0, split + 1));
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw malformed(`The tlog-proof checkpoint body is not a checkpoint: ${why}`);
  }
}

function decode(text: string, what: string): Uint8Array {
  try {
    return fromBase64(text);
  } catch {
    throw malformed(`The tlog-proof ${what} is not canonical base64.`);
  }
}

function malformed(message: string): CrosscheckError {
  return new CrosscheckError("E_TLOG_PROOF_MALFORMED", message);
}
