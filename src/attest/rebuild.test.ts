import { describe, expect, it } from "vitest";
import {
  goodRebuild,
  REBUILD_ENVIRONMENT,
  RELEASED_SHA256 as RELEASED,
} from "../../test/support/rebuild-statements.js";
import { generateNoteKey } from "../crypto/index.js";
import {
  ed25519EnvelopeSigner,
  makeStatement,
  openRebuild,
  parseRebuildPredicate,
  publicKeyFromVerifierKey,
  REBUILD_PREDICATE_TYPE,
  type RebuildPredicate,
  RebuildPredicateSchema,
  rebuildStatement,
  schemas,
  signRebuild,
  signStatement,
} from "./index.js";

const GOOD: RebuildPredicate = goodRebuild({
  rebuilder: { id: "Rebuild Co", builder: "rebuilder-1.rebuild.example" },
  environment: {
    ...REBUILD_ENVIRONMENT,
    tools: [{ name: "gcc", version: "gcc (Debian 12.2.0-14) 12.2.0" }],
  },
});

const BAD: RebuildPredicate = {
  ...GOOD,
  status: "BAD",
  artifacts: [{ name: "agent", sha256: RELEASED, rebuiltSha256: "b".repeat(64) }],
  differences: [
    {
      artifact: "agent",
      member: "",
      kind: "content",
      detail: "sizes 16384 and 16384; first difference at byte 4242",
    },
  ],
  reason: "agent differs from the file built from the commit.",
};

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

describe("rebuild predicate", () => {
  it("accepts GOOD, BAD, FAIL and UNKNOWN rebuilds", () => {
    expect(parseRebuildPredicate(clone(GOOD))).toEqual(GOOD);
    expect(parseRebuildPredicate(clone(BAD))).toEqual(BAD);
    const fail = {
      ...clone(GOOD),
      status: "FAIL",
      artifacts: [{ name: "agent", sha256: RELEASED, rebuiltSha256: null }],
      reason: "make exited with status 2.",
    };
    expect(parseRebuildPredicate(fail).status).toBe("FAIL");
    expect(parseRebuildPredicate({ ...fail, status: "UNKNOWN" }).status).toBe("UNKNOWN");
  });

  const refusals: [string, (p: Record<string, unknown>) => void, string][] = [
    [
      "a GOOD rebuild whose digest differs",
      (p) => {
        p.artifacts = BAD.artifacts;
      },
      "/artifacts/0/rebuiltSha256",
    ],
    [
      "a GOOD rebuild listing differences",
      (p) => {
        p.differences = BAD.differences;
      },
      "/differences",
    ],
    [
      "a BAD rebuild whose digests all match",
      (p) => {
        p.status = "BAD";
      },
      "/status",
    ],
    [
      "a status rebuilderd does not have",
      (p) => {
        p.status = "REPRODUCIBLE";
      },
      "/status",
    ],
    [
      "a difference in an artifact it did not rebuild",
      (p) => {
        Object.assign(p, BAD, {
          differences: [{ artifact: "other", member: "", kind: "content", detail: "" }],
        });
      },
      "/differences/0/artifact",
    ],
    [
      "an unknown property",
      (p) => {
        p.customer = "acme";
      },
      "/customer",
    ],
    [
      "an environment without its network fact",
      (p) => {
        delete (p.environment as Record<string, unknown>).network;
      },
      "/environment/network",
    ],
  ];
  for (const [what, mutate, path] of refusals) {
    it(`refuses ${what}`, () => {
      const value = clone(GOOD) as unknown as Record<string, unknown>;
      mutate(value);
      expect(() => parseRebuildPredicate(value)).toThrow(
        expect.objectContaining({
          code: "E_PREDICATE_INVALID",
          message: expect.stringContaining(`at ${path}`),
        }),
      );
    });
  }

  it("is in the schema map under its type URI", () => {
    expect(schemas[REBUILD_PREDICATE_TYPE]).toBe(RebuildPredicateSchema);
  });
});

describe("signed rebuilds", () => {
  const rebuilder = generateNoteKey("rebuild.example/rebuilder");
  const signer = ed25519EnvelopeSigner(rebuilder.signerKey);
  const key = publicKeyFromVerifierKey(rebuilder.verifierKey);

  it("names the released artifacts as its subjects and opens with the rebuilder's key", () => {
    const opened = openRebuild(signRebuild(BAD, signer), [key]);
    expect(opened.predicate).toEqual(BAD);
    expect(opened.statement.subject).toEqual([{ name: "agent", digest: { sha256: RELEASED } }]);
    expect(opened.verifiedKeyids).toEqual([key.keyid]);
    expect(rebuildStatement(GOOD).predicateType).toBe(REBUILD_PREDICATE_TYPE);
  });

  it("refuses a statement whose subjects are the rebuilt digests instead of the released ones", () => {
    const statement = makeStatement(
      [{ name: "agent", digest: { sha256: "b".repeat(64) } }],
      REBUILD_PREDICATE_TYPE,
      BAD,
    );
    expect(() => openRebuild(signStatement(statement, signer), [key])).toThrow(
      expect.objectContaining({ code: "E_SUBJECT_MISMATCH" }),
    );
  });
});
