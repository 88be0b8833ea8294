/**
 * Review lifecycle: a reviewer's signed verdict → checked against the policy and the release →
 * logged → stored → the release's fate decided. One rejection by a policy reviewer vetoes
 * (Decision 11); approvals from k distinct organisations publish (see ./publish.ts).
 *
 * Checks: the signer is a reviewer the policy names for the channel (unknown or revoked keys are
 * refused with their own code); the organisation is the one the policy gives that key; the verdict
 * judges exactly this release's envelope and artifact digests and the release's findings report;
 * the release is in review; a reviewer key gives one verdict per release; and an approval is
 * refused while the service's own rebuild of the release came out BAD (E_REBUILD_BLOCKED, see
 * `rebuildBlocks`): a rejection is still taken, so reviewers can close such a release for good.
 */
import {
  type Channel,
  type Envelope,
  envelopeLogEntry,
  openRelease,
  openReview,
  parseEnvelope,
  serializeEnvelope,
} from "../attest/index.js";
import { CrosscheckError, isCrosscheckError } from "../errors/index.js";
import { isRevoked, reviewerKeys } from "../policy/index.js";
import { REBUILD_ANALYZER } from "../review/rebuild/index.js";
import { type ReleaseContext, rfc3339 } from "./context.js";
import { publishIfApproved } from "./publish.js";
import type { ReleaseRow } from "./storage/index.js";

export async function submitReview(
  ctx: ReleaseContext,
  releaseSha256: string,
  envelope: Envelope,
): Promise<ReleaseRow> {
  const row = await ctx.store.release(releaseSha256);
  if (!row) {
    throw new CrosscheckError(
      "E_RELEASE_NOT_FOUND",
      `No release ${releaseSha256} was submitted here.`,
    );
  }
  const channel = row.channel as Channel;
  const parties = reviewerKeys(ctx.policy, channel);
  const opened = openReview(
    envelope,
    parties.map((p) => p.key),
  );
  const keyid = opened.verifiedKeyids[0];
  const party = parties.find((p) => p.key.keyid === keyid);
  if (!keyid || !party) {
    const revoked = envelope.signatures.some((s) => isRevokedSafe(ctx, s.keyid ?? ""));
    throw revoked
      ? new CrosscheckError(
          "E_REVIEWER_REVOKED",
          "The verdict is signed by a reviewer key the trust policy has revoked.",
        )
      : new CrosscheckError(
          "E_REVIEWER_UNKNOWN",
          `The verdict is not signed by a reviewer the trust policy names for ${channel}.`,
        );
  }
  const p = opened.predicate;
  if (p.verifier.id !== party.organization) {
    throw new CrosscheckError(
      "E_REVIEW_ORGANIZATION",
      `The verdict speaks for ${JSON.stringify(p.verifier.id)}, but the policy gives this key to ${JSON.stringify(party.organization)}.`,
    );
  }
  const release = openRelease(parseEnvelope(row.envelope), []).predicate;
  const judged = (list: { name: string; sha256: string }[]) =>
    list
      .map((a) => `${a.name}\n${a.sha256}`)
      .sort()
      .join("\n");
  if (
    p.release.envelopeSha256 !== row.envelopeSha256 ||
    p.release.channel !== row.channel ||
    p.release.version !== row.version ||
    judged(p.artifacts) !== judged(release.artifacts)
  ) {
    throw new CrosscheckError(
      "E_REVIEW_MISMATCH",
      "The verdict does not judge exactly this release's envelope and artifact digests.",
    );
  }

  return ctx.serialize(`release:${row.envelopeSha256}`, async () => {
    const current = (await ctx.store.release(releaseSha256)) as ReleaseRow;
    if (current.status === "analyzing") {
      throw new CrosscheckError(
        "E_ANALYSIS_PENDING",
        "The release is still being analysed; review it once its report is ready.",
      );
    }
    if (current.status !== "in-review") {
      throw new CrosscheckError(
        "E_RELEASE_CLOSED",
        `The release is already ${current.status}; it takes no more verdicts.`,
      );
    }
    if (p.findings.reportSha256 !== current.reportSha256) {
      throw new CrosscheckError(
        "E_REPORT_MISMATCH",
        `The verdict rests on report ${p.findings.reportSha256}, not on this release's findings report ${current.reportSha256}.`,
      );
    }
    if (p.triage?.length) {
      const ids = new Set(
        (JSON.parse(current.report ?? "{}") as { findings?: { id: string }[] }).findings?.map(
          (f) => f.id,
        ),
      );
      const unknown = p.triage.find((t) => !ids.has(t.finding));
      if (unknown) {
        throw new CrosscheckError(
          "E_REVIEW_MISMATCH",
          `The verdict judges finding ${JSON.stringify(unknown.finding)}, which this release's report does not have.`,
        );
      }
    }
    const blocked = p.verdict === "approve" ? rebuildBlocks(current.report) : undefined;
    if (blocked) {
      throw new CrosscheckError(
        "E_REBUILD_BLOCKED",
        `The service rebuilt this release from its named source and got other bytes (${blocked}); it takes no approval. Reject it, or the vendor submits a release whose binaries are the source's build.`,
      );
    }
    const reviews = await ctx.store.reviews(current.id);
    if (reviews.some((r) => r.reviewerKeyid === keyid)) {
      throw new CrosscheckError(
        "E_REVIEW_DUPLICATE",
        "This reviewer key already gave its verdict on this release.",
      );
    }
    const logIndex = (await ctx.log.add(envelopeLogEntry(envelope))).index;
    await ctx.store.insertReview({
      releaseId: current.id,
      envelopeSha256: opened.envelopeSha256,
      envelope: serializeEnvelope(envelope),
      organization: party.organization,
      reviewerKeyid: keyid,
      verdict: p.verdict,
      logIndex,
      submittedAt: rfc3339(ctx.now()),
    });
    if (p.verdict === "reject") {
      await ctx.store.transition(current.id, "in-review", "rejected");
    } else {
      try {
        await publishIfApproved(ctx, current);
      } catch (err) {
        // The verdict is logged and stored: it stands. Outside the demo the release then waits
        // for the vendor's head, and submitting one publishes it (see submitHead).
        if (!isCrosscheckError(err, "E_HEAD_MISSING")) throw err;
      }
    }
    return (await ctx.store.release(releaseSha256)) as ReleaseRow;
  });
}

/**
 * Why the release's findings report blocks approval, if it does: the `rebuild` analyzer (see
 * src/review/rebuild/analyzer.ts) reported BAD. Read from the report reviewers sign, so what
 * blocks is exactly what they see. Only BAD blocks: a FAIL proves nothing either way and is left to
 * the reviewers' judgement (the analyzer reports it as a high finding).
 */
export function rebuildBlocks(report: string | null): string | undefined {
  const findings =
    (
      JSON.parse(report ?? "{}") as {
        findings?: { analyzer?: string; location?: { artifact?: string }; evidence?: unknown }[];
      }
    ).findings ?? [];
  const bad = findings.filter(
    (f) =>
      f.analyzer === REBUILD_ANALYZER &&
      (f.evidence as { status?: unknown } | undefined)?.status === "BAD",
  );
  if (bad.length === 0) return undefined;
  return `${bad.map((f) => f.location?.artifact ?? "*").join(", ")} differ`;
}

function isRevokedSafe(ctx: ReleaseContext, keyid: string): boolean {
  try {
    return isRevoked(ctx.policy, keyid);
  } catch {
    return false;
  }
}
