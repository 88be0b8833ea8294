/**
 * in-toto Statement v1 (https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md),
 * the payload of every envelope we sign, with payloadType `application/vnd.in-toto+json`:
 *
 *   {"_type": "https://in-toto.io/Statement/v1",
 *    "subject": [{"name": …, "digest": {"sha256": lowerhex}}, …],
 *    "predicateType": URI, "predicate": {…}}
 *
 * Stricter than the spec, on purpose: every subject has a name and exactly a sha256 digest,
 * names are unique, a predicate object is required, and nothing else may appear. That is all our
 * predicates need, and a verifier that accepts less has less to be confused by.
 */
import { type Static, Type } from "@sinclair/typebox";
import { sha256, toHex, utf8Decode, utf8Encode } from "../crypto/index.js";
import { CrosscheckError } from "../errors/index.js";
import {
  type AsyncEnvelopeSigner,
  type Envelope,
  type EnvelopeSigner,
  type PublicKey,
  serializeEnvelope,
  signEnvelope,
  signEnvelopeAsync,
  verifyEnvelope,
} from "./dsse.js";
import { parseStrictJson } from "./json.js";
import { logEntryOf } from "./log-entry.js";
import { CLOSED, checkSchema, Name, Sha256Hex } from "./schema.js";

const textEncoder = new TextEncoder();

export const STATEMENT_TYPE = "https://in-toto.io/Statement/v1";
export const IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";

export const SubjectSchema = Type.Object(
  { name: Name(1024), digest: Type.Object({ sha256: Sha256Hex }, CLOSED) },
  CLOSED,
);
export type Subject = Static<typeof SubjectSchema>;

export const StatementSchema = Type.Object(
  {
    _type: Type.Literal(STATEMENT_TYPE),
    subject: Type.Array(SubjectSchema, { minItems: 1, maxItems: 4096 }),
    predicateType: Type.String({ minLength: 1, maxLength: 1024 }),
    predicate: Type.Object({}, { additionalProperties: true }),
  },
  CLOSED,
);

export interface Statement<P = unknown> {
  _type: typeof STATEMENT_TYPE;
  subject: Subject[];
  predicateType: string;
  predicate: P;
}

function statementMalformed(message: string): CrosscheckError {
  return new CrosscheckError("E_STATEMENT_MALFORMED", message);
}

/** A statement with its fields in the spec's order (which is the order they are serialised in). */
export function makeStatement<P>(
  subject: readonly Subject[],
  predicateType: string,
  predicate: P,
): Statement<P> {
  return {
    _type: STATEMENT_TYPE,
    subject: subject.map((s) => ({ name: s.name, digest: { sha256: s.digest.sha256 } })),
    predicateType,
    predicate,
  };
}

/** Compact JSON of the statement: the payload bytes that get signed. */
export function serializeStatement(statement: Statement): Uint8Array {
  return utf8Encode(JSON.stringify(statement));
}

/**
 * Parses a statement from payload bytes: valid UTF-8, strict JSON (no duplicate keys), and the
 * shape above. Throws `E_STATEMENT_MALFORMED` with the first problem's path.
 */
export function parseStatement(payload: Uint8Array): Statement<Record<string, unknown>> {
  let text: string;
  try {
    text = utf8Decode(payload);
  } catch {
    throw statementMalformed("The statement is not valid UTF-8.");
  }
  const parsed = parseStrictJson(text);
  if ("error" in parsed) throw statementMalformed(`The statement is malformed: ${parsed.error}.`);
  const statement = checkSchema(
    StatementSchema,
    parsed.value,
    "in-toto statement",
    "E_STATEMENT_MALFORMED",
  );
  const names = new Set<string>();
  for (const [i, s] of statement.subject.entries()) {
    if (names.has(s.name)) {
      throw statementMalformed(
        `The in-toto statement is invalid at /subject/${i}/name: the subject ${JSON.stringify(s.name)} appears twice.`,
      );
    }
    names.add(s.name);
  }
  return statement;
}

/**
 * Refuses subjects that are not exactly `expected` (same names with the same digests, in any
 * order): `E_SUBJECT_MISMATCH`.
 */
export function checkSubjects(
  what: string,
  subjects: readonly Subject[],
  expected: readonly Subject[],
): void {
  const want = new Map(expected.map((s) => [s.name, s.digest.sha256]));
  const fail = (detail: string) =>
    new CrosscheckError(
      "E_SUBJECT_MISMATCH",
      `The ${what}'s statement subjects differ from what it describes: ${detail}`,
    );
  if (subjects.length !== expected.length) {
    throw fail(`it names ${subjects.length} subjects, the predicate ${expected.length}.`);
  }
  for (const s of subjects) {
    const digest = want.get(s.name);
    if (digest === undefined) throw fail(`${JSON.stringify(s.name)} is not in the predicate.`);
    if (digest !== s.digest.sha256) {
      throw fail(`the digest of ${JSON.stringify(s.name)} differs from the predicate's.`);
    }
    want.delete(s.name);
  }
}

/** What opening a signed statement gives: its parts and which keys signed it. */
export interface OpenedStatement<P> {
  predicate: P;
  statement: Statement<P>;
  /** Hex SHA-256 of the envelope's serialisation: its name in the log and in other predicates. */
  envelopeSha256: string;
  /** The envelope's transparency-log entry (see ./log-entry.ts), whose inclusion is to be proved. */
  logEntry: Uint8Array;
  /** The distinct keyids whose signature verified; the caller decides whether that is enough. */
  verifiedKeyids: string[];
}

/** Signs a statement as an in-toto DSSE envelope with signers that sign asynchronously. */
export function signStatementAsync(
  statement: Statement,
  signers: readonly AsyncEnvelopeSigner[],
): Promise<Envelope> {
  return signEnvelopeAsync(IN_TOTO_PAYLOAD_TYPE, serializeStatement(statement), signers);
}

/** Signs a statement as an in-toto DSSE envelope. */
export function signStatement(
  statement: Statement,
  signers: EnvelopeSigner | readonly EnvelopeSigner[],
): Envelope {
  const list = Array.isArray(signers) ? signers : [signers as EnvelopeSigner];
  return signEnvelope(IN_TOTO_PAYLOAD_TYPE, serializeStatement(statement), list);
}

/**
 * Verifies the envelope's signatures, then checks its payload type, statement and predicate type.
 * `parsePredicate` validates the predicate against the statement's subjects. Bad signatures do
 * not throw: they are absent from `verifiedKeyids`.
 */
export function openStatement<P>(
  envelope: Envelope,
  keys: readonly PublicKey[],
  predicateType: string,
  parsePredicate: (predicate: unknown, subjects: readonly Subject[]) => P,
): OpenedStatement<P> {
  const verified = verifyEnvelope(envelope, keys);
  if (verified.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw new CrosscheckError(
      "E_PAYLOAD_TYPE",
      `The envelope carries ${JSON.stringify(verified.payloadType.slice(0, 80))}, not an in-toto statement (${IN_TOTO_PAYLOAD_TYPE}).`,
    );
  }
  const statement = parseStatement(verified.payload);
  if (statement.predicateType !== predicateType) {
    throw new CrosscheckError(
      "E_PREDICATE_TYPE",
      `The statement's predicate type is ${JSON.stringify(statement.predicateType.slice(0, 120))}, expected ${predicateType}.`,
    );
  }
  const predicate = parsePredicate(statement.predicate, statement.subject);
  // JSON.stringify never emits a lone surrogate, so the serialisation encodes without a check.
  const serialized = textEncoder.encode(serializeEnvelope(envelope));
  const envelopeSha256 = toHex(sha256(serialized));
  return {
    predicate,
    statement: { ...statement, predicate },
    envelopeSha256,
    logEntry: logEntryOf(serialized, envelopeSha256),
    verifiedKeyids: verified.verifiedKeyids,
  };
}

/** The statement subjects of a predicate that lists artifacts: their names and released digests. */
export function artifactSubjects(
  artifacts: readonly { name: string; sha256: string }[],
): Subject[] {
  return artifacts.map((a) => ({ name: a.name, digest: { sha256: a.sha256 } }));
}

/** What every predicate type offers: its unsigned statement, signing it, and opening it. */
export interface PredicateFormat<P> {
  /** The unsigned statement (validated): what a signer signs, in a page or the CLI. */
  statement(predicate: P): Statement<P>;
  /** Validates the predicate and signs it as an in-toto statement about its subjects. */
  sign(predicate: P, signer: EnvelopeSigner | readonly EnvelopeSigner[]): Envelope;
  /** Opens an envelope of this predicate type; which keys verified is returned, not judged. */
  open(envelope: Envelope, keys: readonly PublicKey[]): OpenedStatement<P>;
}

/**
 * The statement, sign and open of one predicate type, from its URI, its parser and its subjects,
 * so that every type validates before signing and checks subjects on opening the same way.
 */
export function predicateFormat<P>(
  predicateType: string,
  parsePredicate: (value: unknown, subjects?: readonly Subject[]) => P,
  subjectsOf: (predicate: P) => Subject[],
): PredicateFormat<P> {
  const statement = (predicate: P): Statement<P> => {
    parsePredicate(predicate);
    return makeStatement(subjectsOf(predicate), predicateType, predicate);
  };
  return {
    statement,
    sign: (predicate, signer) => signStatement(statement(predicate), signer),
    open: (envelope, keys) => openStatement(envelope, keys, predicateType, parsePredicate),
  };
}
