/**
 * Submit lifecycle: a vendor's signed release (and its channel head) → checked against the trust
 * policy → logged → stored, with one analysis job per analyzer of its channel.
 *
 * Checks: the channel is in the policy; the release is signed by one of its vendor keys; its
 * audience is everyone or a policy region; its version is strictly above the channel's newest
 * submitted one (Decision 12); `previous` names that newest release; every artifact was uploaded
 * with the size the release states; the head, if given, is the vendor's and names this release.
 */
import {
  compareVersions,
  type Envelope,
  envelopeDigest,
  envelopeLogEntry,
  openHead,
  openRelease,
  parseEnvelope,
  serializeEnvelope,
} from "../attest/index.js";
import { CrosscheckError } from "../errors/index.js";
import { channelPolicy, type TrustedPolicy, vendorKeys } from "../policy/index.js";
import { type ReleaseContext, rfc3339 } from "./context.js";
import { publishIfApproved } from "./publish.js";
import type { HeadRow, ReleaseRow } from "./storage/index.js";

export async function submitRelease(
  ctx: ReleaseContext,
  input: { release: Envelope; head?: Envelope },
): Promise<{ release: ReleaseRow; duplicate: boolean }> {
  const unverified = openRelease(input.release, []).predicate;
  const channel = unverified.channel;
  channelPolicy(ctx.policy, channel);
  const opened = openRelease(input.release, vendorKeys(ctx.policy, channel));
  if (opened.verifiedKeyids.length === 0) {
    throw new CrosscheckError(
      "E_RELEASE_SIGNATURE",
      `The release is not signed by a vendor key the trust policy names for ${channel}.`,
    );
  }
  const predicate = opened.predicate;
  checkAudience(ctx.policy, predicate.audience);
  const sha = opened.envelopeSha256;

  return ctx.serialize(`channel:${channel}`, async () => {
    const existing = await ctx.store.release(sha);
    if (existing) return { release: existing, duplicate: true };

    const newest = await ctx.store.newestRelease(channel);
    if (newest && compareVersions(predicate.version, newest.version) <= 0) {
      throw new CrosscheckError(
        "E_VERSION_NOT_NEWER",
        `Version ${predicate.version} does not go beyond ${newest.version}, the newest ${channel} release submitted; versions only go up.`,
      );
    }
    const previous = predicate.previous?.envelopeSha256 ?? null;
    if (previous !== (newest?.envelopeSha256 ?? null)) {
      throw new CrosscheckError(
        "E_PREVIOUS_MISMATCH",
        newest
          ? `The release must name the channel's newest release (${newest.version}, ${newest.envelopeSha256}) as previous.`
          : "This is the channel's first release: previous must be null.",
      );
    }
    for (const artifact of predicate.artifacts) {
      const size = ctx.artifacts.size(artifact.sha256);
      if (size !== artifact.size) {
        throw new CrosscheckError(
          "E_ARTIFACT_MISSING",
          `The artifact ${artifact.name} (sha256 ${artifact.sha256}) has not been uploaded; upload it before the release.`,
        );
      }
    }
    const head = input.head
      ? checkHead(ctx.policy, input.head, sha, predicate.version, ctx.now())
      : undefined;
    if (!head && !ctx.headSigner) {
      throw new CrosscheckError(
        "E_HEAD_MISSING",
        "Submit the channel head (signed by the vendor) with the release.",
      );
    }

    const releaseIndex = (await ctx.log.add(envelopeLogEntry(input.release))).index;
    const analyzers = ctx.analyzers.filter((a) => a.channels.includes(channel)).map((a) => a.name);
    const row = await ctx.store.insertRelease(
      {
        channel,
        version: predicate.version,
        envelopeSha256: sha,
        envelope: serializeEnvelope(input.release),
        status: analyzers.length > 0 ? "analyzing" : "in-review",
        logIndex: releaseIndex,
        submittedAt: rfc3339(ctx.now()),
      },
      analyzers,
    );
    // A head says "this is the current release": it is logged only once the release is
    // published, or monitors would rightly see a release published without its reviews. The
    // demo signs its own heads at publication, so a submitted one is not needed there.
    if (input.head && head && !ctx.headSigner) {
      await storeHead(ctx, row.id, input.head, head, { log: false });
    }
    ctx.kick();
    return { release: row, duplicate: false };
  });
}

/**
 * A vendor's head for a release already submitted: refreshing it before it expires, or the head
 * an approved release was waiting for, which publishes it.
 */
export async function submitHead(ctx: ReleaseContext, envelope: Envelope): Promise<void> {
  const unverified = openHead(envelope, []).predicate;
  const row = await ctx.store.release(unverified.release.envelopeSha256);
  if (!row) {
    throw new CrosscheckError(
      "E_RELEASE_NOT_FOUND",
      "The head names a release this service does not know.",
    );
  }
  const head = checkHead(ctx.policy, envelope, row.envelopeSha256, row.version, ctx.now());
  // The channel's serializer, and within it the release's, which verdicts publish under: a head
  // and the last approval arriving together publish the release once.
  await ctx.serialize(`channel:${row.channel}`, () =>
    ctx.serialize(`release:${row.envelopeSha256}`, async () => {
      const current = (await ctx.store.releaseById(row.id)) as ReleaseRow;
      await storeHead(ctx, row.id, envelope, head, { log: current.status === "published" });
      await publishIfApproved(ctx, current);
    }),
  );
}

/** Seconds a head's `issued` may lie ahead of the service's clock (as the verifier allows). */
const HEAD_CLOCK_SKEW_SECONDS = 300;

function checkHead(
  policy: TrustedPolicy,
  envelope: Envelope,
  releaseSha256: string,
  version: string,
  now: Date,
): { issued: string; expires: string } {
  const unverified = openHead(envelope, []).predicate;
  const channel = unverified.channel;
  const opened = openHead(envelope, vendorKeys(policy, channel));
  if (opened.verifiedKeyids.length === 0) {
    throw new CrosscheckError(
      "E_HEAD_UNSIGNED",
      `The channel head is not signed by a vendor key the trust policy names for ${channel}.`,
    );
  }
  const p = opened.predicate;
  if (p.release.envelopeSha256 !== releaseSha256 || p.version !== version) {
    throw new CrosscheckError("E_HEAD_MISMATCH", "The channel head does not name this release.");
  }
  const lifetime = Date.parse(p.expires) - Date.parse(p.issued);
  if (lifetime > channelPolicy(policy, channel).headExpiry * 1000) {
    throw new CrosscheckError(
      "E_HEAD_MISMATCH",
      `The channel head is valid for longer than the policy's ${channelPolicy(policy, channel).headExpiry} s.`,
    );
  }
  // Endpoints refuse a head from the future (E_HEAD_FUTURE); serving one would stall them.
  if (Date.parse(p.issued) > now.getTime() + HEAD_CLOCK_SKEW_SECONDS * 1000) {
    throw new CrosscheckError(
      "E_HEAD_FUTURE",
      `The channel head was issued at ${p.issued}, in the future by this service's clock (${now.toISOString()}); sign it with the current time.`,
    );
  }
  return { issued: p.issued, expires: p.expires };
}

/** Appends a head stored unlogged to the log, now that its release is published. */
export async function logStoredHead(ctx: ReleaseContext, head: HeadRow): Promise<void> {
  if (head.logIndex >= 0) return;
  const logIndex = (await ctx.log.add(envelopeLogEntry(parseEnvelope(head.envelope)))).index;
  await ctx.store.setHeadLogIndex(head.envelopeSha256, logIndex);
}

export async function storeHead(
  ctx: ReleaseContext,
  releaseId: number,
  envelope: Envelope,
  head: { issued: string; expires: string },
  options: { log: boolean } = { log: true },
): Promise<void> {
  const logIndex = options.log ? (await ctx.log.add(envelopeLogEntry(envelope))).index : -1;
  await ctx.store.insertHead({
    releaseId,
    envelopeSha256: envelopeDigest(envelope),
    envelope: serializeEnvelope(envelope),
    issued: head.issued,
    expires: head.expires,
    logIndex,
  });
}

function checkAudience(policy: TrustedPolicy, audience: unknown): void {
  if (audience === "everyone" || audience === undefined) return;
  const region = (audience as { region?: string }).region;
  if (!region || !policy.document.regions.includes(region)) {
    throw new CrosscheckError(
      "E_AUDIENCE",
      `The release's audience region ${JSON.stringify(region)} is not one the trust policy declares.`,
    );
  }
}
