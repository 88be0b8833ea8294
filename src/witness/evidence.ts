/**
 * Split-view evidence (Decision 9): two checkpoints signed by one log that cannot both be true,
 * with what shows it, in a JSON file anyone can check with nothing but the log's verifier key.
 *
 *   {
 *     "type": "https://crosscheck.dev/evidence/split-view/v1",
 *     "origin": "<log origin>",
 *     "first":  "<signed checkpoint note>",   the smaller (or equal) tree
 *     "second": "<signed checkpoint note>",
 *     "consistency": {                         only when the sizes differ
 *       "firstRootInSecond": "<base64>",       root of the first `first.size` leaves of `second`'s tree
 *       "proof": ["<base64>", …]               RFC 6962 consistency proof of that root into `second`
 *     }
 *   }
 *
 * Conclusive when both notes carry a valid signature by the log's key and either the sizes are
 * equal with different roots, or the proof shows that `second`'s tree begins with a tree whose
 * root differs from `first`'s. A failed proof alone proves nothing (the prover may have erred),
 * so the evidence carries a proof that *verifies* and a root that *differs*.
 */
import { Type } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import {
  bytesEqual,
  fromBase64,
  type NoteVerifier,
  openNote,
  parseVerifierKey,
  toBase64,
} from "../crypto/index.js";
import { CrosscheckError } from "../errors/index.js";
import { type Checkpoint, parseCheckpoint, verifyConsistency } from "../merkle/index.js";

export const SPLIT_VIEW_EVIDENCE_TYPE = "https://crosscheck.dev/evidence/split-view/v1";

const Base64Hash = Type.String({ pattern: "^[A-Za-z0-9+/]{43}=$" });

export const SplitViewEvidenceSchema = Type.Object(
  {
    type: Type.Literal(SPLIT_VIEW_EVIDENCE_TYPE),
    origin: Type.String({ minLength: 1, maxLength: 1024 }),
    first: Type.String({ maxLength: 1 << 16 }),
    second: Type.String({ maxLength: 1 << 16 }),
    consistency: Type.Optional(
      Type.Object(
        { firstRootInSecond: Base64Hash, proof: Type.Array(Base64Hash, { maxItems: 64 }) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export interface SplitViewEvidence {
  type: typeof SPLIT_VIEW_EVIDENCE_TYPE;
  origin: string;
  first: string;
  second: string;
  consistency?: { firstRootInSecond: string; proof: string[] };
}

/** Evidence from two notes of one size with different roots. */
export function sameSizeEvidence(first: string, second: string): SplitViewEvidence {
  const origin = parseCheckpoint(noteBody(first)).origin;
  return { type: SPLIT_VIEW_EVIDENCE_TYPE, origin, first, second };
}

/**
 * Evidence from a smaller tree `first` and a larger `second`, given the root of `second`'s first
 * `first.size` leaves and the consistency proof of that root into `second` (both read from the
 * log's tiles for `second`'s tree).
 */
export function inconsistencyEvidence(
  first: string,
  second: string,
  firstRootInSecond: Uint8Array,
  proof: readonly Uint8Array[],
): SplitViewEvidence {
  const origin = parseCheckpoint(noteBody(first)).origin;
  return {
    type: SPLIT_VIEW_EVIDENCE_TYPE,
    origin,
    first,
    second,
    consistency: { firstRootInSecond: toBase64(firstRootInSecond), proof: proof.map(toBase64) },
  };
}

export function parseSplitViewEvidence(text: string): SplitViewEvidence {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid("it is not JSON");
  }
  if (!Value.Check(SplitViewEvidenceSchema, value)) {
    const first = Value.Errors(SplitViewEvidenceSchema, value).First();
    throw invalid(`at ${first?.path || "/"}: ${first?.message ?? "unexpected shape"}`);
  }
  return value as SplitViewEvidence;
}

/**
 * Checks the evidence against the log's verifier key; returns a sentence saying what it proves,
 * or throws E_EVIDENCE_INVALID saying why it proves nothing.
 */
export function verifySplitViewEvidence(
  evidence: SplitViewEvidence,
  logVerifierKey: string,
): string {
  const verifier = parseVerifierKey(logVerifierKey);
  const open = (note: string, which: string): Checkpoint => {
    let text: string;
    try {
      text = openNote(note, [verifier]).text;
    } catch (err) {
      throw invalid(
        `the ${which} checkpoint is not signed by ${verifier.name}: ${(err as Error).message}`,
      );
    }
    const checkpoint = parseCheckpoint(text);
    if (checkpoint.origin !== verifier.name || checkpoint.origin !== evidence.origin) {
      throw invalid(`the ${which} checkpoint is for another log (${checkpoint.origin})`);
    }
    return checkpoint;
  };
  const a = open(evidence.first, "first");
  const b = open(evidence.second, "second");
  if (a.size === b.size) {
    if (bytesEqual(a.root, b.root))
      throw invalid("both checkpoints have the same root: they agree");
    return `${evidence.origin} signed two different roots for size ${a.size}.`;
  }
  const [small, large] = a.size < b.size ? [a, b] : [b, a];
  if (!evidence.consistency || small !== a) {
    throw invalid(
      "checkpoints of different sizes need the consistency part, the smaller one first",
    );
  }
  const rootInLarge = fromBase64(evidence.consistency.firstRootInSecond);
  try {
    verifyConsistency(
      small.size,
      large.size,
      evidence.consistency.proof.map(fromBase64),
      rootInLarge,
      large.root,
    );
  } catch {
    throw invalid("its consistency proof does not verify into the second checkpoint");
  }
  if (bytesEqual(rootInLarge, small.root)) {
    throw invalid("the second tree does begin with the first: the checkpoints are consistent");
  }
  return `${evidence.origin} signed a tree of size ${large.size} that does not extend the tree of size ${small.size} it also signed.`;
}

/**
 * The note reduced to what makes it evidence: its text and the signature lines that verify under
 * the log's key, duplicates dropped. Whatever else a caller attached (other signature lines, any
 * junk) is theirs, not the log's, and is not kept. Throws if the log did not sign the note.
 */
export function signedByLog(note: string, logVerifier: NoteVerifier): string {
  const opened = openNote(note, [logVerifier]); // drops repeated lines
  let lines = "";
  for (const s of opened.signatures) {
    if (!s.verified) continue;
    const bytes = new Uint8Array(4 + s.signature.length);
    new DataView(bytes.buffer).setUint32(0, s.keyHash, false);
    bytes.set(s.signature, 4);
    lines += `— ${s.name} ${toBase64(bytes)}\n`;
  }
  return `${opened.text}\n${lines}`;
}

function noteBody(note: string): string {
  const end = note.indexOf("\n\n");
  if (end < 0) throw invalid("a checkpoint is not a signed note");
  return note.slice(0, end + 1);
}

function invalid(why: string): CrosscheckError {
  return new CrosscheckError(
    "E_EVIDENCE_INVALID",
    `The split-view evidence proves nothing: ${why}.`,
  );
}
