/**
 * Rebuild lifecycle: a rebuilder's signed statement (GOOD, BAD, FAIL or UNKNOWN) → checked against
 * the policy and the release → logged → stored → the release's fate decided. The rules are the
 * endpoint verifier's, applied early: a BAD from a policy rebuilder vetoes (like a reviewer's
 * rejection, Decision 11), and a product release is published only once the policy's r distinct
 * rebuilder organisations report GOOD (see ./publish.ts), so the service never publishes a bundle
 * endpoints would refuse.
 *
 * Checks: the signer is a rebuilder of the policy (unknown or revoked keys are refused with their
 * own code); the organisation is the one the policy gives that key; the release names a source and
 * a recipe; the statement names exactly this release's envelope, channel, version, source, recipe
 * and artifact digests; a key gives one GOOD or BAD per release (a FAIL or UNKNOWN may be followed
 * by another attempt). Statements are taken in any status, also after publication: a BAD that
 * arrives late is evidence, and the bundles that carry it make endpoints refuse the release.
 */
import { createHash } from "node:crypto";
import {
  type Envelope,
  envelopeLogEntry,
  openRebuild,
  openRelease,
  parseEnvelope,
  type RebuildPredicate,
  serializeEnvelope,
} from "../attest/index.js";
import { CrosscheckError, isCrosscheckError } from "../errors/index.js";
import { isRevoked, rebuilderKeys } from "../policy/index.js";
import { type ReleaseContext, rfc3339 } from "./context.js";
import { publishIfApproved } from "./publish.js";
import type { RebuildRow, ReleaseRow } from "./storage/index.js";

export async function submitRebuild(
  ctx: ReleaseContext,
  releaseSha256: string,
  envelope: Envelope,
): Promise<{ release: ReleaseRow; rebuild: RebuildRow }> {
  const row = await ctx.store.release(releaseSha256);
  if (!row) {
    throw new CrosscheckError(
      "E_RELEASE_NOT_FOUND",
      `No release ${releaseSha256} was submitted here.`,
    );
  }
  const parties = rebuilderKeys(ctx.policy);
  const opened = openRebuild(
    envelope,
    parties.map((p) => p.key),
  );
  const party = parties.find((p) => opened.verifiedKeyids.includes(p.key.keyid));
  if (!party) {
    const revoked = envelope.signatures.some((s) => isRevokedSafe(ctx, s.keyid ?? ""));
    throw revoked
      ? new CrosscheckError(
          "E_REBUILDER_REVOKED",
          "The rebuild statement is signed by a rebuilder key the trust policy has revoked.",
        )
      : new CrosscheckError(
          "E_REBUILDER_UNKNOWN",
          "The rebuild statement is not signed by a rebuilder the trust policy names.",
        );
  }
  const p = opened.predicate;
  if (p.rebuilder.id !== party.organization) {
    throw new CrosscheckError(
      "E_REBUILD_ORGANIZATION",
      `The rebuild speaks for ${JSON.stringify(p.rebuilder.id)}, but the policy gives this key to ${JSON.stringify(party.organization)}.`,
    );
  }
  checkSameRelease(row, p);
  const keyid = party.key.keyid;

  return ctx.serialize(`release:${row.envelopeSha256}`, async () => {
    const current = (await ctx.store.release(releaseSha256)) as ReleaseRow;
    const earlier = await ctx.store.rebuilds(current.id);
    if (earlier.some((r) => r.envelopeSha256 === opened.envelopeSha256)) {
      throw new CrosscheckError("E_REBUILD_DUPLICATE", "This rebuild statement is already here.");
    }
    if (
      earlier.some((r) => r.rebuilderKeyid === keyid && (r.status === "GOOD" || r.status === "BAD"))
    ) {
      throw new CrosscheckError(
        "E_REBUILD_DUPLICATE",
        "This rebuilder key already reported a GOOD or BAD rebuild of this release.",
      );
    }
    const logIndex = (await ctx.log.add(envelopeLogEntry(envelope))).index;
    const rebuild: RebuildRow = {
      releaseId: current.id,
      envelopeSha256: opened.envelopeSha256,
      envelope: serializeEnvelope(envelope),
      organization: party.organization,
      rebuilderKeyid: keyid,
      status: p.status,
      logIndex,
      submittedAt: rfc3339(ctx.now()),
    };
    await ctx.store.insertRebuild(rebuild);
    if (p.status === "BAD") {
      // The veto: whatever its reviews say, a release whose binary is not its source's build is
      // never published (one that already is stays so, and its bundles now carry the BAD).
      for (const from of ["analyzing", "in-review"] as const) {
        await ctx.store.transition(current.id, from, "rejected");
      }
    } else if (p.status === "GOOD") {
      try {
        await publishIfApproved(ctx, current);
      } catch (err) {
        // Approved and rebuilt, waiting for the vendor's head (see submitHead).
        if (!isCrosscheckError(err, "E_HEAD_MISSING")) throw err;
      }
    }
    return { release: (await ctx.store.release(releaseSha256)) as ReleaseRow, rebuild };
  });
}

/** Refuses a statement about anything but exactly this release, its source and its recipe. */
function checkSameRelease(row: ReleaseRow, p: RebuildPredicate): void {
  const release = openRelease(parseEnvelope(row.envelope), []).predicate;
  if (!release.source || !release.build) {
    throw new CrosscheckError(
      "E_NOT_REBUILDABLE",
      "This release names no source and build recipe, so there is nothing to rebuild.",
    );
  }
  const recipeSha256 = createHash("sha256").update(release.build.recipe, "utf8").digest("hex");
  const listed = (list: readonly { name: string; sha256: string }[]) =>
    list
      .map((a) => `${a.name}\n${a.sha256}`)
      .sort()
      .join("\n");
  const problems = [
    p.release.envelopeSha256 !== row.envelopeSha256 && "another release envelope",
    (p.release.channel !== row.channel || p.release.version !== row.version) &&
      "another channel or version",
    (p.source.repository !== release.source.repository ||
      p.source.commit !== release.source.commit) &&
      "another source",
    p.recipeSha256 !== recipeSha256 && "another recipe",
    listed(p.artifacts) !== listed(release.artifacts) && "other artifact digests",
  ].filter((x): x is string => typeof x === "string");
  if (problems.length > 0) {
    throw new CrosscheckError(
      "E_REBUILD_MISMATCH",
      `The rebuild statement is not about exactly this release: it names ${problems.join(", ")}.`,
    );
  }
}

function isRevokedSafe(ctx: ReleaseContext, keyid: string): boolean {
  try {
    return isRevoked(ctx.policy, keyid);
  } catch {
    return false;
  }
}
