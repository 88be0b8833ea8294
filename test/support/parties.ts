/**
 * Every party of a verifier test or benchmark: root, log, witness, vendor and reviewer keys, and a
 * trust policy naming them (2 of 3 roots, 2 of 3 witnesses, 2 reviewer organisations for sigdb,
 * one revoked reviewer). Pure: no log, no database.
 */
import { generateNoteKey, NOTE_KEY_TYPE_COSIGNATURE_V1 } from "../../src/crypto/index.js";
import { POLICY_TYPE, type PolicyDocument } from "../../src/policy/index.js";

export interface KeyPair {
  signerKey: string;
  verifierKey: string;
}

export function keys() {
  const k = (name: string) => generateNoteKey(name);
  return {
    roots: [k("root-1.example"), k("root-2.example"), k("root-3.example")],
    log: k("log.crosscheck.example"),
    witnesses: [1, 2, 3].map((i) =>
      generateNoteKey(`w${i}.witness.example`, NOTE_KEY_TYPE_COSIGNATURE_V1),
    ),
    vendor: k("vendor.example/releases"),
    otherVendor: k("other-vendor.example/releases"),
    alpha: k("alpha.example/reviewer"),
    alpha2: k("alpha.example/second-reviewer"),
    beta: k("beta.example/reviewer"),
    gamma: k("gamma.example/reviewer"),
    revoked: k("delta.example/reviewer"),
  };
}

export type Keys = ReturnType<typeof keys>;

export function policyDocument(k: Keys, changes: Partial<PolicyDocument> = {}): PolicyDocument {
  return {
    type: POLICY_TYPE,
    version: 1,
    expires: "2027-11-23T00:00:00Z",
    root: { keys: k.roots.map((r) => r.verifierKey), threshold: 2 },
    log: {
      policy: [
        `log ${k.log.verifierKey}`,
        ...k.witnesses.map((w, i) => `witness w${i + 1} ${w.verifierKey}`),
        "group witnesses 2 w1 w2 w3",
        "quorum witnesses",
        "",
      ].join("\n"),
      maxCheckpointAge: 3600,
    },
    regions: ["eu", "us"],
    channels: {
      sigdb: { vendorKeys: [k.vendor.verifierKey], reviewThreshold: 2, headExpiry: 86400 },
      rules: { vendorKeys: [k.otherVendor.verifierKey], reviewThreshold: 1, headExpiry: 86400 },
    },
    reviewers: [
      { key: k.alpha.verifierKey, organization: "Alpha Labs" },
      { key: k.alpha2.verifierKey, organization: "Alpha Labs" },
      { key: k.beta.verifierKey, organization: "Beta Review" },
      { key: k.gamma.verifierKey, organization: "Gamma Security" },
      { key: k.revoked.verifierKey, organization: "Delta Audit" },
    ],
    rebuilders: [],
    rebuildThreshold: 0,
    revoked: [k.revoked.verifierKey],
    ...changes,
  };
}
