/**
 * Signed trust policies and the rules for trusting one, after TUF's root role (spec §5.3):
 *
 *   signed policy = DSSE envelope, payloadType POLICY_PAYLOAD_TYPE, payload = the document's JSON
 *
 * `openPolicy(envelope, { trusted?, now })`, in order, each refusal its own code:
 *   1. the envelope and its document are well formed               E_POLICY_MALFORMED
 *   2. signed by `root.threshold` of the document's own root keys   E_POLICY_UNSIGNED
 *   3. with a trusted policy (version N), the new version V:
 *        V < N                                                     E_POLICY_ROLLBACK
 *        V = N, another document                                   E_POLICY_CONFLICT
 *        V = N, the same document: the trusted policy, as is
 *        V > N + 1 (versions must be walked one at a time)         E_POLICY_CHAIN
 *        V = N + 1 not signed by N's root threshold                E_POLICY_ROTATION
 *      so a new root must be signed by the old AND the new threshold: new keys alone never do.
 *   4. not expired at `now` (freeze protection)                     E_POLICY_EXPIRED
 *
 * `updatePolicy` walks a chain N+1, N+2, … one version at a time (at most MAX_POLICY_CHAIN), and
 * like TUF checks expiry only of the version it ends on: intermediate versions may have expired.
 * Signatures count distinct keys, never signatures; revoked keys never count.
 */
import {
  type Channel,
  type Envelope,
  ed25519EnvelopeSigner,
  envelopeDigest,
  MAX_ENVELOPE_SIGNATURES,
  type PublicKey,
  publicKeyFromVerifierKey,
  signEnvelope,
  verifyEnvelope,
} from "../attest/index.js";
import { decodeSignerKey, fromBase64, parseVerifierKey } from "../crypto/index.js";
import { CrosscheckError, isCrosscheckError } from "../errors/index.js";
import {
  CHANNELS,
  type ChannelPolicy,
  malformed,
  type PolicyDocument,
  parsePolicyDocument,
  policyDocumentBytes,
  revocationIndex,
  serializePolicyDocument,
  validatePolicyDocument,
} from "./document.js";
import type { TlogPolicy } from "./tlog-policy.js";

export const POLICY_PAYLOAD_TYPE = "application/vnd.crosscheck.policy+json";
/** Most versions one update may walk (TUF's bound on root rotations per update, Decision 14). */
export const MAX_POLICY_CHAIN = 128;

/** A policy whose signatures (and, where asked, succession and expiry) were checked. */
export interface TrustedPolicy {
  readonly document: PolicyDocument;
  /** `envelopeDigest` of the signed policy: hex SHA-256 of its serialised envelope. */
  readonly digest: string;
  /** The document's `log.policy`, parsed. */
  readonly parsedLog: TlogPolicy;
  /** The signed policy itself, to save and to hand on. */
  readonly envelope: Envelope;
}

/** Anything the key helpers accept: a trusted policy, or a bare document (e.g. to display). */
export type PolicyLike = TrustedPolicy | PolicyDocument;

function documentOf(policy: PolicyLike): PolicyDocument {
  return "document" in policy && "envelope" in policy ? policy.document : policy;
}

/** Signs a (valid) document with each root key given: a new envelope. */
export function signPolicy(document: PolicyDocument, signerKeyTexts: readonly string[]): Envelope {
  validatePolicyDocument(document);
  if (signerKeyTexts.length === 0) {
    throw new CrosscheckError("E_POLICY_SIGNER", "Signing a policy needs at least one key.");
  }
  const signers = signerKeyTexts.map(ed25519EnvelopeSigner);
  const ids = new Set<string>();
  for (const signer of signers) {
    if (ids.has(signer.keyid)) {
      throw new CrosscheckError(
        "E_POLICY_DUPLICATE_SIGNATURE",
        `The key ${signer.keyid} is given twice: one key signs a policy once.`,
      );
    }
    ids.add(signer.keyid);
  }
  return signEnvelope(POLICY_PAYLOAD_TYPE, policyDocumentBytes(document), signers);
}

/**
 * One more signature over the same payload. Refuses a key that already signed (by key ID or by
 * a signature that verifies under its public key) and a payload that is not a valid policy.
 */
export function addPolicySignature(envelope: Envelope, signerKeyText: string): Envelope {
  const { payload } = decodePolicy(envelope);
  const signer = ed25519EnvelopeSigner(signerKeyText);
  const publicKey = publicKeyFromVerifierKey(decodeSignerKey(signerKeyText).verifierKey);
  const signedAlready =
    envelope.signatures.some((s) => s.keyid === signer.keyid) ||
    verifyEnvelope({ ...envelope, signatures: envelope.signatures.map(({ sig }) => ({ sig })) }, [
      publicKey,
    ]).verifiedKeyids.length > 0;
  if (signedAlready) {
    throw new CrosscheckError(
      "E_POLICY_DUPLICATE_SIGNATURE",
      `The policy is already signed by ${signer.keyid}; one key signs a policy once.`,
    );
  }
  if (envelope.signatures.length >= MAX_ENVELOPE_SIGNATURES) {
    throw new CrosscheckError(
      "E_POLICY_SIGNER",
      `The policy already carries ${envelope.signatures.length} signatures, the most an envelope holds.`,
    );
  }
  const [added] = signEnvelope(POLICY_PAYLOAD_TYPE, payload, [signer]).signatures;
  return {
    payloadType: envelope.payloadType,
    payload: envelope.payload,
    signatures: [...envelope.signatures, ...(added ? [added] : [])],
  };
}

/** How a signed policy stands against its own root: for display and for `openPolicy`. */
export interface PolicySignatureCount {
  document: PolicyDocument;
  parsedLog: TlogPolicy;
  /** Key IDs of root keys (not revoked) whose signature verified. */
  verifiedRootKeyids: string[];
  /** `root.threshold`. */
  required: number;
}

/**
 * Decodes a signed policy and counts its valid signatures by its own root keys, without judging.
 * Throws `E_POLICY_MALFORMED` only.
 */
export function countPolicySignatures(envelope: Envelope): PolicySignatureCount {
  const { document, parsedLog } = decodePolicy(envelope);
  const verified = verifiedBy(envelope, rootKeys(document));
  return { document, parsedLog, verifiedRootKeyids: verified, required: document.root.threshold };
}

/** Key IDs of `policy`'s root keys (not revoked) with a valid signature on `envelope`. */
export function verifiedRootSignatures(envelope: Envelope, policy: PolicyLike): string[] {
  return verifiedBy(envelope, rootKeys(policy));
}

/**
 * Opens a signed policy: well formed, signed by its own root threshold, a legitimate successor
 * of `trusted` when given, and unexpired at `now`. See the top of this file for the codes.
 */
export function openPolicy(
  envelope: Envelope,
  options: { trusted?: TrustedPolicy; now: Date },
): TrustedPolicy {
  const candidate = selfSigned(envelope);
  const accepted = options.trusted ? successor(options.trusted, candidate) : candidate;
  checkUnexpired(accepted, options.now);
  return accepted;
}

/**
 * Loads the policy an endpoint saved earlier, the start of its next update: form and its own
 * signatures are checked, expiry is not (as in TUF, an expired trusted root can still be updated
 * from; `updatePolicy` checks the expiry of the version it ends on).
 */
export function loadTrustedPolicy(envelope: Envelope): TrustedPolicy {
  return selfSigned(envelope);
}

/**
 * Walks `chain` (versions N+1, N+2, …, in order) from `trusted` one version at a time, each
 * signed by its predecessor's root threshold and its own; the result must be unexpired at `now`.
 * Entries equal to the current version are skipped. An empty chain checks `trusted` is unexpired.
 */
export function updatePolicy(
  trusted: TrustedPolicy,
  chain: readonly Envelope[],
  now: Date,
): TrustedPolicy {
  if (chain.length > MAX_POLICY_CHAIN) {
    throw new CrosscheckError(
      "E_POLICY_CHAIN",
      `The policy chain holds ${chain.length} versions; at most ${MAX_POLICY_CHAIN} are walked in one update.`,
    );
  }
  let current = trusted;
  for (const envelope of chain) current = successor(current, selfSigned(envelope));
  checkUnexpired(current, now);
  return current;
}

function selfSigned(envelope: Envelope): TrustedPolicy {
  const { document, parsedLog } = decodePolicy(envelope);
  const verified = verifiedBy(envelope, rootKeys(document));
  const required = document.root.threshold;
  if (verified.length < required) {
    throw new CrosscheckError(
      "E_POLICY_UNSIGNED",
      `The trust policy version ${document.version} carries ${verified.length} valid signature(s) by its root keys; ${required} are required. Sign it with more root keys (crosscheck policy sign).`,
    );
  }
  return { document, parsedLog, envelope, digest: envelopeDigest(envelope) };
}

function successor(trusted: TrustedPolicy, candidate: TrustedPolicy): TrustedPolicy {
  const have = trusted.document.version;
  const next = candidate.document.version;
  if (next < have) {
    throw new CrosscheckError(
      "E_POLICY_ROLLBACK",
      `The trust policy version ${next} is older than the trusted version ${have}: a rollback is refused.`,
    );
  }
  if (next === have) {
    if (serializePolicyDocument(candidate.document) === serializePolicyDocument(trusted.document)) {
      return trusted;
    }
    throw new CrosscheckError(
      "E_POLICY_CONFLICT",
      `Two different trust policies claim version ${next}: the one given differs from the trusted one. Someone signed two versions with one number; report it.`,
    );
  }
  if (next !== have + 1) {
    throw new CrosscheckError(
      "E_POLICY_CHAIN",
      `The trust policy version ${next} does not directly follow the trusted version ${have}: every version in between must be applied in order.`,
    );
  }
  const verified = verifiedBy(candidate.envelope, rootKeys(trusted.document));
  const required = trusted.document.root.threshold;
  if (verified.length < required) {
    throw new CrosscheckError(
      "E_POLICY_ROTATION",
      `The trust policy version ${next} is signed by ${verified.length} of the trusted version ${have}'s root keys; ${required} are required. A new version must be signed by the old root threshold as well as its own.`,
    );
  }
  return candidate;
}

function checkUnexpired(policy: TrustedPolicy, now: Date): void {
  const time = now instanceof Date ? now.getTime() : Number.NaN;
  if (Number.isNaN(time)) {
    throw new CrosscheckError("E_POLICY_CLOCK", "No valid current time was given to judge expiry.");
  }
  if (Date.parse(policy.document.expires) <= time) {
    throw new CrosscheckError(
      "E_POLICY_EXPIRED",
      `The trust policy version ${policy.document.version} expired at ${policy.document.expires}. Fetch a newer version signed by its root keys.`,
    );
  }
}

function decodePolicy(envelope: Envelope): {
  payload: Uint8Array;
  document: PolicyDocument;
  parsedLog: TlogPolicy;
} {
  if (typeof envelope !== "object" || envelope === null || typeof envelope.payload !== "string") {
    throw malformed("The signed policy is not a DSSE envelope.");
  }
  if (envelope.payloadType !== POLICY_PAYLOAD_TYPE) {
    throw malformed(
      `The envelope's payloadType is ${JSON.stringify(String(envelope.payloadType).slice(0, 80))}, not ${POLICY_PAYLOAD_TYPE}: it is not a trust policy.`,
    );
  }
  let payload: Uint8Array;
  try {
    payload = fromBase64(envelope.payload);
  } catch {
    throw malformed("The signed policy's payload is not canonical base64.");
  }
  return { payload, ...parsePolicyDocument(payload) };
}

function verifiedBy(envelope: Envelope, keys: PublicKey[]): string[] {
  try {
    return verifyEnvelope(envelope, keys).verifiedKeyids;
  } catch (err) {
    if (isCrosscheckError(err, "E_ENVELOPE_MALFORMED")) {
      throw malformed(`The signed policy is malformed: ${err.message}`);
    }
    throw err;
  }
}

/** Whether `keyidOrVkey` (a key ID `name+hash8` or a verifier key) is revoked by the policy. */
export function isRevoked(policy: PolicyLike, keyidOrVkey: string): boolean {
  const index = revocationIndex(documentOf(policy));
  if (/^[^+]+\+[0-9a-fA-F]{8}$/.test(keyidOrVkey)) return index.coversKeyId(keyidOrVkey);
  return index.covers(parseVerifierKey(keyidOrVkey));
}

function active(document: PolicyDocument, vkeys: readonly string[]): string[] {
  const index = revocationIndex(document);
  return vkeys.filter((vkey) => !index.covers(parseVerifierKey(vkey)));
}

/** The root keys that are not revoked. */
export function rootKeys(policy: PolicyLike): PublicKey[] {
  const document = documentOf(policy);
  return active(document, document.root.keys).map(publicKeyFromVerifierKey);
}

/** A channel's settings; `E_POLICY_CHANNEL` when the policy does not trust that channel. */
export function channelPolicy(policy: PolicyLike, channel: string): ChannelPolicy {
  const document = documentOf(policy);
  const settings = (CHANNELS as readonly string[]).includes(channel)
    ? document.channels[channel as Channel]
    : undefined;
  if (!settings) {
    const trusted = CHANNELS.filter((c) => document.channels[c]).join(", ");
    throw new CrosscheckError(
      "E_POLICY_CHANNEL",
      `The trust policy does not trust the channel ${JSON.stringify(channel)} (it trusts: ${trusted}).`,
    );
  }
  return settings;
}

/** The channel's vendor keys that are not revoked. */
export function vendorKeys(policy: PolicyLike, channel: Channel): PublicKey[] {
  const document = documentOf(policy);
  return active(document, channelPolicy(document, channel).vendorKeys).map(
    publicKeyFromVerifierKey,
  );
}

export interface PartyKey {
  key: PublicKey;
  /** Thresholds count distinct organisations (Decision 10). */
  organization: string;
}

/** The reviewers who may review `channel`, with their organisation; revoked keys excluded. */
export function reviewerKeys(policy: PolicyLike, channel: Channel): PartyKey[] {
  const document = documentOf(policy);
  channelPolicy(document, channel);
  const index = revocationIndex(document);
  return document.reviewers
    .filter((r) => !r.channels || r.channels.includes(channel))
    .filter((r) => !index.covers(parseVerifierKey(r.key)))
    .map((r) => ({ key: publicKeyFromVerifierKey(r.key), organization: r.organization }));
}

/** The rebuilders, with their organisation; revoked keys excluded. */
export function rebuilderKeys(policy: PolicyLike): PartyKey[] {
  const document = documentOf(policy);
  const index = revocationIndex(document);
  return document.rebuilders
    .filter((r) => !index.covers(parseVerifierKey(r.key)))
    .map((r) => ({ key: publicKeyFromVerifierKey(r.key), organization: r.organization }));
}
