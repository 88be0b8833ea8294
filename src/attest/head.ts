/**
 * The channel head (Decision 6; vendor-signed, TUF's timestamp role): the latest release of a
 * channel, valid until `expires`. An endpoint installs only the release its current head names,
 * so an old release with fresh proofs (a freeze attack) is refused.
 *
 *   channel   product | sigdb | rules | dictionary
 *   version   the release's version
 *   release   {envelopeSha256}: the release envelope's digest
 *   issued    RFC 3339 UTC
 *   expires   RFC 3339 UTC, after issued
 *
 * Its one subject is the release envelope itself: {"name": "release", "digest": {"sha256": …}}.
 */
import { type Static, Type } from "@sinclair/typebox";
import {
  Channel,
  CLOSED,
  checkSchema,
  checkTimestamp,
  predicateInvalid,
  Sha256Hex,
  Timestamp,
  Version,
} from "./schema.js";
import { checkSubjects, predicateFormat, type Subject } from "./statement.js";

export const HEAD_PREDICATE_TYPE = "https://crosscheck.dev/attestation/head/v1";

/** The name of a head statement's one subject. */
export const HEAD_SUBJECT_NAME = "release";

export const HeadPredicateSchema = Type.Object(
  {
    channel: Channel,
    version: Version,
    release: Type.Object({ envelopeSha256: Sha256Hex }, CLOSED),
    issued: Timestamp,
    expires: Timestamp,
  },
  {
    ...CLOSED,
    $id: HEAD_PREDICATE_TYPE,
    title: "Crosscheck channel head v1",
    description:
      "The vendor's short-lived statement of a channel's current release (TUF's timestamp role).",
  },
);

export type HeadPredicate = Static<typeof HeadPredicateSchema>;

/** The statement subject of a head: the release envelope it names. */
export function headSubjects(predicate: HeadPredicate): Subject[] {
  return [{ name: HEAD_SUBJECT_NAME, digest: { sha256: predicate.release.envelopeSha256 } }];
}

/**
 * Validates a head predicate (expires after issued); with `subjects`, also that they name exactly
 * its release envelope. Throws `E_PREDICATE_INVALID` or `E_SUBJECT_MISMATCH`.
 */
export function parseHeadPredicate(value: unknown, subjects?: readonly Subject[]): HeadPredicate {
  const what = "head predicate";
  const predicate = checkSchema(HeadPredicateSchema, value, what);
  const issued = checkTimestamp(what, "/issued", predicate.issued);
  const expires = checkTimestamp(what, "/expires", predicate.expires);
  if (expires <= issued) throw predicateInvalid(what, "/expires", "it must be after issued.");
  if (subjects) checkSubjects("head", subjects, headSubjects(predicate));
  return predicate;
}

const headFormat = predicateFormat(HEAD_PREDICATE_TYPE, parseHeadPredicate, headSubjects);

/** Validates the predicate and signs it as an in-toto statement about the release envelope. */
export const signHead = headFormat.sign;

/** The unsigned statement (validated): what a signer signs, in a page or the CLI. */
export const headStatement = headFormat.statement;

/** Opens a head envelope; which keys verified is returned, not judged (nor is expiry). */
export const openHead = headFormat.open;
