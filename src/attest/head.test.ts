import { describe, expect, it } from "vitest";
import { generateNoteKey } from "../crypto/index.js";
import {
  ed25519EnvelopeSigner,
  envelopeDigest,
  HEAD_PREDICATE_TYPE,
  type HeadPredicate,
  HeadPredicateSchema,
  makeStatement,
  openHead,
  openRelease,
  parseHeadPredicate,
  publicKeyFromVerifierKey,
  schemas,
  signHead,
  signRelease,
  signStatement,
} from "./index.js";

const HEAD: HeadPredicate = {
  channel: "sigdb",
  version: "27463",
  release: { envelopeSha256: "9b74c9897bac770ffc029102a200c5de9b74c9897bac770ffc029102a200c5de" },
  issued: "2026-11-22T08:05:00Z",
  expires: "2026-11-23T08:05:00Z",
};

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

function invalid(mutate: (p: Record<string, unknown>) => void) {
  const value = clone(HEAD) as unknown as Record<string, unknown>;
  mutate(value);
  return value;
}

describe("head predicate", () => {
  it("accepts a channel head", () => {
    expect(parseHeadPredicate(clone(HEAD))).toEqual(HEAD);
  });

  const refusals: [string, Record<string, unknown>, string][] = [
    [
      "an expiry before issue",
      invalid((p) => {
        p.expires = "2026-11-22T08:04:59Z";
      }),
      "/expires",
    ],
    [
      "an expiry equal to issue",
      invalid((p) => {
        p.expires = p.issued;
      }),
      "/expires",
    ],
    [
      "a missing expiry",
      invalid((p) => {
        delete p.expires;
      }),
      "/expires",
    ],
    [
      "a local time",
      invalid((p) => {
        p.issued = "2026-11-22T08:05:00";
      }),
      "/issued",
    ],
    [
      "a version with a leading zero",
      invalid((p) => {
        p.version = "027463";
      }),
      "/version",
    ],
    [
      "a bad release digest",
      invalid((p) => {
        p.release = { envelopeSha256: "abc" };
      }),
      "/release/envelopeSha256",
    ],
    [
      "an unknown channel",
      invalid((p) => {
        p.channel = "all";
      }),
      "/channel",
    ],
    [
      "an extra property",
      invalid((p) => {
        p.audience = "everyone";
      }),
      "/audience",
    ],
  ];
  for (const [what, value, path] of refusals) {
    it(`refuses ${what}`, () => {
      expect(() => parseHeadPredicate(value)).toThrow(
        expect.objectContaining({
          code: "E_PREDICATE_INVALID",
          message: expect.stringContaining(`at ${path}`),
        }),
      );
    });
  }

  it("is in the schema map under its type URI", () => {
    expect(schemas[HEAD_PREDICATE_TYPE]).toBe(HeadPredicateSchema);
  });
});

describe("signed heads", () => {
  const vendor = generateNoteKey("vendor.example/sigdb");
  const signer = ed25519EnvelopeSigner(vendor.signerKey);
  const key = publicKeyFromVerifierKey(vendor.verifierKey);

  it("names the release envelope as its one subject", () => {
    const release = signRelease(
      {
        channel: "sigdb",
        version: "27463",
        artifacts: [{ name: "daily.cvd", size: 10, sha256: "b".repeat(64) }],
        previous: null,
        audience: "everyone",
        published: "2026-11-22T08:00:00Z",
      },
      signer,
    );
    const releaseSha256 = openRelease(release, [key]).envelopeSha256;
    expect(releaseSha256).toBe(envelopeDigest(release));
    const head = { ...HEAD, release: { envelopeSha256: releaseSha256 } };
    const opened = openHead(signHead(head, signer), [key]);
    expect(opened.predicate).toEqual(head);
    expect(opened.statement.subject).toEqual([
      { name: "release", digest: { sha256: releaseSha256 } },
    ]);
    expect(opened.verifiedKeyids).toEqual([key.keyid]);
  });

  it("refuses a head whose subject is another envelope than it names", () => {
    const statement = makeStatement(
      [{ name: "release", digest: { sha256: "2".repeat(64) } }],
      HEAD_PREDICATE_TYPE,
      HEAD,
    );
    expect(() => openHead(signStatement(statement, signer), [key])).toThrow(
      expect.objectContaining({ code: "E_SUBJECT_MISMATCH" }),
    );
  });
});
