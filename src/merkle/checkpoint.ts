/**
 * C2SP tlog-checkpoint note text (the body a log signs):
 *
 *     <origin>\n<tree size>\n<base64 root hash>\n[<extension line>\n]*
 *
 * The origin is non-empty, the size is ASCII decimal without leading zeros, the root is the 32-byte
 * RFC 6962 root in standard padded base64, and extension lines are opaque but non-empty. Parsing
 * accepts exactly what formatting produces, so a body has one spelling.
 */
import { fromBase64, toBase64 } from "../crypto/index.js";
import { CrosscheckError } from "../errors/index.js";
import { HASH_SIZE } from "./rfc6962.js";

export interface Checkpoint {
  origin: string;
  size: number;
  root: Uint8Array;
  extensions: string[];
}

/** The note text of a checkpoint, ending in a newline. */
export function formatCheckpoint(cp: Checkpoint): string {
  if (cp.origin === "" || cp.origin.includes("\n")) {
    throw malformed("A checkpoint origin must be one non-empty line.");
  }
  if (!Number.isSafeInteger(cp.size) || cp.size < 0) {
    throw malformed(`A checkpoint size must be a whole number from 0 to 2^53-1, got ${cp.size}.`);
  }
  if (cp.root.length !== HASH_SIZE) {
    throw malformed(`A checkpoint root must be ${HASH_SIZE} bytes, got ${cp.root.length}.`);
  }
  for (const ext of cp.extensions) {
    if (ext === "" || ext.includes("\n")) {
      throw malformed("A checkpoint extension must be one non-empty line.");
    }
  }
  const lines = [cp.origin, String(cp.size), toBase64(cp.root), ...cp.extensions];
  return `${lines.join("\n")}\n`;
}

/** Parses checkpoint note text (without signatures); anything off is `E_CHECKPOINT_MALFORMED`. */
export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith("\n")) throw malformed("A checkpoint must end with a newline.");
  const lines = text.slice(0, -1).split("\n");
  if (lines.length < 3) {
    throw malformed(`A checkpoint has at least 3 lines (origin, size, root), got ${lines.length}.`);
  }
  const empty = lines.indexOf("");
  if (empty >= 0) {
    throw malformed(
      `Line ${empty + 1} of the checkpoint is empty; pass the note text without its signatures.`,
    );
  }
  const [origin, sizeText, rootText, ...extensions] = lines as [
    string,
    string,
    string,
    ...string[],
  ];
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) {
    throw malformed(
      `The checkpoint size "${sizeText}" must be decimal without leading zeros, at most 2^53-1.`,
    );
  }
  let root: Uint8Array;
  try {
    root = fromBase64(rootText);
  } catch {
    throw malformed(`The checkpoint root "${rootText}" is not canonical base64.`);
  }
  if (root.length !== HASH_SIZE) {
    throw malformed(`The checkpoint root must be ${HASH_SIZE} bytes, got ${root.length}.`);
  }
  return { origin, size: Number(sizeText), root, extensions };
}

function malformed(message: string): CrosscheckError {
  return new CrosscheckError("E_CHECKPOINT_MALFORMED", message);
}
