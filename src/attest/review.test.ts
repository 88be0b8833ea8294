import { describe, expect, it } from "vitest";
import { generateNoteKey } from "../crypto/index.js";
import {
  ed25519EnvelopeSigner,
  makeStatement,
  openReview,
  parseReviewPredicate,
  publicKeyFromVerifierKey,
  REVIEW_PREDICATE_TYPE,
  type ReviewPredicate,
  ReviewPredicateSchema,
  reviewStatement,
  reviewSubjects,
  schemas,
  signReview,
  signStatement,
  signStatementAsync,
} from "./index.js";

const REVIEW: ReviewPredicate = {
  verifier: { id: "lab.example", reviewer: "Ada Reviewer" },
  timeVerified: "2026-11-22T11:30:00Z",
  release: {
    envelopeSha256: "7c4a8d09ca3762af61e59520943dc26494f8941b7c4a8d09ca3762af61e59520",
    channel: "rules",
    version: "2026.11.22.1",
  },
  artifacts: [
    {
      name: "rules.yar",
      sha256: "4b227777d4dd1fc61c6f884f48641d02b4d121d3fd328cb08b5531fcacdabf8a",
    },
  ],
  verdict: "approve",
  findings: {
    reportSha256: "ef2d127de37b942baad06145e54b0c619a1f22327b2ebbcfbec78f5564afe39d",
    count: { critical: 0, high: 0, medium: 1, low: 3 },
  },
  analyzers: [
    { name: "yara", version: "4.2.3" },
    { name: "crosscheck-rules", version: "0.1.0" },
  ],
  comment: "No rule matches document content; one medium finding: broad filename pattern.",
};

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

function invalid(mutate: (p: Record<string, unknown>) => void) {
  const value = clone(REVIEW) as unknown as Record<string, unknown>;
  mutate(value);
  return value;
}

const at = (p: Record<string, unknown>, key: string) => p[key] as Record<string, unknown>;

describe("review predicate", () => {
  it("accepts a review, and one without finding counts that rejects", () => {
    expect(parseReviewPredicate(clone(REVIEW))).toEqual(REVIEW);
    const reject = invalid((p) => {
      p.verdict = "reject";
      p.findings = { reportSha256: "0".repeat(64) };
      p.analyzers = [];
      p.comment = "";
    });
    expect(parseReviewPredicate(reject)).toEqual(reject);
  });

  const refusals: [string, Record<string, unknown>, string][] = [
    [
      "a verdict other than approve or reject",
      invalid((p) => {
        p.verdict = "abstain";
      }),
      "/verdict",
    ],
    [
      "a missing reviewer",
      invalid((p) => {
        p.verifier = { id: "lab.example" };
      }),
      "/verifier/reviewer",
    ],
    [
      "an extra verifier property",
      invalid((p) => {
        at(p, "verifier").key = "x";
      }),
      "/verifier/key",
    ],
    [
      "a time that is not RFC 3339 UTC",
      invalid((p) => {
        p.timeVerified = "22 Nov 2026";
      }),
      "/timeVerified",
    ],
    [
      "a release without its envelope digest",
      invalid((p) => {
        delete at(p, "release").envelopeSha256;
      }),
      "/release/envelopeSha256",
    ],
    [
      "a release version with a leading zero",
      invalid((p) => {
        at(p, "release").version = "2026.11.02";
      }),
      "/release/version",
    ],
    [
      "a release in an unknown channel",
      invalid((p) => {
        at(p, "release").channel = "nightly";
      }),
      "/release/channel",
    ],
    [
      "no artifacts",
      invalid((p) => {
        p.artifacts = [];
      }),
      "/artifacts",
    ],
    [
      "an artifact with a size (not part of a review)",
      invalid((p) => {
        (p.artifacts as Record<string, unknown>[])[0].size = 1;
      }),
      "/artifacts/0/size",
    ],
    [
      "an artifact with a bad digest",
      invalid((p) => {
        (p.artifacts as Record<string, unknown>[])[0].sha256 = "sha256:abc";
      }),
      "/artifacts/0/sha256",
    ],
    [
      "a findings report with a bad digest",
      invalid((p) => {
        at(p, "findings").reportSha256 = "x";
      }),
      "/findings/reportSha256",
    ],
    [
      "a negative finding count",
      invalid((p) => {
        at(at(p, "findings"), "count").high = -1;
      }),
      "/findings/count/high",
    ],
    [
      "an incomplete finding count",
      invalid((p) => {
        delete at(at(p, "findings"), "count").low;
      }),
      "/findings/count/low",
    ],
    [
      "an analyzer without a version",
      invalid((p) => {
        p.analyzers = [{ name: "yara" }];
      }),
      "/analyzers/0/version",
    ],
    [
      "a comment over 4096 characters",
      invalid((p) => {
        p.comment = "x".repeat(4097);
      }),
      "/comment",
    ],
    [
      "a missing comment",
      invalid((p) => {
        delete p.comment;
      }),
      "/comment",
    ],
    [
      "an extra property",
      invalid((p) => {
        p.customer = "acme";
      }),
      "/customer",
    ],
  ];
  for (const [what, value, path] of refusals) {
    it(`refuses ${what}`, () => {
      expect(() => parseReviewPredicate(value)).toThrow(
        expect.objectContaining({
          code: "E_PREDICATE_INVALID",
          message: expect.stringContaining(`at ${path}`),
        }),
      );
    });
  }

  it("is in the schema map under its type URI", () => {
    expect(schemas[REVIEW_PREDICATE_TYPE]).toBe(ReviewPredicateSchema);
    expect(JSON.parse(JSON.stringify(ReviewPredicateSchema))).toMatchObject({
      $id: REVIEW_PREDICATE_TYPE,
      additionalProperties: false,
    });
  });
});

describe("signed reviews", () => {
  const reviewer = generateNoteKey("lab.example/ada");
  const signer = ed25519EnvelopeSigner(reviewer.signerKey);
  const key = publicKeyFromVerifierKey(reviewer.verifierKey);

  it("signs and opens a review about exactly the judged artifacts", () => {
    const opened = openReview(signReview(REVIEW, signer), [key]);
    expect(opened.predicate).toEqual(REVIEW);
    expect(opened.statement.subject).toEqual(reviewSubjects(REVIEW));
    expect(opened.verifiedKeyids).toEqual([key.keyid]);
  });

  it("refuses a review whose subjects are other digests than it judged", () => {
    const statement = makeStatement(
      [{ name: "rules.yar", digest: { sha256: "1".repeat(64) } }],
      REVIEW_PREDICATE_TYPE,
      REVIEW,
    );
    expect(() => openReview(signStatement(statement, signer), [key])).toThrow(
      expect.objectContaining({ code: "E_SUBJECT_MISMATCH" }),
    );
  });
});

describe("a review's judgement of single findings", () => {
  const triage = (
    verdict: "approve" | "reject",
    items: { finding: string; decision: "accept" | "reject"; justification: string }[],
  ) => ({ ...clone(REVIEW), verdict, triage: items });
  const code = (c: string) => expect.objectContaining({ code: c });

  it("carries accepted findings with reasons, and rejected ones in a rejection", () => {
    const accepted = triage("approve", [
      { finding: "yara-rules/rules.yar/3", decision: "accept", justification: "test fixture" },
    ]);
    expect(parseReviewPredicate(clone(accepted))).toEqual(accepted);
    const rejected = triage("reject", [
      { finding: "yara-rules/rules.yar/3", decision: "reject", justification: "" },
    ]);
    expect(parseReviewPredicate(clone(rejected))).toEqual(rejected);
  });

  it("refuses an accepted finding without a reason, an approval that rejects one, and repeats", () => {
    expect(() =>
      parseReviewPredicate(
        triage("approve", [{ finding: "f/1", decision: "accept", justification: "  " }]),
      ),
    ).toThrow(code("E_PREDICATE_INVALID"));
    expect(() =>
      parseReviewPredicate(
        triage("approve", [{ finding: "f/1", decision: "reject", justification: "no" }]),
      ),
    ).toThrow(/cannot reject a finding/);
    expect(() =>
      parseReviewPredicate(
        triage("reject", [
          { finding: "f/1", decision: "reject", justification: "" },
          { finding: "f/1", decision: "accept", justification: "fine" },
        ]),
      ),
    ).toThrow(/judged twice/);
  });

  it("is signed like any review, also by a signer that signs asynchronously", async () => {
    const { signerKey, verifierKey } = generateNoteKey("lab.example/reviewer");
    const sync = ed25519EnvelopeSigner(signerKey);
    const predicate = triage("approve", [
      { finding: "f/1", decision: "accept", justification: "expected" },
    ]) as ReviewPredicate;
    const envelope = await signStatementAsync(reviewStatement(predicate), [
      { keyid: sync.keyid, sign: async (message) => sync.sign(message) },
    ]);
    // Ed25519 is deterministic: the same bytes as the synchronous path.
    expect(envelope).toEqual(signReview(predicate, sync));
    const opened = openReview(envelope, [publicKeyFromVerifierKey(verifierKey)]);
    expect(opened.verifiedKeyids).toEqual([sync.keyid]);
    expect(opened.predicate.triage).toEqual(predicate.triage);
  });
});
