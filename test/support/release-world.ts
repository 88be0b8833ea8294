/**
 * A complete little world for verifier tests: keys for every party, a signed trust policy, a real
 * transparency log (in-process, SQLite), and builders for releases, heads, reviews, cosigned
 * checkpoints and bundles. Attacks start from a valid bundle and change one thing.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type Envelope,
  ed25519EnvelopeSigner,
  envelopeDigest,
  type HeadPredicate,
  type ReleasePredicate,
  type ReviewPredicate,
  signHead,
  signRelease,
  signReview,
} from "../../src/attest/index.js";
import { sha256, toHex, utf8Encode } from "../../src/crypto/index.js";
import { installNodeCrypto } from "../../src/crypto/node.js";
import { TransparencyLog } from "../../src/log/index.js";
import { addCosignatures, cosignatureSigner } from "../../src/merkle/index.js";
import {
  openPolicy,
  type PolicyDocument,
  signPolicy,
  type TrustedPolicy,
} from "../../src/policy/index.js";
import { assembleBundle, type BundleParts } from "../../src/releases/index.js";
import { openSqlite } from "../../src/store/index.js";
import type { Bundle } from "../../src/verify/index.js";
import { type KeyPair, type Keys, keys, policyDocument } from "./parties.js";

installNodeCrypto();

export { type KeyPair, type Keys, keys, policyDocument } from "./parties.js";

export const NOW = new Date("2026-11-23T12:00:00Z");
export const NOW_SECONDS = Math.floor(NOW.getTime() / 1000);
export const ARTIFACT = utf8Encode("ClamAV-style signature database, version 2026.11.23.1\n");
export const ARTIFACT_SHA256 = toHex(sha256(ARTIFACT));

export interface World {
  keys: Keys;
  policy: TrustedPolicy;
  log: TransparencyLog;
  release(changes?: Partial<ReleasePredicate>, signer?: KeyPair): Envelope;
  head(release: Envelope, changes?: Partial<HeadPredicate>, signer?: KeyPair): Envelope;
  review(
    release: Envelope,
    reviewer: KeyPair,
    organization: string,
    changes?: Partial<ReviewPredicate>,
  ): Envelope;
  /** The usual parts: a release, its head, approvals by Alpha and Beta. */
  parts(changes?: Partial<ReleasePredicate>): BundleParts;
  /** Logs the parts and proves them against a checkpoint cosigned by `cosigners` at `time`. */
  bundle(parts: BundleParts, options?: { cosigners?: KeyPair[]; time?: number }): Promise<Bundle>;
  cosign(checkpoint: string, cosigners?: KeyPair[], time?: number): string;
  close(): Promise<void>;
}

/** `document` replaces the usual policy (e.g. one with a product channel and rebuilders). */
export async function world(
  options: { document?: (k: Keys) => PolicyDocument } = {},
): Promise<World> {
  const k = keys();
  const policy = openPolicy(
    signPolicy((options.document ?? policyDocument)(k), [
      k.roots[0]?.signerKey as string,
      k.roots[1]?.signerKey as string,
    ]),
    {
      now: NOW,
    },
  );
  const dir = mkdtempSync(join(tmpdir(), "crosscheck-world-"));
  const database = openSqlite(join(dir, "log.sqlite"));
  const log = await TransparencyLog.open({ database, signer: k.log.signerKey });

  const releasePredicate = (changes: Partial<ReleasePredicate> = {}): ReleasePredicate =>
    ({
      channel: "sigdb",
      version: "2026.11.23.1",
      artifacts: [{ name: "main.cvd", size: ARTIFACT.length, sha256: ARTIFACT_SHA256 }],
      previous: null,
      audience: "everyone",
      published: "2026-11-23T10:00:00Z",
      ...changes,
    }) as ReleasePredicate;

  const self: World = {
    keys: k,
    policy,
    log,
    release(changes = {}, signer = k.vendor) {
      return signRelease(releasePredicate(changes), ed25519EnvelopeSigner(signer.signerKey));
    },
    head(release, changes = {}, signer = k.vendor) {
      const payload = JSON.parse(new TextDecoder().decode(Buffer.from(release.payload, "base64")));
      const p = payload.predicate as ReleasePredicate;
      return signHead(
        {
          channel: p.channel,
          version: p.version,
          release: { envelopeSha256: envelopeDigest(release) },
          issued: "2026-11-23T11:00:00Z",
          expires: "2026-11-24T11:00:00Z",
          ...changes,
        },
        ed25519EnvelopeSigner(signer.signerKey),
      );
    },
    review(release, reviewer, organization, changes = {}) {
      const payload = JSON.parse(new TextDecoder().decode(Buffer.from(release.payload, "base64")));
      const p = payload.predicate as ReleasePredicate;
      return signReview(
        {
          verifier: { id: organization, reviewer: reviewer.verifierKey.split("+")[0] as string },
          timeVerified: "2026-11-23T10:30:00Z",
          release: {
            envelopeSha256: envelopeDigest(release),
            channel: p.channel,
            version: p.version,
          },
          artifacts: p.artifacts.map((a) => ({ name: a.name, sha256: a.sha256 })),
          verdict: "approve",
          findings: { reportSha256: "0".repeat(64) },
          analyzers: [{ name: "crosscheck-sigdb", version: "0.1.0" }],
          comment: "",
          ...changes,
        },
        ed25519EnvelopeSigner(reviewer.signerKey),
      );
    },
    parts(changes = {}) {
      const release = self.release(changes);
      return {
        release,
        head: self.head(release),
        reviews: [
          self.review(release, k.alpha, "Alpha Labs"),
          self.review(release, k.beta, "Beta Review"),
        ],
      };
    },
    cosign(checkpoint, cosigners = k.witnesses.slice(0, 2), time = NOW_SECONDS - 60) {
      return cosigners.length === 0
        ? checkpoint
        : addCosignatures(
            checkpoint,
            cosigners.map((w) => cosignatureSigner(w.signerKey, () => time)),
          );
    },
    async bundle(parts, options = {}) {
      return assembleBundle(parts, {
        add: async (entry) => (await log.add(entry)).index,
        checkpoint: async () => self.cosign(log.checkpoint(), options.cosigners, options.time),
        tiles: log.tileSource,
      });
    },
    async close() {
      await log.close();
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return self;
}
