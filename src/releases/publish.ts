/**
 * Publish lifecycle: k organisations approved (and, for a product release, the policy's r rebuilder
 * organisations reproduced it) → the channel head names the release (re-signed in the demo, the
 * vendor's own otherwise) → the release is published. Its bundle is assembled when asked for,
 * proved against the log's newest cosigned checkpoint (Decision 7), with its rebuild statements.
 */
import { type Channel, type Envelope, parseEnvelope, signHead } from "../attest/index.js";
import { parseNote } from "../crypto/index.js";
import { CrosscheckError, isCrosscheckError } from "../errors/index.js";
import { parseCheckpoint } from "../merkle/index.js";
import { channelPolicy } from "../policy/index.js";
import { type Bundle, MAX_BUNDLE_REBUILDS } from "../verify/index.js";
import { proveBundle } from "./bundle.js";
import { type ReleaseContext, rfc3339 } from "./context.js";
import type { RebuildRow, ReleaseRow } from "./storage/index.js";
import { logStoredHead, storeHead } from "./submit.js";

export async function publishRelease(ctx: ReleaseContext, row: ReleaseRow): Promise<void> {
  if (ctx.headSigner) await refreshHead(ctx, row);
  else {
    // Outside the demo the vendor's head must be there (and unexpired); the release waits for it.
    const head = await currentHead(ctx, row);
    if (!head) {
      throw new CrosscheckError(
        "E_HEAD_MISSING",
        "The release has its approvals, but no unexpired channel head; the vendor must submit one.",
      );
    }
    await logStoredHead(ctx, head);
  }
  await ctx.store.transition(row.id, "in-review", "published", rfc3339(ctx.now()));
}

/**
 * Publishes the release if it is still in review, k distinct organisations approve it (a
 * rejection has already closed it) and — for a product release — r distinct rebuilder
 * organisations reported GOOD and none BAD (a BAD has already closed it too). Callers hold the
 * release's serializer. Returns whether it published; throws E_HEAD_MISSING when only the
 * vendor's head is lacking.
 */
export async function publishIfApproved(ctx: ReleaseContext, row: ReleaseRow): Promise<boolean> {
  const current = await ctx.store.releaseById(row.id);
  if (current?.status !== "in-review") return false;
  const approving = new Set(
    (await ctx.store.reviews(current.id))
      .filter((r) => r.verdict === "approve")
      .map((r) => r.organization),
  );
  if (approving.size < channelPolicy(ctx.policy, current.channel).reviewThreshold) return false;
  const rebuilds = rebuildTally(await ctx.store.rebuilds(current.id));
  if (rebuilds.bad) return false;
  if (current.channel === "product" && rebuilds.good.size < ctx.policy.document.rebuildThreshold) {
    return false;
  }
  await publishRelease(ctx, current);
  return true;
}

/** Organisations whose GOOD rebuild of a release is stored, and whether any reported BAD. */
export function rebuildTally(rows: readonly RebuildRow[]): { good: Set<string>; bad: boolean } {
  return {
    good: new Set(rows.filter((r) => r.status === "GOOD").map((r) => r.organization)),
    bad: rows.some((r) => r.status === "BAD"),
  };
}

/** What a bundle carries of a release's rebuilds: BAD first (evidence), then GOOD, then the rest. */
function bundledRebuilds(rows: readonly RebuildRow[]): RebuildRow[] {
  const rank = { BAD: 0, GOOD: 1, FAIL: 2, UNKNOWN: 3 } as const;
  return [...rows]
    .sort((a, b) => rank[a.status] - rank[b.status] || a.logIndex - b.logIndex)
    .slice(0, MAX_BUNDLE_REBUILDS);
}

async function currentHead(ctx: ReleaseContext, row: ReleaseRow) {
  const head = await ctx.store.newestHead(row.id);
  return head && Date.parse(head.expires) > ctx.now().getTime() ? head : undefined;
}

/** Demo: signs a fresh head for the release with the vendor key the demo holds. */
async function refreshHead(ctx: ReleaseContext, row: ReleaseRow): Promise<void> {
  const signer = ctx.headSigner;
  if (!signer) return;
  const expiry = channelPolicy(ctx.policy, row.channel).headExpiry;
  const issued = new Date(Math.floor(ctx.now().getTime() / 1000) * 1000);
  const predicate = {
    channel: row.channel as Channel,
    version: row.version,
    release: { envelopeSha256: row.envelopeSha256 },
    issued: rfc3339(issued),
    expires: rfc3339(new Date(issued.getTime() + expiry * 1000)),
  };
  await storeHead(ctx, row.id, signHead(predicate, signer), predicate);
}

/** The channel's newest published release. */
export async function latestRelease(ctx: ReleaseContext, channel: string): Promise<ReleaseRow> {
  channelPolicy(ctx.policy, channel);
  const row = await ctx.store.latestPublished(channel);
  if (!row) {
    throw new CrosscheckError(
      "E_NOT_PUBLISHED",
      `Nothing has been published on the ${channel} channel yet.`,
    );
  }
  return row;
}

/** The bundle of the channel's newest published release, proved against the newest cosigned checkpoint. */
export async function channelBundle(ctx: ReleaseContext, channel: string): Promise<Bundle> {
  const row = await latestRelease(ctx, channel);
  let head = await currentHead(ctx, row);
  const expiry = channelPolicy(ctx.policy, channel).headExpiry * 1000;
  if (ctx.headSigner && (!head || Date.parse(head.expires) - ctx.now().getTime() < expiry / 2)) {
    await ctx.serialize(`release:${row.envelopeSha256}`, () => refreshHead(ctx, row));
    head = await currentHead(ctx, row);
  }
  if (!head) {
    throw new CrosscheckError(
      "E_HEAD_EXPIRED",
      `The ${channel} head has expired; the vendor must submit a fresh one.`,
    );
  }
  const reviews = (await ctx.store.reviews(row.id)).filter((r) => r.verdict === "approve");
  const indexes = new Map<Envelope, number>();
  const release = parseEnvelope(row.envelope);
  const headEnvelope = parseEnvelope(head.envelope);
  indexes.set(release, row.logIndex);
  indexes.set(headEnvelope, head.logIndex);
  const reviewEnvelopes = reviews.map((r) => {
    const envelope = parseEnvelope(r.envelope);
    indexes.set(envelope, r.logIndex);
    return envelope;
  });
  const rebuildEnvelopes = bundledRebuilds(await ctx.store.rebuilds(row.id)).map((r) => {
    const envelope = parseEnvelope(r.envelope);
    indexes.set(envelope, r.logIndex);
    return envelope;
  });
  const needed = Math.max(...indexes.values()) + 1;
  const checkpoint = await cosignedCovering(ctx, needed);
  return proveBundle(
    { release, head: headEnvelope, reviews: reviewEnvelopes, rebuilds: rebuildEnvelopes },
    indexes,
    checkpoint,
    ctx.log.tileSource,
  );
}

/** Waits (briefly) for the witnesses to cosign a checkpoint covering `size` entries. */
async function cosignedCovering(ctx: ReleaseContext, size: number): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const note = ctx.log.checkpoint();
      if (parseCheckpoint(parseNote(note).text).size >= size) return note;
    } catch (err) {
      if (!isCrosscheckError(err, "E_NOT_WITNESSED")) throw err;
    }
    if (Date.now() > deadline) {
      throw new CrosscheckError(
        "E_NOT_WITNESSED",
        "The witnesses have not yet cosigned a checkpoint that covers this release; retry shortly.",
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
