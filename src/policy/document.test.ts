import { describe, expect, it } from "vitest";
import { isCrosscheckError } from "../errors/index.js";
import {
  type PolicyDocument,
  parsePolicyDocument,
  serializePolicyDocument,
  validatePolicyDocument,
} from "./document.js";
import { copy, ed25519Key, policyFixture, renamedKey, witnessKey } from "./fixtures.js";

const fixture = policyFixture();

function refusal(change: (doc: PolicyDocument & Record<string, unknown>) => void): string {
  const doc = copy(fixture.document) as PolicyDocument & Record<string, unknown>;
  change(doc);
  try {
    validatePolicyDocument(doc);
  } catch (err) {
    if (isCrosscheckError(err, "E_POLICY_MALFORMED")) return err.message;
    throw err;
  }
  throw new Error("the document was accepted");
}

describe("validatePolicyDocument", () => {
  it("accepts a valid document and parses its log policy", () => {
    const { document, parsedLog } = validatePolicyDocument(copy(fixture.document));
    expect(document.version).toBe(1);
    expect(parsedLog.logs).toHaveLength(1);
    expect(parsedLog.quorum).toBe("witnesses");
  });

  it("round-trips through its serialisation, whatever the field order", () => {
    const text = serializePolicyDocument(fixture.document);
    const reordered = JSON.stringify(
      Object.fromEntries(Object.entries(copy(fixture.document)).reverse()),
    );
    expect(serializePolicyDocument(parsePolicyDocument(reordered).document)).toBe(text);
    expect(text.endsWith("}\n")).toBe(true);
  });

  const refusals: [string, (doc: PolicyDocument & Record<string, unknown>) => void, RegExp][] = [
    ["a missing field", (d) => delete (d as Partial<PolicyDocument>).revoked, /at \/revoked/],
    ["an unknown field", (d) => Object.assign(d, { extra: 1 }), /malformed at \/extra/],
    ["another document type", (d) => Object.assign(d, { type: "https://example/v2" }), /at \/type/],
    ["version 0", (d) => Object.assign(d, { version: 0 }), /at \/version/],
    ["a fractional version", (d) => Object.assign(d, { version: 1.5 }), /at \/version/],
    [
      "an expiry with a time zone offset",
      (d) => Object.assign(d, { expires: "2099-01-01T00:00:00+01:00" }),
      /at \/expires/,
    ],
    [
      "an expiry that is no date",
      (d) => Object.assign(d, { expires: "2099-02-30T00:00:00Z" }),
      /expires "2099-02-30T00:00:00Z" is not a valid date/,
    ],
    [
      "a root key that does not parse",
      (d) => d.root.keys.push("root-4+00000000+AAAA"),
      /root\.keys\[3\] is not a valid verifier key/,
    ],
    [
      "a witness key as a root key",
      (d) => d.root.keys.push(witnessKey("w").verifierKey),
      /root\.keys\[3\] \(w\+[0-9a-f]{8}\) must be an Ed25519/,
    ],
    [
      "one root key listed twice under two names",
      (d) => d.root.keys.push(renamedKey(d.root.keys[0] as string, "again")),
      /root\.keys lists the key again\+[0-9a-f]{8} twice/,
    ],
    [
      "a root threshold above the keys",
      (d) => Object.assign(d.root, { threshold: 4 }),
      /at \/root\/threshold|root\.threshold is 4, but the root has only 3/,
    ],
    [
      "a root threshold only revoked keys could meet",
      (d) => d.revoked.push(d.root.keys[0] as string, d.root.keys[1] as string),
      /root\.threshold is 2, but the root has only 1 key\(s\) that are not revoked/,
    ],
    [
      "a root threshold of zero",
      (d) => Object.assign(d.root, { threshold: 0 }),
      /at \/root\/threshold/,
    ],
    [
      "a log policy with a bad line",
      (d) => Object.assign(d.log, { policy: `${d.log.policy}group bad 9 W1\n` }),
      /log\.policy: Log policy line 8: the group threshold 9 exceeds/,
    ],
    [
      "a log policy with two logs",
      (d) =>
        Object.assign(d.log, {
          policy: `log ${ed25519Key("second/log").verifierKey}\n${d.log.policy}`,
        }),
      /log\.policy must name exactly one log; it names 2/,
    ],
    [
      "a log policy with no log",
      (d) => Object.assign(d.log, { policy: d.log.policy.replace(/^log .*$/m, "") }),
      /it names 0/,
    ],
    [
      "a log policy with quorum none",
      (d) =>
        Object.assign(d.log, { policy: d.log.policy.replace("quorum witnesses", "quorum none") }),
      /`quorum none`: checkpoints must be cosigned/,
    ],
    [
      "a quorum only revoked witnesses could meet",
      (d) =>
        d.revoked.push(
          fixture.witnesses[0]?.verifierKey as string,
          fixture.witnesses[1]?.verifierKey as string,
        ),
      /quorum "witnesses" cannot be met/,
    ],
    [
      "a revoked log key",
      (d) => d.revoked.push(fixture.log.verifierKey),
      /names the log key example\.com\/log\+[0-9a-f]{8}, which is revoked/,
    ],
    [
      "a zero max checkpoint age",
      (d) => Object.assign(d.log, { maxCheckpointAge: 0 }),
      /at \/log\/maxCheckpointAge/,
    ],
    ["the region everyone", (d) => d.regions.push("everyone"), /regions may not list "everyone"/],
    ["a region listed twice", (d) => d.regions.push("eu"), /regions lists "eu" twice/],
    ["a region with capitals", (d) => d.regions.push("EU"), /at \/regions\/2/],
    ["no channel at all", (d) => Object.assign(d, { channels: {} }), /trusts no channel/],
    [
      "an unknown channel",
      (d) => Object.assign(d.channels, { firmware: d.channels.sigdb }),
      /at \/channels\/firmware/,
    ],
    [
      "a channel without vendor keys",
      (d) => Object.assign(d.channels.sigdb ?? {}, { vendorKeys: [] }),
      /at \/channels\/sigdb\/vendorKeys/,
    ],
    [
      "a review threshold of zero",
      (d) => Object.assign(d.channels.sigdb ?? {}, { reviewThreshold: 0 }),
      /at \/channels\/sigdb\/reviewThreshold/,
    ],
    [
      "a review threshold counting one organisation twice",
      (d) => Object.assign(d.channels.sigdb ?? {}, { reviewThreshold: 3 }),
      /channels\.sigdb\.reviewThreshold is 3, but only 2 distinct reviewer organisation/,
    ],
    [
      "a review threshold met only by reviewers of other channels",
      (d) => Object.assign(d.reviewers[2] ?? {}, { channels: ["rules"] }),
      /channels\.sigdb\.reviewThreshold is 2, but only 1 distinct/,
    ],
    [
      "a review threshold met only with a revoked reviewer",
      (d) => d.revoked.push(fixture.reviewers[2]?.verifierKey as string),
      /channels\.sigdb\.reviewThreshold is 2, but only 1 distinct/,
    ],
    [
      "a zero head expiry",
      (d) => Object.assign(d.channels.rules ?? {}, { headExpiry: 0 }),
      /at \/channels\/rules\/headExpiry/,
    ],
    [
      "a vendor key that is also a reviewer key",
      (d) =>
        d.reviewers.push({
          key: renamedKey(fixture.vendor.verifierKey, "sneaky"),
          organization: "Gamma",
        }),
      /is both a vendor key \(channels\.sigdb\) and a reviewer key/,
    ],
    [
      "every vendor key revoked",
      (d) => d.revoked.push(fixture.vendor.verifierKey),
      /Every vendor key of channels\.sigdb is revoked/,
    ],
    [
      "a reviewer listed twice",
      (d) =>
        d.reviewers.push({
          key: fixture.reviewers[0]?.verifierKey as string,
          organization: "Gamma",
        }),
      /reviewers lists the key alpha\.example\/reviewer-1\+[0-9a-f]{8} twice/,
    ],
    [
      "an organisation spelled two ways",
      (d) => Object.assign(d.reviewers[1] ?? {}, { organization: "alpha labs" }),
      /reviewers spells one organisation two ways \("Alpha Labs" and "alpha labs"\)/,
    ],
    [
      "an organisation with surrounding spaces",
      (d) => Object.assign(d.reviewers[0] ?? {}, { organization: " Alpha Labs" }),
      /at \/reviewers\/0\/organization/,
    ],
    [
      "a reviewer channel listed twice",
      (d) => Object.assign(d.reviewers[0] ?? {}, { channels: ["sigdb", "sigdb"] }),
      /reviewers\[0\]\.channels lists a channel twice/,
    ],
    [
      "a reviewer of an unknown channel",
      (d) => Object.assign(d.reviewers[0] ?? {}, { channels: ["firmware"] }),
      /at \/reviewers\/0\/channels\/0/,
    ],
    [
      "a rebuild threshold above the rebuilders",
      (d) => Object.assign(d, { rebuildThreshold: 2 }),
      /rebuildThreshold is 2, but only 1 distinct rebuilder organisation/,
    ],
    [
      "a negative rebuild threshold",
      (d) => Object.assign(d, { rebuildThreshold: -1 }),
      /at \/rebuildThreshold/,
    ],
    [
      "a revoked entry that is no key",
      (d) => d.revoked.push("not a key"),
      /revoked\[0\] is neither a key ID \(name\+hash8\) nor a valid verifier key/,
    ],
  ];
  it.each(refusals)("refuses %s", (_, change, message) => {
    expect(refusal(change)).toMatch(message);
  });

  it("refuses text that is not JSON, saying so", () => {
    expect(() => parsePolicyDocument("{")).toThrow(/not valid JSON/);
  });

  it("refuses bytes that are not UTF-8", () => {
    expect(() => parsePolicyDocument(Uint8Array.of(0x7b, 0xff, 0x7d))).toThrow(/not valid UTF-8/);
  });

  it("accepts a revoked reviewer when enough other organisations remain", () => {
    const doc = copy(fixture.document);
    doc.revoked.push(fixture.reviewers[0]?.verifierKey as string);
    expect(() => validatePolicyDocument(doc)).not.toThrow();
  });

  it("accepts revocation by key ID", () => {
    const doc = copy(fixture.document);
    const reviewer = fixture.reviewers[0]?.verifierKey ?? "";
    doc.revoked.push(reviewer.split("+").slice(0, 2).join("+"));
    expect(() => validatePolicyDocument(doc)).not.toThrow();
  });
});
