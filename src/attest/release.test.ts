import { describe, expect, it } from "vitest";
import { generateNoteKey, utf8Encode } from "../crypto/index.js";
import {
  ed25519EnvelopeSigner,
  envelopeDigest,
  envelopeLogEntry,
  makeStatement,
  openRelease,
  openReview,
  parseReleasePredicate,
  publicKeyFromVerifierKey,
  RELEASE_PREDICATE_TYPE,
  type ReleasePredicate,
  ReleasePredicateSchema,
  releaseSubjects,
  schemas,
  signEnvelope,
  signRelease,
  signStatement,
} from "./index.js";

const PRODUCT: ReleasePredicate = {
  channel: "product",
  version: "2026.11.22.3",
  artifacts: [
    {
      name: "agent-2026.11.22.3-linux-amd64.tar.gz",
      size: 48213504,
      sha256: "3f0a1c5e9d2b4a6f8e7d1c0b9a8f7e6d5c4b3a29181716151413121110090807",
    },
  ],
  source: {
    repository: "https://git.vendor.example/agent",
    commit: "9fceb02d0ae598e95dc970b74767f19372d61af8",
  },
  build: {
    recipe: "SOURCE_DATE_EPOCH=1795305600 make release",
    builder: "vendor-ci",
  },
  previous: { envelopeSha256: "5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592" },
  audience: "everyone",
  published: "2026-11-22T08:00:00Z",
};

const SIGDB: ReleasePredicate = {
  channel: "sigdb",
  version: "27463",
  artifacts: [
    { name: "daily.cvd", size: 61234, sha256: "b".repeat(64) },
    { name: "main.cvd", size: 1024, sha256: "c".repeat(64) },
  ],
  previous: null,
  audience: { region: "eu" },
  published: "2026-11-22T08:00:00.123Z",
};

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

function invalid(mutate: (p: Record<string, unknown>) => void, base: ReleasePredicate = PRODUCT) {
  const value = clone(base) as unknown as Record<string, unknown>;
  mutate(value);
  return value;
}

const artifacts = (p: Record<string, unknown>) => p.artifacts as Record<string, unknown>[];

describe("release predicate", () => {
  it("accepts a product release and a regional signature-database release", () => {
    expect(parseReleasePredicate(clone(PRODUCT))).toEqual(PRODUCT);
    expect(parseReleasePredicate(clone(SIGDB))).toEqual(SIGDB);
  });

  const refusals: [string, Record<string, unknown> | unknown, string][] = [
    [
      "a missing audience",
      invalid((p) => {
        delete p.audience;
      }),
      "/audience",
    ],
    [
      "a version with a leading zero",
      invalid((p) => {
        p.version = "2026.01.2";
      }),
      "/version",
    ],
    [
      "an empty version",
      invalid((p) => {
        p.version = "";
      }),
      "/version",
    ],
    [
      "a version with letters",
      invalid((p) => {
        p.version = "1.2.3-beta";
      }),
      "/version",
    ],
    [
      "a product release without source",
      invalid((p) => {
        delete p.source;
      }),
      "/source",
    ],
    [
      "a product release without build",
      invalid((p) => {
        delete p.build;
      }),
      "/build",
    ],
    [
      "a product build without a recipe",
      invalid((p) => {
        p.build = { builder: "ci" };
      }),
      "/build/recipe",
    ],
    [
      "a short commit id",
      invalid((p) => {
        p.source = { repository: "r", commit: "9fceb02" };
      }),
      "/source/commit",
    ],
    [
      "an unknown channel",
      invalid((p) => {
        p.channel = "beta";
      }),
      "/channel",
    ],
    [
      "an extra property",
      invalid((p) => {
        p.customer = "acme";
      }),
      "/customer",
    ],
    [
      "an extra artifact property",
      invalid((p) => {
        artifacts(p)[0].url = "https://x";
      }),
      "/artifacts/0/url",
    ],
    [
      "an uppercase digest",
      invalid((p) => {
        artifacts(p)[0].sha256 = "A".repeat(64);
      }),
      "/artifacts/0/sha256",
    ],
    [
      "a short digest",
      invalid((p) => {
        artifacts(p)[0].sha256 = "a".repeat(63);
      }),
      "/artifacts/0/sha256",
    ],
    [
      "a negative size",
      invalid((p) => {
        artifacts(p)[0].size = -1;
      }),
      "/artifacts/0/size",
    ],
    [
      "a fractional size",
      invalid((p) => {
        artifacts(p)[0].size = 1.5;
      }),
      "/artifacts/0/size",
    ],
    [
      "no artifacts",
      invalid((p) => {
        p.artifacts = [];
      }),
      "/artifacts",
    ],
    [
      "two artifacts with one name",
      invalid((p) => {
        p.artifacts = [artifacts(p)[0], artifacts(p)[0]];
      }),
      "/artifacts/1/name",
    ],
    [
      "an artifact name with a newline",
      invalid((p) => {
        artifacts(p)[0].name = "a\nb";
      }),
      "/artifacts/0/name",
    ],
    [
      "a missing previous",
      invalid((p) => {
        delete p.previous;
      }),
      "/previous",
    ],
    [
      "a previous with a bad digest",
      invalid((p) => {
        p.previous = { envelopeSha256: "zz" };
      }),
      "/previous",
    ],
    [
      "a published time with an offset",
      invalid((p) => {
        p.published = "2026-11-22T08:00:00+01:00";
      }),
      "/published",
    ],
    [
      "a published date that does not exist",
      invalid((p) => {
        p.published = "2026-02-30T08:00:00Z";
      }),
      "/published",
    ],
    [
      "a data release with an extra property",
      invalid((p) => {
        p.source = { repository: "r", commit: "a".repeat(40), tag: "v1" };
      }, SIGDB),
      "/source/tag",
    ],
    ["null", null, "/"],
    ["an array", [], "/"],
  ];
  for (const [what, value, path] of refusals) {
    it(`refuses ${what}`, () => {
      expect(() => parseReleasePredicate(value)).toThrow(
        expect.objectContaining({
          code: "E_PREDICATE_INVALID",
          message: expect.stringContaining(`at ${path}`),
        }),
      );
    });
  }

  it.each([
    ["a customer", { customer: "acme" }],
    ["a region with a customer beside it", { region: "eu", customer: "acme" }],
    ["a customer's name", "acme-corp"],
  ])(
    "refuses a release addressed to %s with E_AUDIENCE, saying what an audience may be",
    (_name, audience) => {
      expect(() =>
        parseReleasePredicate(
          invalid((p) => {
            p.audience = audience;
          }),
        ),
      ).toThrow(
        expect.objectContaining({
          code: "E_AUDIENCE",
          message: expect.stringMatching(/never addressed to a single customer/),
        }),
      );
    },
  );

  it("refuses statement subjects that differ from the artifacts", () => {
    const subjects = releaseSubjects(SIGDB);
    expect(parseReleasePredicate(clone(SIGDB), [...subjects].reverse())).toEqual(SIGDB);
    const changed = [subjects[0], { name: "main.cvd", digest: { sha256: "d".repeat(64) } }];
    for (const bad of [
      subjects.slice(0, 1),
      changed,
      [...subjects, { name: "x", digest: { sha256: "e".repeat(64) } }],
    ]) {
      expect(() => parseReleasePredicate(clone(SIGDB), bad as typeof subjects)).toThrow(
        expect.objectContaining({ code: "E_SUBJECT_MISMATCH" }),
      );
    }
  });

  it("is a JSON Schema with its type URI as $id and closed objects everywhere", () => {
    const schema = JSON.parse(JSON.stringify(ReleasePredicateSchema));
    expect(schema.$id).toBe(RELEASE_PREDICATE_TYPE);
    expect(schemas[RELEASE_PREDICATE_TYPE]).toBe(ReleasePredicateSchema);
    const open: string[] = [];
    const walk = (node: unknown, path: string) => {
      if (Array.isArray(node)) {
        for (const [i, n] of node.entries()) walk(n, `${path}/${i}`);
      } else if (node && typeof node === "object") {
        const o = node as Record<string, unknown>;
        if (o.type === "object" && o.additionalProperties !== false) open.push(path);
        for (const [k, v] of Object.entries(o)) walk(v, `${path}/${k}`);
      }
    };
    walk(schema, "");
    expect(open).toEqual([]);
  });
});

describe("signed releases", () => {
  const vendor = generateNoteKey("vendor.example/product");
  const signer = ed25519EnvelopeSigner(vendor.signerKey);
  const key = publicKeyFromVerifierKey(vendor.verifierKey);

  it("signs and opens a release: subjects are the artifacts, the signing key is reported", () => {
    const envelope = signRelease(PRODUCT, signer);
    const opened = openRelease(envelope, [key]);
    expect(opened.predicate).toEqual(PRODUCT);
    expect(opened.statement.subject).toEqual(releaseSubjects(PRODUCT));
    expect(opened.statement.predicateType).toBe(RELEASE_PREDICATE_TYPE);
    expect(opened.envelopeSha256).toBe(envelopeDigest(envelope));
    expect(opened.logEntry).toEqual(envelopeLogEntry(envelope));
    expect(opened.verifiedKeyids).toEqual([key.keyid]);
  });

  it("reports no verified key for another vendor's signature, without deciding", () => {
    const other = generateNoteKey("intruder.example");
    const envelope = signRelease(SIGDB, ed25519EnvelopeSigner(other.signerKey));
    expect(openRelease(envelope, [key]).verifiedKeyids).toEqual([]);
  });

  it("refuses to sign a release addressed to a customer", () => {
    const bad = invalid((p) => {
      p.audience = { customer: "acme" };
    }) as unknown as ReleasePredicate;
    expect(() => signRelease(bad, signer)).toThrow(expect.objectContaining({ code: "E_AUDIENCE" }));
  });

  it("refuses a release whose statement names other subjects than its artifacts", () => {
    const statement = makeStatement(
      [{ name: "daily.cvd", digest: { sha256: "f".repeat(64) } }],
      RELEASE_PREDICATE_TYPE,
      SIGDB,
    );
    expect(() => openRelease(signStatement(statement, signer), [key])).toThrow(
      expect.objectContaining({ code: "E_SUBJECT_MISMATCH" }),
    );
  });

  it("refuses a release opened as a review, and another payload type", () => {
    const envelope = signRelease(SIGDB, signer);
    expect(() => openReview(envelope, [key])).toThrow(
      expect.objectContaining({ code: "E_PREDICATE_TYPE" }),
    );
    const statement = makeStatement(releaseSubjects(SIGDB), RELEASE_PREDICATE_TYPE, SIGDB);
    const json = signEnvelope("application/json", utf8Encode(JSON.stringify(statement)), [signer]);
    expect(() => openRelease(json, [key])).toThrow(
      expect.objectContaining({ code: "E_PAYLOAD_TYPE" }),
    );
  });
});
