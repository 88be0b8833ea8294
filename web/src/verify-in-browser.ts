/**
 * "Verify in your browser": what `crosscheck update` does before it installs, run in the page
 * with the real verifier (src/verify). The page fetches the signed policy, the channel's bundle
 * and the artifacts' bytes from this server, proves consistency with the last checkpoint this
 * browser accepted (kept in localStorage, the page's endpoint memory), and runs `verifyRelease`.
 * The verifier stops at the first refusal; its code tells which check refused, so the page can
 * show the checks before it as passed and the ones after as not run.
 */
import { envelopeDigest, openRelease, parseEnvelope } from "../../src/attest/index.js";
import { parseNote, sha256, toHex } from "../../src/crypto/index.js";
import { isCrosscheckError } from "../../src/errors/index.js";
import { proveConsistency } from "../../src/log/proofs.js";
import { parseCheckpoint } from "../../src/merkle/index.js";
import { openPolicy } from "../../src/policy/index.js";
import {
  type EndpointState,
  parseBundle,
  parseEndpointState,
  type VerifiedRelease,
  verifyRelease,
} from "../../src/verify/index.js";
import { type ChannelName, getBytes, getText, logClient } from "./api.js";

/** The verifier's checks in its order (src/verify/verify-release.ts), with the codes each refuses with. */
export const CHECKS = [
  { id: "fetch", title: "Policy, bundle and artifacts fetched and well-formed", codes: [] },
  { id: "policy", title: "Trust policy is unexpired", codes: ["E_POLICY_EXPIRED"] },
  {
    id: "release",
    title: "Release signed by a vendor key of the channel",
    codes: ["E_WRONG_CHANNEL", "E_RELEASE_UNSIGNED", "E_RELEASE_SIGNATURE", "E_STATEMENT_INVALID"],
  },
  {
    id: "audience",
    title: "Audience is everyone or this region",
    codes: ["E_AUDIENCE", "E_EVERYONE"],
  },
  {
    id: "artifacts",
    title: "Artifact digests are the ones listed",
    codes: ["E_ARTIFACT_MISMATCH"],
  },
  {
    id: "reviews",
    title: "Enough organisations approve, none rejects",
    codes: [
      "E_REVIEW_REJECTED",
      "E_REVIEW_MISMATCH",
      "E_REVIEWER_REVOKED",
      "E_REVIEW_DUPLICATE",
      "E_UNREVIEWED",
      "E_REVIEW_THRESHOLD",
    ],
  },
  {
    id: "rebuilds",
    title: "Enough independent rebuilders reproduce the artifacts, none finds them BAD",
    codes: [
      "E_REBUILD_BAD",
      "E_REBUILD_MISMATCH",
      "E_REBUILDER_REVOKED",
      "E_REBUILD_DUPLICATE",
      "E_UNREBUILT",
      "E_REBUILD_THRESHOLD",
    ],
  },
  {
    id: "inclusion",
    title: "Every statement is included in the log",
    codes: ["E_UNLOGGED", "E_INCLUSION_PROOF"],
  },
  {
    id: "checkpoint",
    title: "Checkpoint signed by the log and cosigned by a witness quorum",
    codes: ["E_CHECKPOINT_MALFORMED", "E_CHECKPOINT_SIGNATURE", "E_COSIGNATURES"],
  },
  {
    id: "consistency",
    title: "Consistent with the last checkpoint this browser saw",
    codes: ["E_CHECKPOINT_ROLLBACK", "E_SPLIT_VIEW"],
  },
  {
    id: "head",
    title: "Channel head names this release and is current",
    codes: ["E_HEAD_UNSIGNED", "E_HEAD_MISMATCH", "E_HEAD_FUTURE", "E_FREEZE", "E_HEAD_REPLAY"],
  },
  { id: "version", title: "Version is not a rollback", codes: ["E_ROLLBACK"] },
  {
    id: "freshness",
    title: "Witnesses vouched for the checkpoint recently",
    codes: ["E_CHECKPOINT_STALE"],
  },
] as const;

export type CheckId = (typeof CHECKS)[number]["id"];

export type VerifyOutcome =
  | { accepted: true; result: VerifiedRelease; artifactsChecked: number; policyDigest: string }
  | { accepted: false; failedAt: CheckId; code: string; message: string };

const MEMORY_KEY = "crosscheck.endpoint-memory.v1";

/** What this browser accepted before: only the checkpoint and witness time (nothing is installed). */
function loadMemory(): EndpointState {
  try {
    const saved = window.localStorage.getItem(MEMORY_KEY);
    return saved ? parseEndpointState(saved) : { channels: {} };
  } catch {
    return { channels: {} };
  }
}

function saveMemory(state: EndpointState): void {
  const kept: EndpointState = { channels: {} };
  if (state.checkpoint) kept.checkpoint = state.checkpoint;
  if (state.witnessTime !== undefined) kept.witnessTime = state.witnessTime;
  try {
    window.localStorage.setItem(MEMORY_KEY, JSON.stringify(kept));
  } catch {
    // Private windows may refuse storage; the next run is then a first use again.
  }
}

export function forgetMemory(): void {
  window.localStorage.removeItem(MEMORY_KEY);
}

/** Decision 8, as in `crosscheck update`: a consistency proof from the log's tiles. */
async function consistencyProof(
  saved: string | undefined,
  note: string,
): Promise<Uint8Array[] | undefined> {
  if (!saved) return undefined;
  const old = parseCheckpoint(parseNote(saved).text);
  const current = parseCheckpoint(parseNote(note).text);
  if (old.origin !== current.origin || old.size >= current.size || old.size === 0) return undefined;
  return proveConsistency(logClient().tileSource, old.size, current.size);
}

function checkOf(code: string): CheckId {
  for (const check of CHECKS) {
    if ((check.codes as readonly string[]).includes(code)) return check.id;
  }
  return "fetch";
}

/**
 * Verifies the newest published release of `channel`, which must be `expectedSha256` (the release
 * the page shows). `onStep` reports progress for the live region.
 */
export async function verifyInBrowser(
  channel: ChannelName,
  expectedSha256: string,
  onStep: (message: string) => void = () => {},
): Promise<VerifyOutcome> {
  let stage: "fetch" | "verify" = "fetch";
  try {
    const now = new Date();
    onStep("Fetching the signed trust policy…");
    const policy = openPolicy(parseEnvelope(await getText("/api/v1/policy")), { now });
    onStep("Fetching the channel's bundle…");
    const bundle = parseBundle(await getText(`/api/v1/channels/${channel}/bundle`));
    const listed = openRelease(bundle.release.envelope, []).predicate.artifacts;
    const bundledSha256 = envelopeDigest(bundle.release.envelope);
    if (bundledSha256 !== expectedSha256) {
      // The service bundles only a channel's newest published release.
      return {
        accepted: false,
        failedAt: "fetch",
        code: "E_NOT_NEWEST",
        message: `The ${channel} channel's bundle is for release ${bundledSha256.slice(0, 16)}…, not this one; only the newest published release can be verified.`,
      };
    }
    onStep(`Downloading ${listed.length} artifact(s)…`);
    const bytes: Uint8Array[] = [];
    for (const artifact of listed) {
      bytes.push(await getBytes(`/api/v1/artifacts/${artifact.sha256}`));
    }
    const memory = loadMemory();
    onStep("Proving consistency with the last checkpoint this browser saw…");
    const proof = await consistencyProof(memory.checkpoint, bundle.checkpoint);

    stage = "verify";
    onStep("Running the verifier…");
    const result = verifyRelease({
      bundle,
      artifact: bytes[0] ?? new Uint8Array(),
      policy,
      state: memory,
      channel,
      now,
      consistencyProof: proof,
    });
    // The verifier held the first artifact to its digest; hold every other one to its own.
    listed.forEach((artifact, i) => {
      const got = bytes[i] as Uint8Array;
      if (toHex(sha256(got)) !== artifact.sha256 || got.length !== artifact.size) {
        throw Object.assign(
          new Error(`The download of ${artifact.name} is not the reviewed file the release lists.`),
          { code: "E_ARTIFACT_MISMATCH" },
        );
      }
    });
    saveMemory(result.state);
    return { accepted: true, result, artifactsChecked: listed.length, policyDigest: policy.digest };
  } catch (err) {
    const code = isCrosscheckError(err)
      ? err.code
      : ((err as { code?: string }).code ?? "E_UNEXPECTED");
    const message = (err as Error).message;
    return {
      accepted: false,
      failedAt: stage === "fetch" && code !== "E_POLICY_EXPIRED" ? "fetch" : checkOf(code),
      code,
      message,
    };
  }
}
