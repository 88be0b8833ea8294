/**
 * The policy checks of one log entry, in log order. Each entry is judged with what the log held
 * before it (the state), and updates that state: a head is judged by the reviews logged before
 * it, so a release "published" (named by a head) before its k approvals is caught even when the
 * approvals arrive later.
 */
import {
  compareVersions,
  type Envelope,
  HEAD_PREDICATE_TYPE,
  IN_TOTO_PAYLOAD_TYPE,
  openHead,
  openRebuild,
  openRelease,
  openReview,
  type PublicKey,
  parseLogEntry,
  parseStatement,
  publicKeyFromVerifierKey,
  REBUILD_PREDICATE_TYPE,
  RELEASE_PREDICATE_TYPE,
  REVIEW_PREDICATE_TYPE,
  verifyEnvelope,
} from "../attest/index.js";
import {
  fromBase64,
  NOTE_KEY_TYPE_ED25519,
  parseVerifierKey,
  sha256,
  toHex,
  utf8Encode,
} from "../crypto/index.js";
import { isCrosscheckError } from "../errors/index.js";
import {
  CHANNELS,
  channelPolicy,
  isRevoked,
  rebuilderKeys,
  reviewerKeys,
  type TrustedPolicy,
  vendorKeys,
} from "../policy/index.js";
import { type Alert, type AlertCode, type AlertSeverity, alert } from "./alerts.js";
import {
  MAX_RELEASES,
  MAX_VERDICTS,
  type MonitorState,
  type ReleaseRecord,
  type VerdictRecord,
} from "./state.js";

/** The policy's keys, indexed once per policy. */
interface KeyIndex {
  /** Every Ed25519 key the policy names (vendor, reviewer, revoked), to learn who signed. */
  all: PublicKey[];
  /** Per trusted channel: key IDs of its vendor keys that are not revoked. */
  vendors: Map<string, Set<string>>;
  /** Per trusted channel: key ID → organisation of the reviewers eligible for it. */
  reviewers: Map<string, Map<string, string>>;
  /** Every reviewer key ID, eligible anywhere or not, revoked or not. */
  anyReviewer: Set<string>;
  /** Key ID → organisation of the rebuilders not revoked. */
  rebuilders: Map<string, string>;
}

function indexKeys(policy: TrustedPolicy): KeyIndex {
  const document = policy.document;
  const byId = new Map<string, PublicKey>();
  const add = (vkey: string) => {
    try {
      const parsed = parseVerifierKey(vkey);
      if (parsed.keyType !== NOTE_KEY_TYPE_ED25519) return;
      const key = publicKeyFromVerifierKey(vkey);
      if (!byId.has(key.keyid)) byId.set(key.keyid, key);
    } catch {
      // A revoked entry may be a bare key ID: nothing to verify with.
    }
  };
  const vendors = new Map<string, Set<string>>();
  const reviewers = new Map<string, Map<string, string>>();
  for (const channel of CHANNELS) {
    const settings = document.channels[channel];
    if (!settings) continue;
    for (const vkey of settings.vendorKeys) add(vkey);
    vendors.set(channel, new Set(vendorKeys(policy, channel).map((k) => k.keyid)));
    reviewers.set(
      channel,
      new Map(reviewerKeys(policy, channel).map((r) => [r.key.keyid, r.organization])),
    );
  }
  for (const r of document.reviewers) add(r.key);
  for (const r of document.rebuilders) add(r.key);
  for (const r of document.revoked) add(r);
  const anyReviewer = new Set(document.reviewers.map((r) => publicKeyFromVerifierKey(r.key).keyid));
  const rebuilders = new Map(rebuilderKeys(policy).map((r) => [r.key.keyid, r.organization]));
  return { all: [...byId.values()], vendors, reviewers, anyReviewer, rebuilders };
}

/** Hex SHA-256 over the sorted `name sha256` lines of a list of artifacts. */
export function artifactsKey(artifacts: readonly { name: string; sha256: string }[]): string {
  const lines = artifacts.map((a) => `${a.name}\u0000${a.sha256}\n`).sort();
  return toHex(sha256(utf8Encode(lines.join(""))));
}

function short(digest: string): string {
  return digest.slice(0, 12);
}

export class EntryChecker {
  private readonly keys: KeyIndex;

  constructor(
    private readonly policy: TrustedPolicy,
    private readonly state: MonitorState,
  ) {
    this.keys = indexKeys(policy);
  }

  /** Judges entry `index` and records what later entries are judged by. */
  check(index: number, entry: Uint8Array): Alert[] {
    const alerts: Alert[] = [];
    const raise = (
      code: AlertCode,
      message: string,
      envelopeSha256?: string,
      severity?: AlertSeverity,
    ) => alerts.push(alert(code, message, { index, envelopeSha256, severity }));

    let parsed: ReturnType<typeof parseLogEntry>;
    try {
      parsed = parseLogEntry(entry);
    } catch (err) {
      raise(
        "M_ENTRY_MALFORMED",
        `Entry ${index} is not a log entry of an envelope: ${message(err)}`,
      );
      return alerts;
    }
    if (parsed.kind === "digest") {
      raise(
        "M_ENTRY_DIGEST_ONLY",
        `Entry ${index} refers to an envelope of ${parsed.size} bytes stored beside the log; the monitor cannot check it from the log alone.`,
        parsed.envelopeSha256,
      );
      return alerts;
    }
    const { envelope, envelopeSha256: digest } = parsed;
    const predicateType = predicateTypeOf(envelope);
    if (predicateType === undefined) {
      raise(
        "M_UNKNOWN_PAYLOAD",
        `Entry ${index} carries ${JSON.stringify(envelope.payloadType.slice(0, 80))}, not an in-toto statement; not checked.`,
        digest,
      );
      return alerts;
    }
    try {
      if (predicateType === RELEASE_PREDICATE_TYPE) this.release(index, envelope, digest, raise);
      else if (predicateType === REVIEW_PREDICATE_TYPE) this.review(index, envelope, digest, raise);
      else if (predicateType === HEAD_PREDICATE_TYPE) this.head(index, envelope, digest, raise);
      else if (predicateType === REBUILD_PREDICATE_TYPE) this.rebuild(envelope, digest, raise);
      else {
        raise(
          "M_UNKNOWN_PAYLOAD",
          `Entry ${index} is a statement of type ${JSON.stringify(predicateType.slice(0, 120))}, which the monitor does not check.`,
          digest,
        );
      }
    } catch (err) {
      if (isCrosscheckError(err, "E_AUDIENCE")) {
        raise(
          "M_AUDIENCE_TARGETED",
          `Entry ${index} is a release addressed to an audience that is neither "everyone" nor a region${signedBy(this.signers(envelope))}: releases are never addressed to a single customer.`,
          digest,
        );
      } else if (isCrosscheckError(err)) {
        raise("M_ENTRY_INVALID", `Entry ${index} is an invalid statement: ${err.message}`, digest);
      } else {
        throw err;
      }
    }
    return alerts;
  }

  /**
   * A rebuild statement: by a rebuilder the policy names, or an alert; a BAD from one is a
   * rebuilder saying the shipped binary is not what the named source builds (endpoints that
   * require rebuilds refuse the release; everyone should know).
   */
  private rebuild(envelope: Envelope, digest: string, raise: Raise): void {
    const opened = openRebuild(envelope, this.keys.all);
    const p = opened.predicate;
    const what = `rebuild of ${p.release.channel} ${p.release.version} (${short(p.release.envelopeSha256)})`;
    const organization = opened.verifiedKeyids
      .map((id) => this.keys.rebuilders.get(id))
      .find((o) => o !== undefined);
    if (organization === undefined) {
      raise(
        "M_REBUILD_UNTRUSTED_SIGNER",
        `The ${what} is signed by ${describeSigners(opened.verifiedKeyids)}, not by a rebuilder the policy names; endpoints ignore it.`,
        digest,
      );
      return;
    }
    if (p.status === "BAD") {
      const first = p.differences[0];
      raise(
        "M_REBUILD_BAD",
        `${organization} rebuilt ${p.release.channel} ${p.release.version} from ${p.source.repository}@${p.source.commit.slice(0, 12)} and got different artifacts${first ? ` (first difference: ${first.artifact})` : ""}: the shipped files are not what the reviewed source builds.`,
        digest,
      );
    }
  }

  private release(index: number, envelope: Envelope, digest: string, raise: Raise): void {
    const opened = openRelease(envelope, this.keys.all);
    const p = opened.predicate;
    const what = `release ${p.channel} ${p.version} (${short(digest)})`;
    const trustedKeys = this.keys.vendors.get(p.channel);
    let trusted = false;
    if (!trustedKeys) {
      raise(
        "M_CHANNEL_UNTRUSTED",
        `The ${what} is for a channel the policy does not trust; endpoints refuse it.`,
        digest,
      );
    } else if (opened.verifiedKeyids.some((id) => trustedKeys.has(id))) {
      trusted = true;
    } else {
      this.untrustedSigner(
        opened.verifiedKeyids,
        "M_RELEASE_REVOKED_SIGNER",
        "M_RELEASE_UNTRUSTED_SIGNER",
        `The ${what} is signed by ${describeSigners(opened.verifiedKeyids)}, not by a vendor key the policy trusts for ${p.channel}`,
        digest,
        raise,
      );
    }

    if (p.audience !== "everyone") {
      const region = p.audience.region;
      if (this.policy.document.regions.includes(region)) {
        raise(
          "M_AUDIENCE_REGION",
          `The ${what} is addressed to the region ${JSON.stringify(region)} only, not to everyone.`,
          digest,
        );
      } else {
        raise(
          "M_AUDIENCE_UNKNOWN_REGION",
          `The ${what} is addressed to ${JSON.stringify(region)}, which is not a region of the policy: a targeted release.`,
          digest,
        );
      }
    }

    if (trusted) {
      const highest = this.state.channels[p.channel];
      if (highest) {
        const order = compareVersions(p.version, highest.version);
        if (order < 0) {
          raise(
            "M_VERSION_ROLLBACK",
            `The ${what} goes back: ${p.channel} already had version ${highest.version} (entry ${highest.index}).`,
            digest,
          );
        } else if (order === 0) {
          raise(
            "M_VERSION_REPEATED",
            `The ${what} repeats version ${p.version} of ${p.channel}, already released as ${short(highest.envelopeSha256)} (entry ${highest.index}).`,
            digest,
          );
        }
        const previous = p.previous?.envelopeSha256 ?? null;
        if (order > 0 && previous !== highest.envelopeSha256) {
          raise(
            "M_PREVIOUS_MISMATCH",
            `The ${what} names ${previous ? short(previous) : "no release"} as its previous release; the channel's latest was ${short(highest.envelopeSha256)} (${highest.version}).`,
            digest,
          );
        }
        if (order > 0) {
          this.state.channels[p.channel] = { version: p.version, envelopeSha256: digest, index };
        }
      } else {
        this.state.channels[p.channel] = { version: p.version, envelopeSha256: digest, index };
      }
    }

    const record = this.record(digest);
    record.release = {
      index,
      channel: p.channel,
      version: p.version,
      trusted,
      artifacts: artifactsKey(p.artifacts),
    };
  }

  private review(index: number, envelope: Envelope, digest: string, raise: Raise): void {
    const opened = openReview(envelope, this.keys.all);
    const p = opened.predicate;
    const releaseDigest = p.release.envelopeSha256;
    const what = `review of release ${p.release.channel} ${p.release.version} (${short(releaseDigest)})`;
    const eligible = this.keys.reviewers.get(p.release.channel);
    const counted = opened.verifiedKeyids.filter((id) => eligible?.has(id));
    if (counted.length === 0) {
      this.untrustedSigner(
        opened.verifiedKeyids,
        "M_REVIEW_REVOKED_KEY",
        "M_REVIEW_UNKNOWN_KEY",
        `The ${what} is signed by ${describeSigners(opened.verifiedKeyids)}, not by a reviewer the policy accepts for ${p.release.channel}; it does not count`,
        digest,
        raise,
      );
      return;
    }
    const keyid = counted[0] as string;
    const organization = eligible?.get(keyid) as string;
    if (p.verifier.id !== organization) {
      raise(
        "M_REVIEW_ORGANIZATION",
        `The ${what} names the organisation ${JSON.stringify(p.verifier.id)}, but its key ${keyid} belongs to ${JSON.stringify(organization)} in the policy; it counts for ${JSON.stringify(organization)}.`,
        digest,
      );
    }
    const artifacts = artifactsKey(p.artifacts);
    const record = this.record(releaseDigest);
    const release = record.release;
    if (
      release &&
      (release.artifacts !== artifacts ||
        release.channel !== p.release.channel ||
        release.version !== p.release.version)
    ) {
      raise(
        "M_REVIEW_MISMATCH",
        `The ${what} by ${organization} judges other artifacts, channel or version than the release it names (${release.channel} ${release.version}); its approval does not count.`,
        digest,
      );
    }
    if (p.verdict === "reject") {
      raise(
        "M_RELEASE_REJECTED",
        `release ${p.release.channel} ${p.release.version} (${short(releaseDigest)}) rejected by ${organization}${p.comment ? `: ${p.comment.slice(0, 200)}` : ""}`,
        digest,
      );
    }
    const verdict: VerdictRecord = {
      organization,
      keyid,
      verdict: p.verdict,
      artifacts,
      channel: p.release.channel,
      version: p.release.version,
      index,
    };
    const same = record.verdicts.findIndex(
      (v) => v.keyid === keyid && v.verdict === verdict.verdict,
    );
    if (same >= 0) record.verdicts.splice(same, 1);
    record.verdicts.push(verdict);
    // Keep every rejection (one vetoes); drop the oldest approvals first.
    while (record.verdicts.length > MAX_VERDICTS) {
      const oldest = record.verdicts.findIndex((v) => v.verdict === "approve");
      record.verdicts.splice(Math.max(oldest, 0), 1);
    }
  }

  private head(index: number, envelope: Envelope, digest: string, raise: Raise): void {
    const opened = openHead(envelope, this.keys.all);
    const p = opened.predicate;
    const releaseDigest = p.release.envelopeSha256;
    const what = `head of ${p.channel} naming ${p.version} (${short(releaseDigest)})`;
    const trustedKeys = this.keys.vendors.get(p.channel);
    if (!trustedKeys || !opened.verifiedKeyids.some((id) => trustedKeys.has(id))) {
      this.untrustedSigner(
        opened.verifiedKeyids,
        "M_HEAD_REVOKED_SIGNER",
        "M_HEAD_UNTRUSTED_SIGNER",
        `The ${what} is signed by ${describeSigners(opened.verifiedKeyids)}, not by a vendor key the policy trusts for ${p.channel}; endpoints refuse it`,
        digest,
        raise,
      );
      return;
    }

    const lastHead = this.state.heads[p.channel];
    if (lastHead && compareVersions(p.version, lastHead.version) < 0) {
      raise(
        "M_HEAD_ROLLBACK",
        `The ${what} goes back from the channel's head ${lastHead.version} (entry ${lastHead.index}).`,
        digest,
      );
    } else {
      this.state.heads[p.channel] = { version: p.version, index };
    }

    const record = this.state.releases[releaseDigest];
    const release = record?.release;
    if (!release) {
      const forgotten = this.state.forgotten > 0;
      raise(
        "M_HEAD_UNKNOWN_RELEASE",
        forgotten
          ? `The ${what} names a release the monitor does not remember (it forgot ${this.state.forgotten} old releases); it may be unlogged.`
          : `The ${what} names a release that was not logged before it: an unlogged release was published.`,
        digest,
        forgotten ? "warning" : undefined,
      );
      return;
    }
    if (!release.trusted) {
      raise(
        "M_HEAD_UNTRUSTED_RELEASE",
        `The ${what} names a release (entry ${release.index}) that is not signed by a vendor key the policy trusts for its channel.`,
        digest,
      );
    }
    if (release.channel !== p.channel || release.version !== p.version) {
      raise(
        "M_HEAD_MISMATCH",
        `The ${what} names a release that is ${release.channel} ${release.version} (entry ${release.index}).`,
        digest,
      );
    }
    const verdicts = record.verdicts;
    const rejecters = [
      ...new Set(verdicts.filter((v) => v.verdict === "reject").map((v) => v.organization)),
    ];
    if (rejecters.length > 0) {
      raise(
        "M_HEAD_REJECTED",
        `The ${what} publishes a release rejected by ${rejecters.join(", ")}: one rejection vetoes.`,
        digest,
      );
    }
    const approvers = new Set(
      verdicts
        .filter(
          (v) =>
            v.verdict === "approve" &&
            v.artifacts === release.artifacts &&
            v.channel === release.channel &&
            v.version === release.version,
        )
        .map((v) => v.organization),
    );
    let threshold = 1;
    try {
      threshold = channelPolicy(this.policy, release.channel).reviewThreshold;
    } catch {
      // An untrusted channel's release was reported already.
    }
    if (approvers.size < threshold) {
      raise(
        "M_HEAD_UNREVIEWED",
        `The ${what} publishes a release approved by ${approvers.size} of the ${threshold} reviewer organisations required${approvers.size ? ` (${[...approvers].join(", ")})` : ""} when the head was logged.`,
        digest,
      );
    }
  }

  /** The record of a release, created (and the oldest forgotten past the bound) when new. */
  private record(digest: string): ReleaseRecord {
    const existing = this.state.releases[digest];
    if (existing) return existing;
    const created: ReleaseRecord = { verdicts: [] };
    this.state.releases[digest] = created;
    const keys = Object.keys(this.state.releases);
    for (let i = 0; keys.length - i > MAX_RELEASES; i++) {
      delete this.state.releases[keys[i] as string];
      this.state.forgotten++;
    }
    return created;
  }

  private signers(envelope: Envelope): string {
    try {
      return describeSigners(verifyEnvelope(envelope, this.keys.all).verifiedKeyids);
    } catch {
      return "an unknown key";
    }
  }

  private untrustedSigner(
    verified: string[],
    revokedCode: AlertCode,
    unknownCode: AlertCode,
    sentence: string,
    digest: string,
    raise: Raise,
  ): void {
    const revoked = verified.filter((id) => isRevoked(this.policy, id));
    if (revoked.length > 0) {
      raise(revokedCode, `${sentence}; the key ${revoked.join(", ")} is revoked.`, digest);
    } else {
      raise(unknownCode, `${sentence}.`, digest);
    }
  }
}

type Raise = (
  code: AlertCode,
  message: string,
  envelopeSha256?: string,
  severity?: AlertSeverity,
) => void;

function predicateTypeOf(envelope: Envelope): string | undefined {
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) return undefined;
  try {
    return parseStatement(fromBase64(envelope.payload)).predicateType;
  } catch {
    return undefined;
  }
}

function describeSigners(ids: string[]): string {
  return ids.length === 0 ? "no key the policy knows" : ids.join(", ");
}

function signedBy(ids: string): string {
  return ` (signed by ${ids})`;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
