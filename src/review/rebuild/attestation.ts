/**
 * A rebuild's result as the rebuild predicate a rebuilder signs (src/attest/rebuild.ts): the
 * released and rebuilt digests, the differences (the first 256, each detail bounded), the reason,
 * the environment and the digest of the kept log. What does not fit stays in the rebuilder's log
 * and diffoscope reports, which the statement names by digest.
 */

import {
  MAX_REBUILD_DIFFERENCES,
  type RebuildPredicate,
  rebuildStatement,
  type Statement,
} from "../../attest/index.js";
import { CrosscheckError } from "../../errors/index.js";
import type { RebuildResult } from "./rebuild.js";

const MAX_TEXT = 4096;

const bounded = (text: string) =>
  text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;

export function rebuildPredicate(
  result: RebuildResult,
  rebuilder: { organization: string; builder: string },
): RebuildPredicate {
  const differences = result.differences.slice(0, MAX_REBUILD_DIFFERENCES).map((d) => ({
    artifact: d.artifact,
    member: bounded(d.member),
    kind: d.kind,
    detail: bounded(d.detail),
  }));
  const more = result.differences.length - differences.length;
  const envelopeSha256 = result.release.envelopeSha256;
  if (envelopeSha256 === undefined) {
    throw new CrosscheckError(
      "E_USAGE",
      "A rebuild attestation names the release envelope it rebuilt; this rebuild was run without it.",
    );
  }
  return {
    rebuilder: { id: rebuilder.organization, builder: rebuilder.builder },
    timeFinished: result.timeFinished,
    release: { envelopeSha256, channel: result.release.channel, version: result.release.version },
    source: result.source,
    recipeSha256: result.recipeSha256,
    status: result.status,
    artifacts: result.artifacts.map((a) => ({
      name: a.name,
      sha256: a.sha256,
      rebuiltSha256: a.rebuiltSha256,
    })),
    differences,
    reason: bounded(
      more > 0
        ? `${result.reason} (${more} more differences are in the rebuilder's log.)`
        : result.reason,
    ),
    environment: result.environment,
    log: { sha256: result.log.sha256, size: result.log.size },
  };
}

/** The unsigned statement (validated), for a signer anywhere. */
export function rebuildResultStatement(
  result: RebuildResult,
  rebuilder: { organization: string; builder: string },
): Statement<RebuildPredicate> {
  return rebuildStatement(rebuildPredicate(result, rebuilder));
}
