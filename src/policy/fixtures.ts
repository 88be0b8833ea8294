/**
 * Test fixtures: fresh keys and a valid policy document built from them. Used by the tests beside
 * this file only; not part of the public face (index.ts).
 */
import {
  generateNoteKey,
  NOTE_KEY_TYPE_COSIGNATURE_V1,
  noteKeyHash,
  parseVerifierKey,
  toBase64,
} from "../crypto/index.js";
import { POLICY_TYPE, type PolicyDocument } from "./document.js";

export interface KeyPair {
  signerKey: string;
  verifierKey: string;
}

export function ed25519Key(name: string): KeyPair {
  return generateNoteKey(name);
}

export function witnessKey(name: string): KeyPair {
  return generateNoteKey(name, NOTE_KEY_TYPE_COSIGNATURE_V1);
}

/** The same public key under another name: a different verifier key text, the same key. */
export function renamedKey(vkey: string, name: string): string {
  const parsed = parseVerifierKey(vkey);
  const typed = new Uint8Array(1 + parsed.publicKey.length);
  typed[0] = parsed.keyType;
  typed.set(parsed.publicKey, 1);
  const hash = noteKeyHash(name, typed).toString(16).padStart(8, "0");
  return `${name}+${hash}+${toBase64(typed)}`;
}

export interface PolicyFixture {
  roots: KeyPair[];
  log: KeyPair;
  witnesses: KeyPair[];
  vendor: KeyPair;
  reviewers: KeyPair[];
  rebuilder: KeyPair;
  document: PolicyDocument;
}

/**
 * A valid policy: 3 root keys (threshold 2), one log, 3 witnesses (2 of 3), the sigdb and rules
 * channels, reviewers from two organisations (threshold 2), one rebuilder.
 */
export function policyFixture(
  options: { version?: number; expires?: string; roots?: KeyPair[]; threshold?: number } = {},
): PolicyFixture {
  const roots = options.roots ?? [1, 2, 3].map((i) => ed25519Key(`root-${i}`));
  const log = ed25519Key("example.com/log");
  const witnesses = [1, 2, 3].map((i) => witnessKey(`witness-${i}.example`));
  const vendor = ed25519Key("vendor.example/sigdb");
  const reviewers = [
    ed25519Key("alpha.example/reviewer-1"),
    ed25519Key("alpha.example/reviewer-2"),
    ed25519Key("beta.example/reviewer"),
  ];
  const rebuilder = ed25519Key("rebuild.example");
  const document: PolicyDocument = {
    type: POLICY_TYPE,
    version: options.version ?? 1,
    expires: options.expires ?? "2099-01-01T00:00:00Z",
    root: { keys: roots.map((k) => k.verifierKey), threshold: options.threshold ?? 2 },
    log: {
      policy: [
        "# the Crosscheck log and its witnesses",
        `log ${log.verifierKey} https://log.example/log`,
        ...witnesses.map((w, i) => `witness W${i + 1} ${w.verifierKey}`),
        "group witnesses 2 W1 W2 W3",
        "quorum witnesses",
        "",
      ].join("\n"),
      maxCheckpointAge: 86400,
    },
    regions: ["eu", "us"],
    channels: {
      sigdb: { vendorKeys: [vendor.verifierKey], reviewThreshold: 2, headExpiry: 86400 },
      rules: { vendorKeys: [vendor.verifierKey], reviewThreshold: 1, headExpiry: 86400 },
    },
    reviewers: [
      { key: reviewers[0]?.verifierKey as string, organization: "Alpha Labs" },
      { key: reviewers[1]?.verifierKey as string, organization: "Alpha Labs" },
      { key: reviewers[2]?.verifierKey as string, organization: "Beta Review" },
    ],
    rebuilders: [{ key: rebuilder.verifierKey, organization: "Rebuild Co" }],
    rebuildThreshold: 1,
    revoked: [],
  };
  return { roots, log, witnesses, vendor, reviewers, rebuilder, document };
}

/** A deep copy to mutate in a test. */
export function copy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
