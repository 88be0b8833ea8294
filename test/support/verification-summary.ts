/**
 * The plain-JSON face of an accepted release, the same in Node and in a page: what a browser test
 * hands back from `page.evaluate` and compares with the verifier's result in Node.
 */
import { toHex } from "../../src/crypto/index.js";
import type { EndpointState, VerifiedRelease } from "../../src/verify/index.js";

export interface VerificationSummary {
  channel: string;
  version: string;
  releaseSha256: string;
  artifact: { name: string; sha256: string; size: number };
  approvedBy: string[];
  checkpoint: { origin: string; size: number; root: string };
  witnessTime: number;
  consistency: VerifiedRelease["consistency"];
  state: EndpointState;
}

export function summarizeVerification(result: VerifiedRelease): VerificationSummary {
  return {
    channel: result.release.channel,
    version: result.release.version,
    releaseSha256: result.releaseSha256,
    artifact: { ...result.artifact },
    approvedBy: [...result.approvedBy],
    checkpoint: {
      origin: result.checkpoint.origin,
      size: result.checkpoint.size,
      root: toHex(result.checkpoint.root),
    },
    witnessTime: result.witnessTime,
    consistency: result.consistency,
    state: JSON.parse(JSON.stringify(result.state)) as EndpointState,
  };
}
