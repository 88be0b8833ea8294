import { describe, expect, it } from "vitest";
import { type Envelope, ed25519EnvelopeSigner, signEnvelope } from "../attest/index.js";
import { toBase64, utf8Encode } from "../crypto/index.js";
import { isCrosscheckError } from "../errors/index.js";
import { type PolicyDocument, serializePolicyDocument } from "./document.js";
import { copy, ed25519Key, type KeyPair, policyFixture } from "./fixtures.js";
import {
  addPolicySignature,
  channelPolicy,
  isRevoked,
  loadTrustedPolicy,
  MAX_POLICY_CHAIN,
  openPolicy,
  POLICY_PAYLOAD_TYPE,
  reviewerKeys,
  signPolicy,
  updatePolicy,
  vendorKeys,
} from "./trust.js";

const NOW = new Date("2030-06-01T00:00:00Z");
const base = policyFixture();
const [root1, root2, root3] = base.roots as [KeyPair, KeyPair, KeyPair];
const skeys = (...keys: KeyPair[]) => keys.map((k) => k.signerKey);

function code(action: () => unknown): string {
  try {
    action();
  } catch (err) {
    if (isCrosscheckError(err)) return err.code;
    throw err;
  }
  return "accepted";
}

function errorOf(action: () => unknown): Error {
  try {
    action();
  } catch (err) {
    return err as Error;
  }
  throw new Error("accepted");
}

/** Version `version` of the base document, optionally with other root keys and expiry. */
function versionOf(
  version: number,
  change: (doc: PolicyDocument) => void = () => {},
): PolicyDocument {
  const doc = copy(base.document);
  doc.version = version;
  change(doc);
  return doc;
}

const v1 = signPolicy(base.document, skeys(root1, root2));
const trustedV1 = openPolicy(v1, { now: NOW });

// Version 2 rotates the root to three new keys (threshold 2).
const newRoots = [1, 2, 3].map((i) => ed25519Key(`new-root-${i}`)) as [KeyPair, KeyPair, KeyPair];
const v2Document = versionOf(2, (doc) => {
  doc.root.keys = newRoots.map((k) => k.verifierKey);
});

describe("signing to the root threshold", () => {
  it("accepts a policy signed by its root threshold", () => {
    expect(trustedV1.document).toEqual(base.document);
    expect(trustedV1.parsedLog.quorum).toBe("witnesses");
    expect(trustedV1.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(v1.payloadType).toBe(POLICY_PAYLOAD_TYPE);
    expect(v1.payload).toBe(toBase64(utf8Encode(serializePolicyDocument(base.document))));
  });

  it("refuses a policy below its root threshold, saying how many signatures it has and needs", () => {
    const err = errorOf(() => openPolicy(signPolicy(base.document, skeys(root1)), { now: NOW }));
    expect(isCrosscheckError(err, "E_POLICY_UNSIGNED")).toBe(true);
    expect(err.message).toMatch(/carries 1 valid signature\(s\) by its root keys; 2 are required/);
  });

  it("reaches the threshold by adding a signature to the same payload", () => {
    const one = signPolicy(base.document, skeys(root1));
    const two = addPolicySignature(one, root3.signerKey);
    expect(two.payload).toBe(one.payload);
    expect(two.signatures).toHaveLength(2);
    expect(openPolicy(two, { now: NOW }).document.version).toBe(1);
  });

  it("refuses to add a second signature by the same key", () => {
    const one = signPolicy(base.document, skeys(root1));
    expect(code(() => addPolicySignature(one, root1.signerKey))).toBe(
      "E_POLICY_DUPLICATE_SIGNATURE",
    );
    expect(code(() => signPolicy(base.document, skeys(root1, root1)))).toBe(
      "E_POLICY_DUPLICATE_SIGNATURE",
    );
  });

  it("does not count a repeated signature twice", () => {
    const one = signPolicy(base.document, skeys(root1));
    const repeated: Envelope = { ...one, signatures: [...one.signatures, ...one.signatures] };
    expect(code(() => openPolicy(repeated, { now: NOW }))).toBe("E_POLICY_UNSIGNED");
  });

  it("does not count signatures by keys outside the root", () => {
    const signed = signPolicy(base.document, [root1.signerKey, base.vendor.signerKey]);
    expect(code(() => openPolicy(signed, { now: NOW }))).toBe("E_POLICY_UNSIGNED");
  });

  it("does not count a revoked root key", () => {
    const doc = versionOf(1, (d) => d.revoked.push(root2.verifierKey));
    expect(code(() => openPolicy(signPolicy(doc, skeys(root1, root2)), { now: NOW }))).toBe(
      "E_POLICY_UNSIGNED",
    );
    expect(code(() => openPolicy(signPolicy(doc, skeys(root1, root3)), { now: NOW }))).toBe(
      "accepted",
    );
  });

  it("refuses an altered payload: its signatures no longer verify", () => {
    const altered = versionOf(1, (d) => d.regions.push("cn"));
    const forged: Envelope = {
      ...v1,
      payload: toBase64(utf8Encode(serializePolicyDocument(altered))),
    };
    expect(code(() => openPolicy(forged, { now: NOW }))).toBe("E_POLICY_UNSIGNED");
  });

  it("refuses to sign an invalid document", () => {
    const bad = versionOf(1, (d) => Object.assign(d.root, { threshold: 9 }));
    expect(code(() => signPolicy(bad, skeys(root1)))).toBe("E_POLICY_MALFORMED");
  });
});

describe("malformed signed policies", () => {
  const signers = [ed25519EnvelopeSigner(root1.signerKey), ed25519EnvelopeSigner(root2.signerKey)];
  const cases: [string, Envelope, RegExp][] = [
    [
      "another payload type",
      signEnvelope(
        "application/vnd.in-toto+json",
        utf8Encode(serializePolicyDocument(base.document)),
        signers,
      ),
      /payloadType is "application\/vnd\.in-toto\+json", not application\/vnd\.crosscheck\.policy\+json/,
    ],
    [
      "a payload that is not JSON",
      signEnvelope(POLICY_PAYLOAD_TYPE, utf8Encode("{not json"), signers),
      /not valid JSON/,
    ],
    [
      "a document that breaks the schema",
      signEnvelope(
        POLICY_PAYLOAD_TYPE,
        utf8Encode(JSON.stringify({ ...base.document, version: "1" })),
        signers,
      ),
      /malformed at \/version/,
    ],
    ["a payload that is not base64", { ...v1, payload: "%%%%" }, /not canonical base64/],
  ];
  it.each(cases)("refuses %s with E_POLICY_MALFORMED, saying where", (_, envelope, message) => {
    const err = errorOf(() => openPolicy(envelope, { now: NOW }));
    expect(isCrosscheckError(err, "E_POLICY_MALFORMED")).toBe(true);
    expect(err.message).toMatch(message);
  });
});

describe("expiry", () => {
  it("refuses an expired policy", () => {
    const doc = versionOf(1, (d) => Object.assign(d, { expires: "2030-05-31T23:59:59Z" }));
    const err = errorOf(() => openPolicy(signPolicy(doc, skeys(root1, root2)), { now: NOW }));
    expect(isCrosscheckError(err, "E_POLICY_EXPIRED")).toBe(true);
    expect(err.message).toMatch(/expired at 2030-05-31T23:59:59Z/);
  });

  it("refuses a policy at the very second it expires", () => {
    const doc = versionOf(1, (d) => Object.assign(d, { expires: NOW.toISOString() }));
    expect(code(() => openPolicy(signPolicy(doc, skeys(root1, root2)), { now: NOW }))).toBe(
      "E_POLICY_EXPIRED",
    );
  });

  it("still loads an expired saved policy as the start of an update", () => {
    const doc = versionOf(1, (d) => Object.assign(d, { expires: "2020-01-01T00:00:00Z" }));
    expect(loadTrustedPolicy(signPolicy(doc, skeys(root1, root2))).document.version).toBe(1);
  });
});

describe("succession (TUF 5.3)", () => {
  const v2ByOldAndNew = signPolicy(v2Document, skeys(root1, root2, newRoots[0], newRoots[1]));

  it("refuses a rollback to an older version", () => {
    const trustedV2 = openPolicy(v2ByOldAndNew, { trusted: trustedV1, now: NOW });
    const err = errorOf(() => openPolicy(v1, { trusted: trustedV2, now: NOW }));
    expect(isCrosscheckError(err, "E_POLICY_ROLLBACK")).toBe(true);
    expect(err.message).toMatch(/version 1 is older than the trusted version 2/);
  });

  it("refuses a different document with the trusted version number", () => {
    const other = versionOf(1, (d) => d.regions.push("cn"));
    const signed = signPolicy(other, skeys(root1, root2));
    expect(code(() => openPolicy(signed, { trusted: trustedV1, now: NOW }))).toBe(
      "E_POLICY_CONFLICT",
    );
  });

  it("accepts the trusted document again, as it is", () => {
    const again = signPolicy(base.document, skeys(root2, root3));
    expect(openPolicy(again, { trusted: trustedV1, now: NOW })).toBe(trustedV1);
  });

  it("refuses a rotation signed by the new root keys alone", () => {
    const byNewOnly = signPolicy(v2Document, skeys(...newRoots));
    expect(openPolicy(byNewOnly, { now: NOW }).document.version).toBe(2); // valid on its own
    const err = errorOf(() => openPolicy(byNewOnly, { trusted: trustedV1, now: NOW }));
    expect(isCrosscheckError(err, "E_POLICY_ROTATION")).toBe(true);
    expect(err.message).toMatch(/signed by 0 of the trusted version 1's root keys; 2 are required/);
  });

  it("refuses a rotation signed by the old threshold but below the new one", () => {
    const byOldOnly = signPolicy(v2Document, skeys(root1, root2, newRoots[0]));
    expect(code(() => openPolicy(byOldOnly, { trusted: trustedV1, now: NOW }))).toBe(
      "E_POLICY_UNSIGNED",
    );
  });

  it("accepts a rotation signed by the old and the new threshold", () => {
    const trustedV2 = openPolicy(v2ByOldAndNew, { trusted: trustedV1, now: NOW });
    expect(trustedV2.document.root.keys).toEqual(newRoots.map((k) => k.verifierKey));
  });

  it("refuses a version that skips one", () => {
    const v3 = signPolicy(versionOf(3), skeys(root1, root2));
    const err = errorOf(() => openPolicy(v3, { trusted: trustedV1, now: NOW }));
    expect(isCrosscheckError(err, "E_POLICY_CHAIN")).toBe(true);
    expect(err.message).toMatch(/version 3 does not directly follow the trusted version 1/);
  });
});

describe("updatePolicy", () => {
  const v2 = signPolicy(v2Document, skeys(root1, root2, newRoots[0], newRoots[1]));
  const v3Document = versionOf(3, (d) => {
    d.root.keys = newRoots.map((k) => k.verifierKey);
    d.regions.push("cn");
  });
  const v3 = signPolicy(v3Document, skeys(newRoots[1], newRoots[2]));

  it("walks versions one at a time", () => {
    const latest = updatePolicy(trustedV1, [v2, v3], NOW);
    expect(latest.document.version).toBe(3);
    expect(latest.document.regions).toContain("cn");
  });

  it("refuses a chain that skips a version", () => {
    expect(code(() => updatePolicy(trustedV1, [v3], NOW))).toBe("E_POLICY_CHAIN");
  });

  it("refuses a version 3 signed only by the keys version 2 removed", () => {
    const v3ByOldRoot = signPolicy(v3Document, skeys(root1, root2, newRoots[0], newRoots[1]));
    expect(code(() => updatePolicy(trustedV1, [v2, v3ByOldRoot], NOW))).toBe("accepted");
    const v3ByRemovedKeys = signPolicy(v3Document, [
      ...skeys(root1, root2, root3),
      newRoots[2].signerKey,
    ]);
    expect(code(() => updatePolicy(trustedV1, [v2, v3ByRemovedKeys], NOW))).toBe(
      "E_POLICY_UNSIGNED",
    );
  });

  it("skips the trusted version itself when the chain repeats it", () => {
    expect(updatePolicy(trustedV1, [v1, v2], NOW).document.version).toBe(2);
  });

  it("checks expiry only on the version it ends on", () => {
    const oldV2 = versionOf(2, (d) => Object.assign(d, { expires: "2020-01-01T00:00:00Z" }));
    const expiredV2 = signPolicy(oldV2, skeys(root1, root2));
    const v3Fresh = signPolicy(
      versionOf(3, (d) => d.regions.push("cn")),
      skeys(root1, root2),
    );
    expect(updatePolicy(trustedV1, [expiredV2, v3Fresh], NOW).document.version).toBe(3);
    expect(code(() => updatePolicy(trustedV1, [expiredV2], NOW))).toBe("E_POLICY_EXPIRED");
  });

  it("refuses an expired trusted policy when nothing newer is given", () => {
    const expired = versionOf(1, (d) => Object.assign(d, { expires: "2020-01-01T00:00:00Z" }));
    const saved = loadTrustedPolicy(signPolicy(expired, skeys(root1, root2)));
    expect(code(() => updatePolicy(saved, [], NOW))).toBe("E_POLICY_EXPIRED");
  });

  it("refuses a chain longer than its bound before reading it", () => {
    const endless = Array.from({ length: MAX_POLICY_CHAIN + 1 }, () => v2);
    expect(code(() => updatePolicy(trustedV1, endless, NOW))).toBe("E_POLICY_CHAIN");
  });
});

describe("keys for the verifier", () => {
  const [alpha1, alpha2, beta] = base.reviewers as [KeyPair, KeyPair, KeyPair];
  const revokedDocument = versionOf(1, (d) => d.revoked.push(alpha1.verifierKey));
  const trusted = openPolicy(signPolicy(revokedDocument, skeys(root1, root2)), { now: NOW });

  it("excludes a revoked reviewer from reviewerKeys", () => {
    const keys = reviewerKeys(trusted, "sigdb");
    expect(keys.map((k) => k.key.keyid)).toEqual([
      alpha2.verifierKey.split("+").slice(0, 2).join("+"),
      beta.verifierKey.split("+").slice(0, 2).join("+"),
    ]);
    expect(keys.map((k) => k.organization)).toEqual(["Alpha Labs", "Beta Review"]);
    expect(reviewerKeys(trustedV1, "sigdb")).toHaveLength(3);
  });

  it("answers isRevoked for verifier keys and key IDs", () => {
    const keyid = alpha1.verifierKey.split("+").slice(0, 2).join("+");
    expect(isRevoked(trusted, alpha1.verifierKey)).toBe(true);
    expect(isRevoked(trusted, keyid)).toBe(true);
    expect(isRevoked(trusted, alpha2.verifierKey)).toBe(false);
    expect(isRevoked(trustedV1, keyid)).toBe(false);
  });

  it("revokes every key with a revoked key ID", () => {
    const keyid = beta.verifierKey.split("+").slice(0, 2).join("+");
    const doc = versionOf(1, (d) => d.revoked.push(keyid));
    expect(isRevoked(doc, beta.verifierKey)).toBe(true);
    expect(reviewerKeys(doc, "rules").map((k) => k.organization)).toEqual([
      "Alpha Labs",
      "Alpha Labs",
    ]);
  });

  it("limits reviewers to the channels they are listed for", () => {
    const doc = versionOf(1, (d) => Object.assign(d.reviewers[0] ?? {}, { channels: ["rules"] }));
    expect(reviewerKeys(doc, "sigdb")).toHaveLength(2);
    expect(reviewerKeys(doc, "rules")).toHaveLength(3);
  });

  it("gives a channel's vendor keys and settings", () => {
    expect(vendorKeys(trusted, "sigdb").map((k) => k.keyid)).toEqual([
      base.vendor.verifierKey.split("+").slice(0, 2).join("+"),
    ]);
    expect(channelPolicy(trusted, "sigdb").headExpiry).toBe(86400);
  });

  it("refuses a channel the policy does not trust", () => {
    const err = errorOf(() => vendorKeys(trusted, "product"));
    expect(isCrosscheckError(err, "E_POLICY_CHANNEL")).toBe(true);
    expect(err.message).toMatch(/does not trust the channel "product" \(it trusts: sigdb, rules\)/);
    expect(code(() => reviewerKeys(trusted, "dictionary"))).toBe("E_POLICY_CHANNEL");
    expect(code(() => channelPolicy(trusted, "firmware"))).toBe("E_POLICY_CHANNEL");
  });
});
