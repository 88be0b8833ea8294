/**
 * The endpoint's verifier: bundle + artifact + trusted policy + saved state → accept, or one
 * precise refusal. The checks run in the order below, which is this module's documentation
 * (DESIGN.md, "Endpoint verification"); each refusal has its own stable code.
 *
 *  1. policy      the trust policy is unexpired                         E_POLICY_EXPIRED
 *  2. release     signed by a vendor key of the expected channel        E_WRONG_CHANNEL, E_RELEASE_UNSIGNED,
 *                                                                        E_RELEASE_SIGNATURE
 *  3. audience    everyone, or a policy region this endpoint is in      E_AUDIENCE
 *  4. artifacts   the artifact's digest is one the release lists        E_ARTIFACT_MISMATCH
 *  5. reviews     ≥ k distinct organisations approve exactly these      E_REVIEW_REJECTED, E_REVIEW_MISMATCH,
 *                 digests, no policy reviewer rejects them               E_REVIEWER_REVOKED, E_REVIEW_DUPLICATE,
 *                                                                        E_UNREVIEWED, E_REVIEW_THRESHOLD
 *  6. rebuilds    no policy rebuilder found these artifacts BAD (one     E_REBUILD_BAD, E_REBUILD_MISMATCH,
 *                 BAD vetoes, any channel); a product release needs      E_REBUILDER_REVOKED, E_REBUILD_DUPLICATE,
 *                 ≥ r distinct rebuilder organisations reporting GOOD    E_UNREBUILT, E_REBUILD_THRESHOLD
 *                 for exactly this release, its source and its recipe
 *  7. inclusion   every envelope is in the log under the checkpoint     E_UNLOGGED, E_INCLUSION_PROOF
 *  8. checkpoint  signed by the log, cosigned by a witness quorum       E_CHECKPOINT_SIGNATURE, E_COSIGNATURES
 *  9. consistency extends the newest checkpoint this endpoint saw       E_CHECKPOINT_ROLLBACK, E_SPLIT_VIEW
 * 10. head        the vendor's current head names this release, was      E_HEAD_UNSIGNED, E_HEAD_MISMATCH,
 *                 not issued in the future, is unexpired and not older   E_HEAD_FUTURE, E_FREEZE,
 *                 than one seen before                                   E_HEAD_REPLAY
 * 11. version     newer than the installed one                          E_ROLLBACK
 * 12. freshness   the witnesses vouched for the checkpoint recently     E_CHECKPOINT_STALE
 *
 * Pure and synchronous: no I/O, no clock (`now` is given), so it runs the same in the browser.
 */
import {
  type Channel,
  compareVersions,
  envelopeLogEntry,
  type HeadPredicate,
  openHead,
  openRebuild,
  openRelease,
  openReview,
  type PublicKey,
  publicKeyFromVerifierKey,
  type ReleasePredicate,
} from "../attest/index.js";
import {
  bytesEqual,
  fromBase64,
  type NoteVerifier,
  type ParsedVerifierKey,
  parseNote,
  parseVerifierKey,
  sha256,
  toHex,
  utf8Encode,
} from "../crypto/index.js";
import { CrosscheckError, isCrosscheckError } from "../errors/index.js";
import {
  type Checkpoint,
  cosignatureTime,
  cosignatureVerifier,
  leafHash,
  parseCheckpoint,
  rootFromInclusionProof,
  verifyConsistency,
} from "../merkle/index.js";
import {
  AUDIENCE_EVERYONE,
  channelPolicy,
  isRevoked,
  quorumSatisfied,
  type TrustedPolicy,
  vendorKeys,
} from "../policy/index.js";
import type { Bundle, LoggedEnvelope } from "./bundle.js";
import type { EndpointState } from "./state.js";

export interface VerifyReleaseInput {
  bundle: Bundle;
  /** The artifact's bytes, or its hex SHA-256 when the caller hashed it (large files). */
  artifact: Uint8Array | { sha256: string };
  policy: TrustedPolicy;
  /** What this endpoint saw before; absent on first use. */
  state?: EndpointState;
  /** The channel this endpoint updates; a release of another channel is refused. */
  channel: Channel;
  /** The region this endpoint is in, if any (Decision 13). */
  region?: string;
  now: Date;
  /** Consistency proof from the saved checkpoint to the bundle's (Decision 8). */
  consistencyProof?: Uint8Array[];
  /** Seconds a cosignature's or a head's time may lie ahead of `now` (clock skew); 300 if absent. */
  clockSkewSeconds?: number;
}

export interface VerifiedRelease {
  release: ReleasePredicate;
  releaseSha256: string;
  /** The artifact the caller holds: its name and digest in the release. */
  artifact: { name: string; sha256: string; size: number };
  /** Organisations whose approval counted. */
  approvedBy: string[];
  /** Rebuilder organisations whose GOOD rebuild counted (empty when the policy needs none). */
  rebuiltBy: string[];
  checkpoint: Checkpoint;
  /** POSIX seconds the witness quorum vouched for the checkpoint. */
  witnessTime: number;
  /** What the endpoint must save, atomically, once it installs the artifact. */
  state: EndpointState;
  /** How consistency with the saved checkpoint was established. */
  consistency: "first-use" | "same-checkpoint" | "proof" | "witness-quorum";
}

const refuse = (code: string, message: string) => new CrosscheckError(code, message);

export function verifyRelease(input: VerifyReleaseInput): VerifiedRelease {
  const { bundle, policy, channel, now } = input;
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const clockSkew = input.clockSkewSeconds ?? 300;
  const state = input.state ?? { channels: {} };

  // 1. The policy must still be in force.
  if (Date.parse(policy.document.expires) <= now.getTime()) {
    throw refuse(
      "E_POLICY_EXPIRED",
      `The trust policy (version ${policy.document.version}) expired at ${policy.document.expires}; fetch a newer signed policy.`,
    );
  }

  // 2. The release, signed by a vendor key of the expected channel.
  const keys = policyKeys(policy);
  const release = openSigned("release", () =>
    openRelease(bundle.release.envelope, keys.allVendorKeys()),
  );
  const predicate = release.predicate;
  if (predicate.channel !== channel) {
    throw refuse(
      "E_WRONG_CHANNEL",
      `The bundle holds a ${predicate.channel} release, but this endpoint updates ${channel}.`,
    );
  }
  const settings = channelPolicy(policy, channel);
  const channelKeys = keys.channel(channel).vendorKeyids;
  if (bundle.release.envelope.signatures.length === 0) {
    throw refuse("E_RELEASE_UNSIGNED", "The release carries no signature.");
  }
  if (!release.verifiedKeyids.some((id) => channelKeys.has(id))) {
    throw refuse(
      "E_RELEASE_SIGNATURE",
      `The release is not signed by any vendor key the policy trusts for ${channel}.`,
    );
  }

  // 3. The audience: everyone, or a region of the policy that this endpoint is in.
  checkAudience(predicate, policy, input.region);

  // 4. The artifact is one the release lists.
  const artifactSha256 =
    input.artifact instanceof Uint8Array ? toHex(sha256(input.artifact)) : input.artifact.sha256;
  const artifact = predicate.artifacts.find((a) => a.sha256 === artifactSha256);
  if (!artifact) {
    throw refuse(
      "E_ARTIFACT_MISMATCH",
      `The artifact (sha256 ${artifactSha256.slice(0, 16)}…) is not one this release lists; it is not the reviewed file.`,
    );
  }

  // 5. Reviews: k distinct organisations approve exactly these digests; one rejection vetoes.
  const reviews = checkReviews(
    bundle,
    keys.channel(channel).reviewers,
    release.envelopeSha256,
    predicate,
    settings.reviewThreshold,
  );
  const approvedBy = reviews.approvedBy;

  // 6. Rebuilds: one BAD from a policy rebuilder vetoes; a product release needs r GOOD ones.
  const rebuilds = checkRebuilds(
    bundle,
    keys.rebuilders(),
    release.envelopeSha256,
    predicate,
    predicate.channel === "product" ? policy.document.rebuildThreshold : 0,
  );

  // 7. Every envelope is in the log under the bundle's checkpoint. The release's, the reviews'
  // and the rebuilds' entries were serialised when they were opened; the head is opened in step 10.
  const checkpointNote = parseNote(bundle.checkpoint);
  const checkpoint = parseCheckpointBody(checkpointNote.text);
  checkInclusion("release", bundle.release, release.logEntry, checkpoint);
  checkInclusion("head", bundle.head, envelopeLogEntry(bundle.head.envelope), checkpoint);
  for (const [i, review] of bundle.reviews.entries()) {
    checkInclusion(`review ${i + 1}`, review, reviews.logEntries[i] as Uint8Array, checkpoint);
  }
  for (const [i, rebuild] of (bundle.rebuilds ?? []).entries()) {
    checkInclusion(`rebuild ${i + 1}`, rebuild, rebuilds.logEntries[i] as Uint8Array, checkpoint);
  }

  // 8. The checkpoint is signed by the log and cosigned by a witness quorum.
  const witnessTime = checkCheckpointSignatures(
    checkpointNote,
    checkpoint,
    policy,
    keys,
    nowSeconds,
    clockSkew,
  );

  // 9. It extends the newest checkpoint this endpoint saw.
  const consistency = checkConsistency(checkpoint, state, input.consistencyProof);

  // 10. The channel head names this release, is unexpired, and is not older than the last seen.
  const head = checkHead(
    bundle,
    keys.channel(channel).vendorKeys,
    channel,
    release.envelopeSha256,
    predicate,
    settings.headExpiry,
    now,
    clockSkew,
    state,
  );

  // 11. No rollback: the version is newer than the installed one.
  const installed = state.channels[channel];
  if (installed) {
    const order = compareVersions(predicate.version, installed.version);
    if (order < 0 || (order === 0 && installed.releaseSha256 !== release.envelopeSha256)) {
      throw refuse(
        "E_ROLLBACK",
        `The release is version ${predicate.version}, but version ${installed.version} is installed; refusing to go back.`,
      );
    }
  }

  // 12. Freshness: the witnesses vouched for this checkpoint recently, and time never goes back.
  if (witnessTime < nowSeconds - policy.document.log.maxCheckpointAge) {
    throw refuse(
      "E_CHECKPOINT_STALE",
      `The checkpoint was last vouched for by the witnesses at ${new Date(witnessTime * 1000).toISOString()}, longer ago than the policy's ${policy.document.log.maxCheckpointAge} s.`,
    );
  }
  if (state.witnessTime !== undefined && witnessTime < state.witnessTime) {
    throw refuse(
      "E_CHECKPOINT_STALE",
      "The witnesses vouched for this checkpoint earlier than for one this endpoint already accepted.",
    );
  }

  return {
    release: predicate,
    releaseSha256: release.envelopeSha256,
    artifact: { name: artifact.name, sha256: artifact.sha256, size: artifact.size },
    approvedBy,
    rebuiltBy: rebuilds.rebuiltBy,
    checkpoint,
    witnessTime,
    consistency,
    state: {
      checkpoint: newerCheckpoint(bundle.checkpoint, checkpoint, state),
      witnessTime: Math.max(witnessTime, state.witnessTime ?? 0),
      channels: {
        ...state.channels,
        [channel]: {
          version: predicate.version,
          releaseSha256: release.envelopeSha256,
          headIssued: head.issued,
        },
      },
    },
  };
}

/** Opens a signed statement, turning shape errors into a refusal that names what was wrong. */
function openSigned<T>(what: string, open: () => T): T {
  try {
    return open();
  } catch (err) {
    if (isCrosscheckError(err) && err.code !== "E_AUDIENCE") {
      throw refuse(
        "E_STATEMENT_INVALID",
        `The ${what} envelope does not hold a valid ${what} statement: ${err.message}`,
      );
    }
    throw err;
  }
}

/** What verification needs from a policy's keys, parsed once per trusted policy. */
interface PolicyKeys {
  /** Every channel's vendor keys, revoked or not: which channel signed is judged after. */
  allVendorKeys(): PublicKey[];
  channel(channel: Channel): ChannelKeys;
  /** Every rebuilder of the policy, revoked or not: a revoked key is reported as such. */
  rebuilders(): Party[];
  /** The log's key; undefined when the policy names none. */
  logKey(): ParsedVerifierKey | undefined;
  /** The policy's witnesses whose keys are not revoked. */
  witnesses(): { name: string; verifier: ParsedVerifierKey }[];
}

interface ChannelKeys {
  /** The channel's vendor keys that are not revoked, and their keyids. */
  vendorKeys: PublicKey[];
  vendorKeyids: ReadonlySet<string>;
  /** Every reviewer of the channel, revoked or not: a revoked key is reported as such. */
  reviewers: Party[];
}

/** A reviewer or rebuilder the policy names. */
interface Party {
  key: PublicKey;
  organization: string;
  revoked: boolean;
}

// A trusted policy is immutable (its fields are readonly, and it is only made by openPolicy), so
// what is derived from its keys is derived once, lazily, in the order verification needs it (a
// key that fails to parse still fails at the step that uses it). The entry remembers the document
// and log policy it was made from, so a policy object whose fields were replaced is not served
// stale keys.
const policyKeysCache = new WeakMap<
  TrustedPolicy,
  { document: unknown; parsedLog: unknown; keys: PolicyKeys }
>();

function policyKeys(policy: TrustedPolicy): PolicyKeys {
  const cached = policyKeysCache.get(policy);
  if (cached && cached.document === policy.document && cached.parsedLog === policy.parsedLog) {
    return cached.keys;
  }
  const keys = derivePolicyKeys(policy);
  policyKeysCache.set(policy, { document: policy.document, parsedLog: policy.parsedLog, keys });
  return keys;
}

function derivePolicyKeys(policy: TrustedPolicy): PolicyKeys {
  let allVendor: PublicKey[] | undefined;
  const channels = new Map<Channel, ChannelKeys>();
  let rebuilders: Party[] | undefined;
  let log: { key: ParsedVerifierKey | undefined } | undefined;
  let witnesses: { name: string; verifier: ParsedVerifierKey }[] | undefined;
  return {
    allVendorKeys() {
      if (!allVendor) {
        const list: PublicKey[] = [];
        for (const settings of Object.values(policy.document.channels)) {
          for (const vkey of settings?.vendorKeys ?? []) list.push(publicKeyFromVerifierKey(vkey));
        }
        allVendor = list;
      }
      return allVendor;
    },
    channel(channel) {
      let found = channels.get(channel);
      if (!found) {
        const vendor = vendorKeys(policy, channel);
        found = {
          vendorKeys: vendor,
          vendorKeyids: new Set(vendor.map((k) => k.keyid)),
          reviewers: policy.document.reviewers
            .filter((r) => !r.channels || r.channels.includes(channel))
            .map((r) => ({
              key: publicKeyFromVerifierKey(r.key),
              organization: r.organization,
              revoked: isRevoked(policy, r.key),
            })),
        };
        channels.set(channel, found);
      }
      return found;
    },
    rebuilders() {
      rebuilders ??= policy.document.rebuilders.map((r) => ({
        key: publicKeyFromVerifierKey(r.key),
        organization: r.organization,
        revoked: isRevoked(policy, r.key),
      }));
      return rebuilders;
    },
    logKey() {
      if (!log) {
        const logPolicy = policy.parsedLog.logs[0];
        log = { key: logPolicy ? parseVerifierKey(logPolicy.key) : undefined };
      }
      return log.key;
    },
    witnesses() {
      witnesses ??= policy.parsedLog.witnesses
        .filter((w) => !isRevoked(policy, w.key))
        .map((w) => ({ name: w.name, verifier: cosignatureVerifier(w.key) }));
      return witnesses;
    },
  };
}

function checkAudience(
  release: ReleasePredicate,
  policy: TrustedPolicy,
  region: string | undefined,
) {
  const audience: unknown = release.audience;
  if (audience === AUDIENCE_EVERYONE) return;
  const named =
    typeof audience === "object" && audience !== null && "region" in audience
      ? String((audience as { region: unknown }).region)
      : undefined;
  if (!named || !policy.document.regions.includes(named)) {
    throw refuse(
      "E_AUDIENCE",
      "The release is addressed to an audience the policy does not declare; releases go to everyone or to a policy region, never to one customer.",
    );
  }
  if (region !== named) {
    throw refuse(
      "E_AUDIENCE",
      `The release is addressed to region ${named}, and this endpoint is ${region ? `in ${region}` : "not in a region"}.`,
    );
  }
}

function checkReviews(
  bundle: Bundle,
  // Every reviewer the policy names for this channel, revoked or not: a revoked key is reported
  // as such rather than as a stranger.
  reviewers: readonly Party[],
  releaseSha256: string,
  release: ReleasePredicate,
  threshold: number,
): { approvedBy: string[]; logEntries: Uint8Array[] } {
  const keys = reviewers.map((r) => r.key);
  const judged = new Map(release.artifacts.map((a) => [a.name, a.sha256]));

  const approvals = new Map<string, string>(); // organisation → keyid
  let mismatched = 0;
  let revoked = 0;
  let duplicate = 0;
  const logEntries: Uint8Array[] = [];
  for (const logged of bundle.reviews) {
    const review = openSigned("review", () => openReview(logged.envelope, keys));
    logEntries.push(review.logEntry);
    const signer = reviewers.find((r) => review.verifiedKeyids.includes(r.key.keyid));
    if (!signer) continue; // signed by no policy reviewer: it counts for nothing
    if (signer.revoked) {
      revoked++;
      continue;
    }
    const p = review.predicate;
    const sameRelease =
      p.release.envelopeSha256 === releaseSha256 &&
      p.artifacts.length === judged.size &&
      p.artifacts.every((a) => judged.get(a.name) === a.sha256);
    if (!sameRelease) {
      mismatched++;
      continue;
    }
    if (p.verdict === "reject") {
      throw refuse(
        "E_REVIEW_REJECTED",
        `Reviewer ${signer.organization} rejected this release; a rejected release is never installed.`,
      );
    }
    if (approvals.has(signer.organization)) {
      duplicate++;
      continue;
    }
    approvals.set(signer.organization, signer.key.keyid);
  }
  if (approvals.size >= threshold) return { approvedBy: [...approvals.keys()], logEntries };

  const have = `${approvals.size} of the ${threshold} organisations the policy requires`;
  if (mismatched > 0) {
    throw refuse(
      "E_REVIEW_MISMATCH",
      `${mismatched} review(s) judge other digests or another release; only ${have} approve these.`,
    );
  }
  if (revoked > 0) {
    throw refuse(
      "E_REVIEWER_REVOKED",
      `${revoked} review(s) are signed by revoked reviewer keys; only ${have} approve.`,
    );
  }
  if (duplicate > 0) {
    throw refuse(
      "E_REVIEW_DUPLICATE",
      `Several reviews come from one organisation, which counts once; only ${have} approve.`,
    );
  }
  if (bundle.reviews.length === 0) {
    throw refuse(
      "E_UNREVIEWED",
      "The release has no reviews; it needs independent approval before installation.",
    );
  }
  throw refuse("E_REVIEW_THRESHOLD", `Only ${have} approve this release.`);
}

/**
 * Step 6. A rebuild statement counts when a policy rebuilder signed it and it names exactly this
 * release: its envelope, its artifacts' digests, its source and the SHA-256 of its recipe. Among
 * those, one BAD vetoes (the binary is not what the named source builds into, Decision 11's rule
 * for rebuilders); GOOD ones count once per organisation; FAIL and UNKNOWN count for nothing.
 */
function checkRebuilds(
  bundle: Bundle,
  rebuilders: readonly Party[],
  releaseSha256: string,
  release: ReleasePredicate,
  threshold: number,
): { rebuiltBy: string[]; logEntries: Uint8Array[] } {
  const keys = rebuilders.map((r) => r.key);
  const released = new Map(release.artifacts.map((a) => [a.name, a.sha256]));
  const recipeSha256 = release.build ? toHex(sha256(utf8Encode(release.build.recipe))) : undefined;

  const good = new Set<string>();
  let mismatched = 0;
  let revoked = 0;
  let duplicate = 0;
  let failed = 0;
  const logEntries: Uint8Array[] = [];
  for (const logged of bundle.rebuilds ?? []) {
    const rebuild = openSigned("rebuild", () => openRebuild(logged.envelope, keys));
    logEntries.push(rebuild.logEntry);
    const signer = rebuilders.find((r) => rebuild.verifiedKeyids.includes(r.key.keyid));
    if (!signer) continue; // signed by no policy rebuilder: it counts for nothing
    if (signer.revoked) {
      revoked++;
      continue;
    }
    const p = rebuild.predicate;
    const sameRelease =
      p.release.envelopeSha256 === releaseSha256 &&
      p.rebuilder.id === signer.organization &&
      p.source.repository === release.source?.repository &&
      p.source.commit === release.source?.commit &&
      p.recipeSha256 === recipeSha256 &&
      p.artifacts.length === released.size &&
      p.artifacts.every((a) => released.get(a.name) === a.sha256);
    if (!sameRelease) {
      mismatched++;
      continue;
    }
    if (p.status === "BAD") {
      const differing = p.artifacts.filter((a) => a.rebuiltSha256 !== a.sha256).map((a) => a.name);
      throw refuse(
        "E_REBUILD_BAD",
        `Rebuilder ${signer.organization} built commit ${p.source.commit.slice(0, 12)} and got other bytes for ${differing.join(", ")}: the release is not what its reviewed source builds into, and is never installed.`,
      );
    }
    if (p.status !== "GOOD") {
      failed++;
      continue;
    }
    if (good.has(signer.organization)) {
      duplicate++;
      continue;
    }
    good.add(signer.organization);
  }
  if (good.size >= threshold) return { rebuiltBy: [...good], logEntries };

  const have = `${good.size} of the ${threshold} rebuilder organisations the policy requires`;
  if (mismatched > 0) {
    throw refuse(
      "E_REBUILD_MISMATCH",
      `${mismatched} rebuild statement(s) are about another release, source, recipe or other digests; only ${have} reproduced this one.`,
    );
  }
  if (revoked > 0) {
    throw refuse(
      "E_REBUILDER_REVOKED",
      `${revoked} rebuild statement(s) are signed by revoked rebuilder keys; only ${have} reproduced this release.`,
    );
  }
  if (duplicate > 0) {
    throw refuse(
      "E_REBUILD_DUPLICATE",
      `Several rebuilds come from one organisation, which counts once; only ${have} reproduced this release.`,
    );
  }
  if ((bundle.rebuilds ?? []).length === 0) {
    throw refuse(
      "E_UNREBUILT",
      `The policy requires ${threshold} independent rebuild(s) of a product release, and the bundle has none: nobody has shown that the binary comes from its source.`,
    );
  }
  throw refuse(
    "E_REBUILD_THRESHOLD",
    `Only ${have} reproduced this release bit for bit${failed > 0 ? ` (${failed} rebuild(s) failed or could not start, which proves nothing either way)` : ""}.`,
  );
}

function parseCheckpointBody(text: string): Checkpoint {
  try {
    return parseCheckpoint(text);
  } catch (err) {
    throw refuse(
      "E_CHECKPOINT_MALFORMED",
      `The bundle's checkpoint is malformed: ${(err as Error).message}`,
    );
  }
}

/** `entry` is `envelopeLogEntry(logged.envelope)`. */
function checkInclusion(
  what: string,
  logged: LoggedEnvelope,
  entry: Uint8Array,
  checkpoint: Checkpoint,
): void {
  if (logged.index >= checkpoint.size) {
    throw refuse(
      "E_UNLOGGED",
      `The ${what} claims log index ${logged.index}, past the checkpoint's ${checkpoint.size} entries: it is not in the log.`,
    );
  }
  const leaf = leafHash(entry);
  let root: Uint8Array;
  try {
    root = rootFromInclusionProof(
      leaf,
      logged.index,
      checkpoint.size,
      logged.proof.map(fromBase64),
    );
  } catch {
    root = new Uint8Array(0);
  }
  if (!bytesEqual(root, checkpoint.root)) {
    throw refuse(
      "E_INCLUSION_PROOF",
      `The ${what}'s inclusion proof does not lead to the checkpoint's root: it is not in the log at index ${logged.index} under this checkpoint.`,
    );
  }
}

/** Returns the freshness time: the w-th newest valid policy cosignature (Decision 5). */
function checkCheckpointSignatures(
  note: ReturnType<typeof parseNote>,
  checkpoint: Checkpoint,
  policy: TrustedPolicy,
  keys: PolicyKeys,
  nowSeconds: number,
  clockSkew: number,
): number {
  const body = utf8Encode(note.text);
  const logKey = keys.logKey();
  if (
    !logKey ||
    checkpoint.origin !== logKey.name ||
    !note.signatures.some((s) => matches(s, logKey) && logKey.verify(body, s.signature))
  ) {
    throw refuse(
      "E_CHECKPOINT_SIGNATURE",
      "The checkpoint is not signed by the log the policy names.",
    );
  }
  const times = new Map<string, number>(); // witness name → time
  for (const { name, verifier } of keys.witnesses()) {
    for (const s of note.signatures) {
      if (!matches(s, verifier) || !verifier.verify(body, s.signature)) continue;
      const time = cosignatureTime(s.signature) as number;
      if (time > nowSeconds + clockSkew) continue; // from the future: not evidence of anything
      times.set(name, Math.max(times.get(name) ?? 0, time));
    }
  }
  if (!quorumSatisfied(policy.parsedLog, new Set(times.keys()))) {
    throw refuse(
      "E_COSIGNATURES",
      `The checkpoint is cosigned by ${times.size} of the policy's witnesses (${[...times.keys()].join(", ") || "none"}), which does not meet its quorum.`,
    );
  }
  return quorumTime(policy, times);
}

function matches(s: { name: string; keyHash: number }, v: NoteVerifier): boolean {
  return s.name === v.name && s.keyHash === v.keyHash;
}

/**
 * The newest time at which the quorum was met: drop the newest cosignatures one at a time while
 * the rest still meet the quorum; the last dropped time is when the quorum last held as a whole.
 */
function quorumTime(policy: TrustedPolicy, times: Map<string, number>): number {
  if (policy.parsedLog.quorum === "none" || times.size === 0) return Math.max(0, ...times.values());
  const byAge = [...times.entries()].sort((a, b) => a[1] - b[1]); // oldest first
  const names = new Set(times.keys());
  let time = byAge[0]?.[1] ?? 0;
  for (const [name, t] of byAge) {
    names.delete(name);
    time = t;
    if (!quorumSatisfied(policy.parsedLog, names)) break;
  }
  return time;
}

function checkConsistency(
  checkpoint: Checkpoint,
  state: EndpointState,
  proof: Uint8Array[] | undefined,
): VerifiedRelease["consistency"] {
  if (!state.checkpoint) return "first-use";
  const saved = parseCheckpoint(parseNote(state.checkpoint).text);
  if (saved.origin !== checkpoint.origin) return "first-use"; // another log: nothing to compare
  if (checkpoint.size < saved.size) {
    throw refuse(
      "E_CHECKPOINT_ROLLBACK",
      `The bundle's checkpoint (size ${checkpoint.size}) is older than one this endpoint already saw (size ${saved.size}); fetch a fresh bundle.`,
    );
  }
  if (checkpoint.size === saved.size) {
    if (!bytesEqual(checkpoint.root, saved.root)) throw splitView(saved, checkpoint);
    return "same-checkpoint";
  }
  if (!proof) return "witness-quorum";
  try {
    verifyConsistency(saved.size, checkpoint.size, proof, saved.root, checkpoint.root);
  } catch {
    throw splitView(saved, checkpoint);
  }
  return "proof";
}

function splitView(saved: Checkpoint, checkpoint: Checkpoint): CrosscheckError {
  return refuse(
    "E_SPLIT_VIEW",
    `The log shows this endpoint a tree (size ${checkpoint.size}) that does not extend the one it saw before (size ${saved.size}): a split view. Keep both checkpoints as evidence.`,
  );
}

function checkHead(
  bundle: Bundle,
  channelVendorKeys: readonly PublicKey[],
  channel: Channel,
  releaseSha256: string,
  release: ReleasePredicate,
  headExpiry: number,
  now: Date,
  clockSkew: number,
  state: EndpointState,
): HeadPredicate {
  const head = openSigned("head", () => openHead(bundle.head.envelope, channelVendorKeys));
  if (head.verifiedKeyids.length === 0) {
    throw refuse(
      "E_HEAD_UNSIGNED",
      `The channel head is not signed by a vendor key the policy trusts for ${channel}.`,
    );
  }
  const p = head.predicate;
  if (
    p.channel !== channel ||
    p.release.envelopeSha256 !== releaseSha256 ||
    p.version !== release.version
  ) {
    throw refuse(
      "E_HEAD_MISMATCH",
      `The channel head names ${p.channel} version ${p.version}, not this release (version ${release.version}): the vendor's current release is another one.`,
    );
  }
  const issued = Date.parse(p.issued);
  const expires = Date.parse(p.expires);
  if (expires - issued > headExpiry * 1000) {
    throw refuse(
      "E_HEAD_MISMATCH",
      `The channel head is valid for longer than the policy's ${headExpiry} s.`,
    );
  }
  // A head from the future would outlive its policy expiry from now on, and once accepted would
  // make every honest head look like a replay (E_HEAD_REPLAY): refuse it.
  if (issued > now.getTime() + clockSkew * 1000) {
    throw refuse(
      "E_HEAD_FUTURE",
      `The channel head was issued at ${p.issued}, later than this endpoint's clock (${now.toISOString()}) allows; check the clock, or refuse a head made to block later updates.`,
    );
  }
  if (expires <= now.getTime()) {
    throw refuse(
      "E_FREEZE",
      `The channel head expired at ${p.expires}: this may be an old release replayed to keep the endpoint from updating. Fetch a fresh bundle.`,
    );
  }
  const seen = state.channels[channel];
  if (seen && Date.parse(seen.headIssued) > issued) {
    throw refuse(
      "E_HEAD_REPLAY",
      `The channel head was issued at ${p.issued}, before the head this endpoint already accepted (${seen.headIssued}).`,
    );
  }
  return p;
}

function newerCheckpoint(note: string, checkpoint: Checkpoint, state: EndpointState): string {
  if (!state.checkpoint) return note;
  const saved = parseCheckpoint(parseNote(state.checkpoint).text);
  return saved.origin === checkpoint.origin && saved.size > checkpoint.size
    ? state.checkpoint
    : note;
}
