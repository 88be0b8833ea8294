/**
 * The signed trust policy this server enforces, opened (its root signatures checked) once per
 * page load: who the reviewers and vendors are, the log's key and witnesses.
 */
import { parseEnvelope } from "../../src/attest/index.js";
import { openPolicy, type TrustedPolicy } from "../../src/policy/index.js";
import { getText } from "./api.js";

let loading: Promise<TrustedPolicy> | undefined;

export function loadPolicy(): Promise<TrustedPolicy> {
  loading ??= getText("/api/v1/policy").then((text) =>
    openPolicy(parseEnvelope(text), { now: new Date() }),
  );
  // A failed load is not remembered: the next caller tries again.
  loading.catch(() => {
    loading = undefined;
  });
  return loading;
}

/** The policy's reviewer entry for a verifier key, if it names one. */
export function reviewerOf(
  policy: TrustedPolicy,
  verifierKey: string,
): { organization: string; channels?: readonly string[] } | undefined {
  return policy.document.reviewers.find((r) => r.key === verifierKey);
}
