/**
 * Which of the policy's witnesses cosigned a checkpoint, and when: each cosignature/v1 signature
 * is verified in the page against the witness key the trust policy names, and its signed
 * timestamp read (Decision 5: a checkpoint's time is its witnesses' time).
 */
import { openNote, parseVerifierKey } from "../../src/crypto/index.js";
import { cosignatureTime, cosignatureVerifier } from "../../src/merkle/index.js";
import type { TrustedPolicy } from "../../src/policy/index.js";

export interface WitnessState {
  name: string;
  /** When it cosigned this checkpoint (POSIX seconds), or null when it did not (validly). */
  cosignedAt: number | null;
}

export function witnessStates(note: string, policy: TrustedPolicy): WitnessState[] {
  const witnesses = policy.parsedLog.witnesses.map((w) => ({
    name: w.name,
    verifier: cosignatureVerifier(w.key),
  }));
  // The log's own signature is checked too: a note nobody trusted signed is refused whole.
  const logKey = parseVerifierKey(policy.parsedLog.logs[0]?.key ?? "");
  const opened = openNote(note, [logKey, ...witnesses.map((w) => w.verifier)]);
  return witnesses.map((w) => {
    const signature = opened.signatures.find(
      (s) => s.verified && s.name === w.verifier.name && s.keyHash === w.verifier.keyHash,
    );
    return {
      name: w.name,
      cosignedAt: signature ? (cosignatureTime(signature.signature) ?? null) : null,
    };
  });
}
