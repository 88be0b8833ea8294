/**
 * The attack suite: every attack is a real crafted bundle, state or policy, and every one is
 * refused with its own code. The attacks are TUF's (arbitrary software, rollback, freeze,
 * fast-forward, endless data, mix-and-match, key compromise via revocation, malicious mirrors
 * presenting another view) and ours (unreviewed or vetoed releases, unlogged envelopes, split
 * views, releases aimed at one customer, product binaries nobody rebuilt or that a rebuilder found
 * BAD).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Envelope,
  ed25519EnvelopeSigner,
  envelopeDigest,
  makeStatement,
  RELEASE_PREDICATE_TYPE,
  type RebuildPredicate,
  type ReleasePredicate,
  signRebuild,
  signStatement,
} from "../src/attest/index.js";
import { generateNoteKey, sha256, toBase64, toHex, utf8Encode } from "../src/crypto/index.js";
import { isCrosscheckError } from "../src/errors/index.js";
import { TransparencyLog } from "../src/log/index.js";
import { openPolicy, signPolicy } from "../src/policy/index.js";
import { openSqlite } from "../src/store/index.js";
import {
  type Bundle,
  type EndpointState,
  parseBundle,
  type VerifyReleaseInput,
  verifyRelease,
} from "../src/verify/index.js";
import { REBUILD_ENVIRONMENT } from "./support/rebuild-statements.js";
import {
  ARTIFACT,
  ARTIFACT_SHA256,
  NOW,
  NOW_SECONDS,
  policyDocument,
  type World,
  world,
} from "./support/release-world.js";

let w: World;
let good: Bundle;

beforeAll(async () => {
  w = await world();
  good = await w.bundle(w.parts());
});
afterAll(async () => {
  await w.close();
});

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

function verify(changes: Partial<VerifyReleaseInput> = {}) {
  return verifyRelease({
    bundle: good,
    artifact: ARTIFACT,
    policy: w.policy,
    channel: "sigdb",
    now: NOW,
    ...changes,
  });
}

async function refusedWith(code: string, run: () => unknown) {
  let error: unknown;
  try {
    await run();
  } catch (err) {
    error = err;
  }
  expect(isCrosscheckError(error), `expected ${code}, got ${String(error)}`).toBe(true);
  expect((error as { code: string }).code).toBe(code);
  expect((error as Error).message.length).toBeGreaterThan(20);
}

/** Logs and proves the parts against a fresh cosigned checkpoint, then verifies them. */
async function verifyBundle(
  parts: Parameters<World["bundle"]>[0],
  changes: Partial<VerifyReleaseInput> = {},
) {
  return verify({ bundle: await w.bundle(parts), ...changes });
}

describe("the verifier refuses", () => {
  it("nothing in the valid bundle (the control every attack changes one thing of)", async () => {
    expect(verify().releaseSha256).toHaveLength(64);
  });

  it("an arbitrary artifact that is not the reviewed file", async () => {
    await refusedWith("E_ARTIFACT_MISMATCH", () => verify({ artifact: utf8Encode("malware") }));
  });

  it("a release of another channel", async () => {
    const release = w.release({ channel: "rules" }, w.keys.otherVendor);
    const bundle = await w.bundle({
      release,
      head: w.head(release, {}, w.keys.otherVendor),
      reviews: [w.review(release, w.keys.alpha, "Alpha Labs")],
    });
    await refusedWith("E_WRONG_CHANNEL", () => verify({ bundle }));
  });

  it("an unsigned release", async () => {
    const parts = w.parts();
    parts.release = { ...parts.release, signatures: [] };
    await refusedWith("E_RELEASE_UNSIGNED", () =>
      verify({ bundle: { ...good, release: { ...good.release, envelope: parts.release } } }),
    );
  });

  it("a release signed by a key the policy does not trust for the channel", async () => {
    const impostor = generateNoteKey("vendor.example/releases");
    const bundle = await w.bundle(w.parts());
    bundle.release.envelope = w.release({}, impostor);
    await refusedWith("E_RELEASE_SIGNATURE", () => verify({ bundle }));
  });

  it("a forged vendor signature under the vendor's key id", async () => {
    const bundle = clone(good);
    const sig = bundle.release.envelope.signatures[0] as { sig: string };
    sig.sig = toBase64(new Uint8Array(64).fill(7));
    await refusedWith("E_RELEASE_SIGNATURE", () => verify({ bundle }));
  });

  it("an unreviewed release", async () => {
    await refusedWith("E_UNREVIEWED", () => verify({ bundle: { ...good, reviews: [] } }));
  });

  it("reviews below the threshold", async () => {
    const bundle = clone(good);
    bundle.reviews = bundle.reviews.slice(0, 1);
    await refusedWith("E_REVIEW_THRESHOLD", () => verify({ bundle }));
  });

  it("the same reviewer organisation counted twice", async () => {
    const parts = w.parts();
    parts.reviews = [
      w.review(parts.release, w.keys.alpha, "Alpha Labs"),
      w.review(parts.release, w.keys.alpha2, "Alpha Labs"),
    ];
    await refusedWith("E_REVIEW_DUPLICATE", () => verifyBundle(parts));
  });

  it("one review counted twice", async () => {
    const parts = w.parts();
    const alpha = w.review(parts.release, w.keys.alpha, "Alpha Labs");
    parts.reviews = [alpha, alpha];
    await refusedWith("E_REVIEW_DUPLICATE", () => verifyBundle(parts));
  });

  it("a release one policy reviewer rejected, even with enough approvals", async () => {
    const parts = w.parts();
    parts.reviews.push(
      w.review(parts.release, w.keys.gamma, "Gamma Security", { verdict: "reject" }),
    );
    await refusedWith("E_REVIEW_REJECTED", () => verifyBundle(parts));
  });

  it("a review of other digests (mix-and-match)", async () => {
    const parts = w.parts();
    const other = w.release({
      version: "2026.11.23.2",
      artifacts: [{ name: "main.cvd", size: 3, sha256: "ab".repeat(32) }],
    });
    parts.reviews[1] = w.review(other, w.keys.beta, "Beta Review");
    await refusedWith("E_REVIEW_MISMATCH", () => verifyBundle(parts));
  });

  it("a review whose artifacts were swapped although it names the right release", async () => {
    const parts = w.parts();
    parts.reviews[1] = w.review(parts.release, w.keys.beta, "Beta Review", {
      artifacts: [{ name: "main.cvd", sha256: "cd".repeat(32) }],
    });
    await refusedWith("E_REVIEW_MISMATCH", () => verifyBundle(parts));
  });

  it("an approval by a revoked reviewer key", async () => {
    const parts = w.parts();
    parts.reviews[1] = w.review(parts.release, w.keys.revoked, "Delta Audit");
    await refusedWith("E_REVIEWER_REVOKED", () => verifyBundle(parts));
  });

  it("an envelope that is not in the log", async () => {
    const bundle = clone(good);
    const unlogged = w.review(w.release(), w.keys.gamma, "Gamma Security");
    bundle.reviews.push({ envelope: unlogged, index: 1_000_000, proof: [] });
    await refusedWith("E_UNLOGGED", () => verify({ bundle }));
  });

  it("an envelope whose proof does not lead to the checkpoint", async () => {
    const bundle = clone(good);
    const review = bundle.reviews[0] as { envelope: Envelope };
    review.envelope = w.review(w.release(), w.keys.alpha, "Alpha Labs", {
      comment: "never logged",
    });
    await refusedWith("E_INCLUSION_PROOF", () => verify({ bundle }));
  });

  it("proofs made against another checkpoint", async () => {
    const parts = w.parts();
    const older = await w.bundle(parts);
    for (let i = 0; i < 5; i++) await w.log.add(utf8Encode(`later entry ${i} ${Math.random()}`));
    const newer = await w.bundle(parts);
    await refusedWith("E_INCLUSION_PROOF", () =>
      verify({ bundle: { ...older, checkpoint: newer.checkpoint } }),
    );
  });

  it("a checkpoint signed by another log", async () => {
    const bundle = clone(good);
    const other = generateNoteKey("log.crosscheck.example");
    const { signNote, parseSignerKey, parseNote } = await import("../src/crypto/index.js");
    bundle.checkpoint = w.cosign(
      signNote(parseNote(good.checkpoint).text, [parseSignerKey(other.signerKey)]),
    );
    await refusedWith("E_CHECKPOINT_SIGNATURE", () => verify({ bundle }));
  });

  it("a checkpoint without enough cosignatures", async () => {
    const one = await w.bundle(w.parts(), { cosigners: w.keys.witnesses.slice(0, 1) });
    await refusedWith("E_COSIGNATURES", () => verify({ bundle: one }));
    const strangers = [1, 2].map((i) => generateNoteKey(`w${i}.witness.example`, 0x04));
    const forged = await w.bundle(w.parts(), { cosigners: strangers });
    await refusedWith("E_COSIGNATURES", () => verify({ bundle: forged }));
  });

  it("cosignatures by a revoked witness do not count", async () => {
    const k = w.keys;
    const document = policyDocument(k, {
      revoked: [k.revoked.verifierKey, k.witnesses[1]?.verifierKey as string],
    });
    const policy = openPolicy(
      signPolicy(document, [k.roots[0]?.signerKey as string, k.roots[1]?.signerKey as string]),
      {
        now: NOW,
      },
    );
    await refusedWith("E_COSIGNATURES", () => verify({ policy }));
  });

  it("cosignatures dated in the future do not count", async () => {
    const future = await w.bundle(w.parts(), { time: NOW_SECONDS + 3600 });
    await refusedWith("E_COSIGNATURES", () => verify({ bundle: future }));
  });

  it("a checkpoint inconsistent with the one this endpoint saw (split view)", async () => {
    // A fork: the same log key signs another tree, shown to this endpoint earlier.
    const fork = await TransparencyLog.open({
      database: openSqlite(":memory:"),
      signer: w.keys.log.signerKey,
    });
    for (let i = 0; i < 3; i++) await fork.add(utf8Encode(`forked entry ${i}`));
    const state: EndpointState = { checkpoint: w.cosign(fork.checkpoint()), channels: {} };
    const bundle = await w.bundle(w.parts());
    const { parseNote } = await import("../src/crypto/index.js");
    const { parseCheckpoint } = await import("../src/merkle/index.js");
    const size = parseCheckpoint(parseNote(bundle.checkpoint).text).size;
    const proof = await w.log.consistencyProof(3, size);
    await refusedWith("E_SPLIT_VIEW", () => verify({ bundle, state, consistencyProof: proof }));
    // Same size, other root: no proof needed to see the fork.
    while (fork.state.size < size) await fork.add(utf8Encode(`more forked ${fork.state.size}`));
    const sameSize = { checkpoint: w.cosign(fork.checkpoint()), channels: {} };
    await refusedWith("E_SPLIT_VIEW", () => verify({ bundle, state: sameSize }));
    await fork.close();
  });

  it("a checkpoint older than one this endpoint saw", async () => {
    const first = await w.bundle(w.parts());
    for (let i = 0; i < 3; i++) await w.log.add(utf8Encode(`newer ${i} ${Math.random()}`));
    const state: EndpointState = { checkpoint: w.cosign(w.log.checkpoint()), channels: {} };
    await refusedWith("E_CHECKPOINT_ROLLBACK", () => verify({ bundle: first, state }));
  });

  it("a rollback to an older version than the installed one", async () => {
    const state: EndpointState = {
      channels: {
        sigdb: {
          version: "2026.11.24.1",
          releaseSha256: "ee".repeat(32),
          headIssued: "2026-11-20T00:00:00Z",
        },
      },
    };
    await refusedWith("E_ROLLBACK", () => verify({ state }));
  });

  it("a replayed old release whose head has expired (freeze)", async () => {
    const parts = w.parts();
    parts.head = w.head(parts.release, {
      issued: "2026-11-21T00:00:00Z",
      expires: "2026-11-22T00:00:00Z",
    });
    await refusedWith("E_FREEZE", () => verifyBundle(parts));
  });

  it("an old release while the vendor's current head names a newer one", async () => {
    const parts = w.parts();
    const newer = w.release({ version: "2026.11.23.5" });
    parts.head = w.head(newer);
    await refusedWith("E_HEAD_MISMATCH", () => verifyBundle(parts));
  });

  it("a head that fast-forwards the version past the release", async () => {
    const parts = w.parts();
    parts.head = w.head(parts.release, { version: "9999.1" });
    await refusedWith("E_HEAD_MISMATCH", () => verifyBundle(parts));
  });

  it("a head that lives longer than the policy allows", async () => {
    const parts = w.parts();
    parts.head = w.head(parts.release, { expires: "2027-11-23T11:00:00Z" });
    await refusedWith("E_HEAD_MISMATCH", () => verifyBundle(parts));
  });

  it("a head issued in the future (it would outlive its expiry and block honest heads)", async () => {
    const parts = w.parts();
    parts.head = w.head(parts.release, {
      issued: "2026-11-23T13:00:00Z",
      expires: "2026-11-24T12:00:00Z",
    });
    await refusedWith("E_HEAD_FUTURE", () => verifyBundle(parts));
    // Within the clock skew it is accepted; the skew is the endpoint's to set.
    const skewed = w.parts();
    skewed.head = w.head(skewed.release, {
      issued: "2026-11-23T12:04:00Z",
      expires: "2026-11-24T12:00:00Z",
    });
    const bundle = await w.bundle(skewed);
    expect(verify({ bundle }).release.version).toBe("2026.11.23.1");
    await refusedWith("E_HEAD_FUTURE", () => verify({ bundle, clockSkewSeconds: 60 }));
  });

  it("a head not signed by the channel's vendor", async () => {
    const parts = w.parts();
    parts.head = w.head(parts.release, {}, w.keys.otherVendor);
    await refusedWith("E_HEAD_UNSIGNED", () => verifyBundle(parts));
  });

  it("a replayed channel head, older than one already accepted", async () => {
    const state: EndpointState = {
      channels: {
        sigdb: {
          version: "2026.11.22.1",
          releaseSha256: "ee".repeat(32),
          headIssued: "2026-11-23T11:30:00Z",
        },
      },
    };
    await refusedWith("E_HEAD_REPLAY", () => verify({ state }));
  });

  it("a checkpoint the witnesses vouched for too long ago", async () => {
    const stale = await w.bundle(w.parts(), { time: NOW_SECONDS - 7200 });
    await refusedWith("E_CHECKPOINT_STALE", () => verify({ bundle: stale }));
  });

  it("an expired policy", async () => {
    const k = w.keys;
    const document = policyDocument(k, { expires: "2026-11-23T11:00:00Z" });
    const envelope = signPolicy(document, [
      k.roots[0]?.signerKey as string,
      k.roots[1]?.signerKey as string,
    ]);
    await refusedWith("E_POLICY_EXPIRED", () => openPolicy(envelope, { now: NOW }));
    const openedEarlier = openPolicy(envelope, { now: new Date("2026-11-23T10:00:00Z") });
    await refusedWith("E_POLICY_EXPIRED", () => verify({ policy: openedEarlier }));
  });

  it("a policy rotation signed by the new root keys alone", async () => {
    const k = w.keys;
    const newRoots = [generateNoteKey("new-root-1.example"), generateNoteKey("new-root-2.example")];
    const next = policyDocument(k, {
      version: 2,
      root: { keys: newRoots.map((r) => r.verifierKey), threshold: 2 },
    });
    const byNewOnly = signPolicy(
      next,
      newRoots.map((r) => r.signerKey),
    );
    await refusedWith("E_POLICY_ROTATION", () =>
      openPolicy(byNewOnly, { trusted: w.policy, now: NOW }),
    );
    const byBoth = signPolicy(next, [
      ...newRoots.map((r) => r.signerKey),
      k.roots[0]?.signerKey as string,
      k.roots[2]?.signerKey as string,
    ]);
    expect(openPolicy(byBoth, { trusted: w.policy, now: NOW }).document.version).toBe(2);
  });

  it("a policy rollback to an older version", async () => {
    const k = w.keys;
    const roots = [k.roots[0]?.signerKey as string, k.roots[1]?.signerKey as string];
    const v2 = openPolicy(signPolicy(policyDocument(k, { version: 2 }), roots), {
      trusted: w.policy,
      now: NOW,
    });
    await refusedWith("E_POLICY_ROLLBACK", () =>
      openPolicy(w.policy.envelope, { trusted: v2, now: NOW }),
    );
  });

  it("a release addressed to a single customer", async () => {
    const predicate = {
      channel: "sigdb",
      version: "2026.11.23.1",
      artifacts: [{ name: "main.cvd", size: ARTIFACT.length, sha256: ARTIFACT_SHA256 }],
      previous: null,
      audience: { customer: "ministry-of-defence" },
      published: "2026-11-23T10:00:00Z",
    };
    const release = signStatement(
      makeStatement(
        [{ name: "main.cvd", digest: { sha256: ARTIFACT_SHA256 } }],
        RELEASE_PREDICATE_TYPE,
        predicate,
      ),
      ed25519EnvelopeSigner(w.keys.vendor.signerKey),
    );
    const bundle = clone(good);
    bundle.release.envelope = release;
    await refusedWith("E_AUDIENCE", () => verify({ bundle }));
  });

  it("a release for a region the policy does not declare, or another region", async () => {
    const parts = w.parts({ audience: { region: "acme-corp" } });
    await refusedWith("E_AUDIENCE", () => verifyBundle(parts));
    const eu = w.parts({ audience: { region: "eu" } });
    await refusedWith("E_AUDIENCE", () => verifyBundle(eu, { region: "us" }));
  });

  it("endless data: a bundle larger than the bound, before parsing it", async () => {
    const huge = `{"mediaType":"${"x".repeat(5 << 20)}"}`;
    await refusedWith("E_BUNDLE_TOO_LARGE", () => parseBundle(huge));
  });
});

describe("the verifier refuses product binaries not shown to come from their source", () => {
  const rebuildCo = generateNoteKey("rebuild.example/rebuilder");
  const rebuildCo2 = generateNoteKey("rebuild.example/second-rebuilder");
  const builders = generateNoteKey("builders.example/rebuilder");
  const retired = generateNoteKey("retired.example/rebuilder");
  const RECIPE =
    "format: crosscheck/rebuild/v1\ncommand: [make, main.cvd]\nartifacts:\n  - {name: main.cvd, path: main.cvd}\n";
  const PRODUCT: Partial<ReleasePredicate> = {
    channel: "product",
    source: { repository: "https://git.vendor.example/agent.git", commit: "c".repeat(40) },
    build: { recipe: RECIPE },
  };

  function productPolicy(rebuildThreshold: number) {
    const k = w.keys;
    const document = policyDocument(k, {
      channels: {
        product: { vendorKeys: [k.vendor.verifierKey], reviewThreshold: 2, headExpiry: 86400 },
      },
      rebuilders: [
        { key: rebuildCo.verifierKey, organization: "Rebuild Co" },
        { key: rebuildCo2.verifierKey, organization: "Rebuild Co" },
        { key: builders.verifierKey, organization: "Independent Builders" },
        { key: retired.verifierKey, organization: "Retired Rebuilds" },
      ],
      rebuildThreshold,
      revoked: [k.revoked.verifierKey, retired.verifierKey],
    });
    return openPolicy(
      signPolicy(document, [k.roots[0]?.signerKey as string, k.roots[1]?.signerKey as string]),
      { now: NOW },
    );
  }

  /** A rebuilder's statement about `release`, GOOD unless changed. */
  function rebuild(
    release: Envelope,
    key: { signerKey: string },
    organization: string,
    changes: Partial<RebuildPredicate> = {},
  ): Envelope {
    const payload = JSON.parse(new TextDecoder().decode(Buffer.from(release.payload, "base64")));
    const p = payload.predicate as ReleasePredicate;
    return signRebuild(
      {
        rebuilder: { id: organization, builder: "builder-1" },
        timeFinished: "2026-11-23T10:45:00Z",
        release: {
          envelopeSha256: envelopeDigest(release),
          channel: p.channel,
          version: p.version,
        },
        source: p.source as RebuildPredicate["source"],
        recipeSha256: toHex(sha256(utf8Encode(p.build?.recipe ?? ""))),
        status: "GOOD",
        artifacts: p.artifacts.map((a) => ({
          name: a.name,
          sha256: a.sha256,
          rebuiltSha256: a.sha256,
        })),
        differences: [],
        reason: "",
        environment: { ...REBUILD_ENVIRONMENT, durationMs: 1000 },
        log: { sha256: "f".repeat(64), size: 100 },
        ...changes,
      },
      ed25519EnvelopeSigner(key.signerKey),
    );
  }

  const BAD: Partial<RebuildPredicate> = {
    status: "BAD",
    artifacts: [{ name: "main.cvd", sha256: ARTIFACT_SHA256, rebuiltSha256: "b".repeat(64) }],
    differences: [
      { artifact: "main.cvd", member: "", kind: "content", detail: "first difference at byte 12" },
    ],
    reason: "main.cvd differs",
  };

  async function verifyProduct(
    rebuilds: (release: Envelope) => Envelope[],
    rebuildThreshold = 1,
    changes: Partial<VerifyReleaseInput> = {},
  ) {
    const parts = w.parts(PRODUCT);
    parts.rebuilds = rebuilds(parts.release);
    return verify({
      bundle: await w.bundle(parts),
      policy: productPolicy(rebuildThreshold),
      channel: "product",
      ...changes,
    });
  }

  it("nothing in a product release one policy rebuilder reproduced (the control)", async () => {
    const result = await verifyProduct((r) => [rebuild(r, rebuildCo, "Rebuild Co")]);
    expect(result.rebuiltBy).toEqual(["Rebuild Co"]);
    expect(result.approvedBy.sort()).toEqual(["Alpha Labs", "Beta Review"]);
  });

  it("a product release nobody rebuilt, when the policy requires rebuilds", async () => {
    await refusedWith("E_UNREBUILT", () => verifyProduct(() => []));
    // The same release passes a policy that requires none: the refusal is the policy's.
    expect((await verifyProduct(() => [], 0)).rebuiltBy).toEqual([]);
  });

  it("a product release a policy rebuilder found BAD, even beside a GOOD one and when none is required", async () => {
    await refusedWith("E_REBUILD_BAD", () =>
      verifyProduct((r) => [
        rebuild(r, builders, "Independent Builders"),
        rebuild(r, rebuildCo, "Rebuild Co", BAD),
      ]),
    );
    await refusedWith("E_REBUILD_BAD", () =>
      verifyProduct((r) => [rebuild(r, rebuildCo, "Rebuild Co", BAD)], 0),
    );
  });

  it("rebuilds below the threshold: a FAIL proves nothing either way", async () => {
    await refusedWith("E_REBUILD_THRESHOLD", () =>
      verifyProduct(
        (r) => [
          rebuild(r, rebuildCo, "Rebuild Co"),
          rebuild(r, builders, "Independent Builders", {
            status: "FAIL",
            artifacts: [{ name: "main.cvd", sha256: ARTIFACT_SHA256, rebuiltSha256: null }],
            reason: "make exited with status 2",
          }),
        ],
        2,
      ),
    );
  });

  it("one rebuilder organisation counted twice", async () => {
    await refusedWith("E_REBUILD_DUPLICATE", () =>
      verifyProduct(
        (r) => [rebuild(r, rebuildCo, "Rebuild Co"), rebuild(r, rebuildCo2, "Rebuild Co")],
        2,
      ),
    );
  });

  it("a GOOD rebuild of another commit, recipe, release or other digests (mix-and-match)", async () => {
    const other = w.release({ ...PRODUCT, version: "2026.11.23.9" });
    const cases: ((r: Envelope) => Envelope)[] = [
      (r) =>
        rebuild(r, rebuildCo, "Rebuild Co", {
          source: { repository: "https://git.vendor.example/agent.git", commit: "d".repeat(40) },
        }),
      (r) => rebuild(r, rebuildCo, "Rebuild Co", { recipeSha256: "0".repeat(64) }),
      () => rebuild(other, rebuildCo, "Rebuild Co"),
      (r) =>
        rebuild(r, rebuildCo, "Rebuild Co", {
          rebuilder: { id: "Independent Builders", builder: "x" },
        }),
    ];
    for (const made of cases) {
      await refusedWith("E_REBUILD_MISMATCH", () => verifyProduct((r) => [made(r)]));
    }
  });

  it("a rebuild signed by a revoked rebuilder key, or by a stranger", async () => {
    await refusedWith("E_REBUILDER_REVOKED", () =>
      verifyProduct((r) => [rebuild(r, retired, "Retired Rebuilds")]),
    );
    const stranger = generateNoteKey("rebuild.example/rebuilder");
    await refusedWith("E_REBUILD_THRESHOLD", () =>
      verifyProduct((r) => [rebuild(r, stranger, "Rebuild Co")]),
    );
  });

  it("a rebuild statement that is not in the log under the checkpoint", async () => {
    const parts = w.parts(PRODUCT);
    parts.rebuilds = [rebuild(parts.release, rebuildCo, "Rebuild Co")];
    const bundle = await w.bundle(parts);
    const logged = bundle.rebuilds?.[0] as { envelope: Envelope };
    logged.envelope = rebuild(parts.release, rebuildCo, "Rebuild Co", {
      timeFinished: "2026-11-23T10:46:00Z",
    });
    await refusedWith("E_INCLUSION_PROOF", () =>
      verify({ bundle, policy: productPolicy(1), channel: "product" }),
    );
  });
});
