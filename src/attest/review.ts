/**
 * The review predicate (reviewer-signed): one reviewer's verdict on one release, modelled on the
 * SLSA Verification Summary Attestation v1 (https://slsa.dev/verification_summary/v1): who
 * verified (`verifier`), when (`timeVerified`), what (the release envelope's digest and the exact
 * artifact digests judged, which are also the statement's subjects), the result (`verdict`
 * approve|reject, VSA's verificationResult), the evidence (the findings report's digest) and the
 * tools (`analyzers`, VSA's verifier.version).
 *
 *   verifier      {id: the reviewing organisation, reviewer: the person or service}
 *   timeVerified  RFC 3339 UTC
 *   release       {envelopeSha256, channel, version}
 *   artifacts     [{name, sha256}], non-empty, unique names
 *   verdict       approve | reject          (one rejection vetoes, Decision 11)
 *   findings      {reportSha256, count?: {critical, high, medium, low}}
 *   analyzers     [{name, version}]
 *   comment       up to 4096 characters
 *   triage        optional: [{finding, decision: accept|reject, justification}], the reviewer's
 *                 judgement of individual findings of that report (finding ids are the report's);
 *                 an accepted finding needs a justification, and a verdict that approves may
 *                 reject no finding
 */
import { type Static, Type } from "@sinclair/typebox";
import { CrosscheckError } from "../errors/index.js";
import {
  Channel,
  CLOSED,
  checkSchema,
  checkTimestamp,
  checkUniqueNames,
  Name,
  Sha256Hex,
  Text,
  Timestamp,
  Version,
} from "./schema.js";
import { artifactSubjects, checkSubjects, predicateFormat, type Subject } from "./statement.js";

export const REVIEW_PREDICATE_TYPE = "https://crosscheck.dev/attestation/review/v1";

const Count = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

export const ReviewPredicateSchema = Type.Object(
  {
    verifier: Type.Object(
      {
        id: Name(256, "the reviewing organisation's id, as the trust policy names it"),
        reviewer: Name(256, "the reviewer's name"),
      },
      CLOSED,
    ),
    timeVerified: Timestamp,
    release: Type.Object({ envelopeSha256: Sha256Hex, channel: Channel, version: Version }, CLOSED),
    artifacts: Type.Array(
      Type.Object({ name: Name(256, "the artifact's file name"), sha256: Sha256Hex }, CLOSED),
      { minItems: 1, maxItems: 4096, description: "the artifact digests judged, names unique" },
    ),
    verdict: Type.Union([Type.Literal("approve"), Type.Literal("reject")], {
      description: "approve or reject",
    }),
    findings: Type.Object(
      {
        reportSha256: Sha256Hex,
        count: Type.Optional(
          Type.Object({ critical: Count, high: Count, medium: Count, low: Count }, CLOSED),
        ),
      },
      CLOSED,
    ),
    analyzers: Type.Array(Type.Object({ name: Name(256), version: Name(128) }, CLOSED), {
      maxItems: 64,
    }),
    comment: Text(4096, "at most 4096 characters"),
    triage: Type.Optional(
      Type.Array(
        Type.Object(
          {
            finding: Name(512, "the finding's id in the report"),
            decision: Type.Union([Type.Literal("accept"), Type.Literal("reject")], {
              description: "accept (acceptable, with a justification) or reject",
            }),
            justification: Text(4096, "why; required to accept"),
          },
          CLOSED,
        ),
        { maxItems: 4096, description: "the reviewer's judgement of individual findings" },
      ),
    ),
  },
  {
    ...CLOSED,
    $id: REVIEW_PREDICATE_TYPE,
    title: "Crosscheck review v1",
    description:
      "A reviewer's verdict on the exact artifacts of one release, modelled on the SLSA Verification Summary Attestation v1.",
  },
);

export type ReviewPredicate = Static<typeof ReviewPredicateSchema>;

/** The statement subjects of a review: the artifacts it judged. */
export function reviewSubjects(predicate: ReviewPredicate): Subject[] {
  return artifactSubjects(predicate.artifacts);
}

/**
 * Validates a review predicate; with `subjects`, also that they are exactly its artifacts.
 * Throws `E_PREDICATE_INVALID` (path and reason) or `E_SUBJECT_MISMATCH`.
 */
export function parseReviewPredicate(
  value: unknown,
  subjects?: readonly Subject[],
): ReviewPredicate {
  const what = "review predicate";
  const predicate = checkSchema(ReviewPredicateSchema, value, what);
  checkUniqueNames(what, "/artifacts", predicate.artifacts);
  checkTimestamp(what, "/timeVerified", predicate.timeVerified);
  checkTriage(predicate);
  if (subjects) checkSubjects("review", subjects, reviewSubjects(predicate));
  return predicate;
}

function checkTriage(predicate: ReviewPredicate): void {
  const seen = new Set<string>();
  for (const [i, t] of (predicate.triage ?? []).entries()) {
    const at = `The review predicate is invalid at /triage/${i}`;
    if (seen.has(t.finding)) {
      throw new CrosscheckError(
        "E_PREDICATE_INVALID",
        `${at}: finding ${JSON.stringify(t.finding)} is judged twice.`,
      );
    }
    seen.add(t.finding);
    if (t.decision === "accept" && t.justification.trim() === "") {
      throw new CrosscheckError(
        "E_PREDICATE_INVALID",
        `${at}: accepting a finding needs a justification.`,
      );
    }
    if (t.decision === "reject" && predicate.verdict === "approve") {
      throw new CrosscheckError(
        "E_PREDICATE_INVALID",
        `${at}: a verdict that approves cannot reject a finding; reject the release instead.`,
      );
    }
  }
}

const reviewFormat = predicateFormat(REVIEW_PREDICATE_TYPE, parseReviewPredicate, reviewSubjects);

/** The unsigned statement of a review (validated): what a signer signs, in a page or the CLI. */
export const reviewStatement = reviewFormat.statement;

/** Validates the predicate and signs it as an in-toto statement about the judged artifacts. */
export const signReview = reviewFormat.sign;

/** Opens a review envelope; which keys verified is returned, not judged. */
export const openReview = reviewFormat.open;
