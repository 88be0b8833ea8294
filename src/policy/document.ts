/**
 * The trust policy document (Decision 10): one JSON document, signed by a threshold of root keys,
 * that says whom an endpoint trusts. Its shape is the TypeBox schema below (checked with
 * `Value.Check`, never compiled); its meaning is checked by `validatePolicyDocument`:
 *
 * - every key parses; root, vendor, reviewer and rebuilder keys are Ed25519 note keys, listed
 *   once per role (two keys are the same when they wrap the same public key, whatever their names);
 * - thresholds are satisfiable by keys that are not revoked: the root threshold by root keys, each
 *   channel's review threshold by distinct reviewer organisations eligible for that channel, the
 *   rebuild threshold by distinct rebuilder organisations;
 * - no key is both a vendor key and a reviewer key (a vendor never reviews itself);
 * - `log.policy` is C2SP tlog-policy text naming exactly one log and a quorum of witnesses that
 *   keys not revoked can satisfy. `quorum none` is refused: witness cosignatures are also the only
 *   source of time for checkpoint freshness (Decision 5).
 *
 * `revoked` lists verifier keys or key IDs (`name+hash8`) trusted for nothing any more; a revoked
 * key may stay listed elsewhere (a reviewer keeps its organisation on record) but never counts.
 *
 * Every refusal is `E_POLICY_MALFORMED` with a sentence that names the field.
 */
import { type Static, Type } from "@sinclair/typebox";
import { Value, ValueErrorType } from "@sinclair/typebox/value";
import { Channel } from "../attest/index.js";
import {
  isValidNoteKeyName,
  NOTE_KEY_TYPE_COSIGNATURE_V1,
  NOTE_KEY_TYPE_ED25519,
  type ParsedVerifierKey,
  parseVerifierKey,
  toHex,
  utf8Decode,
  utf8Encode,
} from "../crypto/index.js";
import { CrosscheckError, isCrosscheckError } from "../errors/index.js";
import {
  MAX_TLOG_POLICY_SIZE,
  parseTlogPolicy,
  quorumSatisfied,
  type TlogPolicy,
} from "./tlog-policy.js";

export const POLICY_TYPE = "https://crosscheck.dev/policy/v1";
/** A policy (document or signed envelope) larger than this is refused unread (Decision 14). */
export const MAX_POLICY_SIZE = 1024 * 1024;

/** Every channel (Channel, the schema shared with releases, names the same four). */
export const CHANNELS: readonly Channel[] = ["product", "sigdb", "rules", "dictionary"];

/** The audience every release may address without naming a region (Decision 13). */
export const AUDIENCE_EVERYONE = "everyone";

const MAX_KEYS = 64;
/**
 * At most 16 root keys: a rotation carries the old and the new root's signatures in one envelope,
 * and an envelope holds at most 32 (MAX_ENVELOPE_SIGNATURES).
 */
const MAX_ROOT_KEYS = 16;
const MAX_PARTIES = 256;
const MAX_SECONDS = 10 * 366 * 86400;
const strict = { additionalProperties: false } as const;

// RFC 3339 in UTC ("Z"), optional fraction; calendar validity is checked after the schema.
const RFC3339_UTC = "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?Z$";
// Names without surrounding white space, so "Acme" and "Acme " are never two organisations.
const TRIMMED = "^\\S(.*\\S)?$";

const VerifierKeyText = Type.String({ minLength: 1, maxLength: 512 });
const Organization = Type.String({ minLength: 1, maxLength: 200, pattern: TRIMMED });
const Seconds = Type.Integer({ minimum: 1, maximum: MAX_SECONDS });

export const ChannelPolicySchema = Type.Object(
  {
    vendorKeys: Type.Array(VerifierKeyText, { minItems: 1, maxItems: MAX_KEYS }),
    /** How many distinct reviewer organisations must approve a release (Decision 10). */
    reviewThreshold: Type.Integer({ minimum: 1, maximum: MAX_PARTIES }),
    /** Lifetime of the channel's signed head statement, in seconds (Decision 6). */
    headExpiry: Seconds,
  },
  strict,
);

export const PolicyDocumentSchema = Type.Object(
  {
    type: Type.Literal(POLICY_TYPE),
    version: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
    expires: Type.String({ pattern: RFC3339_UTC, maxLength: 40 }),
    root: Type.Object(
      {
        keys: Type.Array(VerifierKeyText, { minItems: 1, maxItems: MAX_ROOT_KEYS }),
        threshold: Type.Integer({ minimum: 1, maximum: MAX_ROOT_KEYS }),
      },
      strict,
    ),
    log: Type.Object(
      {
        /** C2SP tlog-policy text: the log's key, the witnesses, groups and quorum. */
        policy: Type.String({ minLength: 1, maxLength: MAX_TLOG_POLICY_SIZE }),
        /** Oldest acceptable checkpoint, in seconds, by its witnesses' time (Decision 5). */
        maxCheckpointAge: Seconds,
      },
      strict,
    ),
    regions: Type.Array(Type.String({ pattern: "^[a-z0-9][a-z0-9-]{0,62}$" }), { maxItems: 64 }),
    channels: Type.Object(
      {
        product: Type.Optional(ChannelPolicySchema),
        sigdb: Type.Optional(ChannelPolicySchema),
        rules: Type.Optional(ChannelPolicySchema),
        dictionary: Type.Optional(ChannelPolicySchema),
      },
      strict,
    ),
    reviewers: Type.Array(
      Type.Object(
        {
          key: VerifierKeyText,
          organization: Organization,
          /** The channels this reviewer may review; absent means every channel. */
          channels: Type.Optional(Type.Array(Channel, { minItems: 1, maxItems: 4 })),
        },
        strict,
      ),
      { maxItems: MAX_PARTIES },
    ),
    rebuilders: Type.Array(
      Type.Object({ key: VerifierKeyText, organization: Organization }, strict),
      {
        maxItems: MAX_PARTIES,
      },
    ),
    /** How many distinct rebuilder organisations must reproduce a `product` build; 0 = none. */
    rebuildThreshold: Type.Integer({ minimum: 0, maximum: MAX_PARTIES }),
    revoked: Type.Array(VerifierKeyText, { maxItems: 1024 }),
  },
  strict,
);

export type PolicyDocument = Static<typeof PolicyDocumentSchema>;
export type ChannelPolicy = Static<typeof ChannelPolicySchema>;

export function malformed(message: string): CrosscheckError {
  return new CrosscheckError("E_POLICY_MALFORMED", message);
}

/** The key ID of a note key, as DSSE signatures name it: `name+hash8` (lowercase hex). */
export function noteKeyId(key: Pick<ParsedVerifierKey, "name" | "keyHash">): string {
  return `${key.name}+${key.keyHash.toString(16).padStart(8, "0")}`;
}

/**
 * Checks a decoded JSON value against the schema and every semantic rule; returns the document and
 * its parsed log policy. Throws `E_POLICY_MALFORMED` naming the first problem.
 */
export function validatePolicyDocument(value: unknown): {
  document: PolicyDocument;
  parsedLog: TlogPolicy;
} {
  if (!Value.Check(PolicyDocumentSchema, value)) {
    const first = Value.Errors(PolicyDocumentSchema, value).First();
    const where = first?.path ? first.path : "the top level";
    let reason = first?.message ?? "it does not match the schema";
    if (first?.type === ValueErrorType.ObjectRequiredProperty) reason = "this field is missing";
    if (first?.type === ValueErrorType.ObjectAdditionalProperties) reason = "no such field";
    throw malformed(`The policy document is malformed at ${where}: ${reason}.`);
  }
  const document = value;
  checkExpiry(document.expires);
  const revoked = revocationIndex(document);
  const isOut = (key: ParsedVerifierKey) => revoked.covers(key);

  const root = keyList(document.root.keys, "root.keys", NOTE_KEY_TYPE_ED25519);
  const activeRoot = root.filter((k) => !isOut(k)).length;
  if (document.root.threshold > activeRoot) {
    throw malformed(
      `root.threshold is ${document.root.threshold}, but the root has only ${activeRoot} key(s) that are not revoked.`,
    );
  }

  const parsedLog = checkLogPolicy(document.log.policy, isOut);

  const regions = new Set<string>();
  for (const region of document.regions) {
    if (region === AUDIENCE_EVERYONE) {
      throw malformed(`regions may not list "${AUDIENCE_EVERYONE}": every release may address it.`);
    }
    if (regions.has(region)) throw malformed(`regions lists ${JSON.stringify(region)} twice.`);
    regions.add(region);
  }

  const reviewers = document.reviewers.map((r, i) => ({
    ...r,
    parsed: oneKey(r.key, `reviewers[${i}].key`, NOTE_KEY_TYPE_ED25519),
  }));
  distinct(
    reviewers.map((r) => r.parsed),
    "reviewers",
  );
  reviewers.forEach((r, i) => {
    if (r.channels && new Set(r.channels).size !== r.channels.length) {
      throw malformed(`reviewers[${i}].channels lists a channel twice.`);
    }
  });
  checkOrganizationSpelling(document.reviewers, "reviewers");
  const reviewerKeys = new Set(reviewers.map((r) => toHex(r.parsed.publicKey)));

  let trusted = 0;
  for (const channel of CHANNELS) {
    const policy = document.channels[channel];
    if (!policy) continue;
    trusted++;
    const where = `channels.${channel}`;
    const vendors = keyList(policy.vendorKeys, `${where}.vendorKeys`, NOTE_KEY_TYPE_ED25519);
    for (const vendor of vendors) {
      if (reviewerKeys.has(toHex(vendor.publicKey))) {
        throw malformed(
          `The key ${noteKeyId(vendor)} is both a vendor key (${where}) and a reviewer key: a vendor may not review its own releases.`,
        );
      }
    }
    if (vendors.every(isOut)) throw malformed(`Every vendor key of ${where} is revoked.`);
    const organizations = new Set(
      reviewers
        .filter((r) => !isOut(r.parsed) && (!r.channels || r.channels.includes(channel)))
        .map((r) => r.organization),
    );
    if (policy.reviewThreshold > organizations.size) {
      throw malformed(
        `${where}.reviewThreshold is ${policy.reviewThreshold}, but only ${organizations.size} distinct reviewer organisation(s) with keys not revoked may review ${channel}.`,
      );
    }
  }
  if (trusted === 0) {
    throw malformed(
      "The policy trusts no channel: give at least one of channels.product, .sigdb, .rules or .dictionary.",
    );
  }

  const rebuilders = document.rebuilders.map((r, i) => ({
    ...r,
    parsed: oneKey(r.key, `rebuilders[${i}].key`, NOTE_KEY_TYPE_ED25519),
  }));
  distinct(
    rebuilders.map((r) => r.parsed),
    "rebuilders",
  );
  checkOrganizationSpelling(document.rebuilders, "rebuilders");
  const rebuildOrganizations = new Set(
    rebuilders.filter((r) => !isOut(r.parsed)).map((r) => r.organization),
  );
  if (document.rebuildThreshold > rebuildOrganizations.size) {
    throw malformed(
      `rebuildThreshold is ${document.rebuildThreshold}, but only ${rebuildOrganizations.size} distinct rebuilder organisation(s) have keys not revoked.`,
    );
  }
  return { document, parsedLog };
}

/** Parses and validates a policy document from JSON text or its UTF-8 bytes. */
export function parsePolicyDocument(input: string | Uint8Array): {
  document: PolicyDocument;
  parsedLog: TlogPolicy;
} {
  return validatePolicyDocument(parsePolicyJson(input, "policy document"));
}

/** JSON text (bounded, valid UTF-8) to a value; `E_POLICY_MALFORMED` otherwise. */
export function parsePolicyJson(input: string | Uint8Array, what: string): unknown {
  let text: string;
  if (typeof input === "string") {
    text = input;
  } else {
    if (input.length > MAX_POLICY_SIZE) throw malformed(`The ${what} is larger than 1 MiB.`);
    try {
      text = utf8Decode(input);
    } catch {
      throw malformed(`The ${what} is not valid UTF-8.`);
    }
  }
  if (text.length > MAX_POLICY_SIZE) throw malformed(`The ${what} is larger than 1 MiB.`);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw malformed(`The ${what} is not valid JSON: ${(err as Error).message}.`);
  }
}

/**
 * The document's one serialisation: fields in schema order, two-space indentation, final newline.
 * It is what `signPolicy` signs and what two documents are compared by.
 */
export function serializePolicyDocument(document: PolicyDocument): string {
  const channels: Partial<Record<Channel, ChannelPolicy>> = {};
  for (const channel of CHANNELS) {
    const c = document.channels[channel];
    if (c) {
      channels[channel] = {
        vendorKeys: [...c.vendorKeys],
        reviewThreshold: c.reviewThreshold,
        headExpiry: c.headExpiry,
      };
    }
  }
  const ordered: PolicyDocument = {
    type: document.type,
    version: document.version,
    expires: document.expires,
    root: { keys: [...document.root.keys], threshold: document.root.threshold },
    log: { policy: document.log.policy, maxCheckpointAge: document.log.maxCheckpointAge },
    regions: [...document.regions],
    channels,
    reviewers: document.reviewers.map((r) => ({
      key: r.key,
      organization: r.organization,
      ...(r.channels ? { channels: [...r.channels] } : {}),
    })),
    rebuilders: document.rebuilders.map((r) => ({ key: r.key, organization: r.organization })),
    rebuildThreshold: document.rebuildThreshold,
    revoked: [...document.revoked],
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

/** The UTF-8 bytes of `serializePolicyDocument`. */
export function policyDocumentBytes(document: PolicyDocument): Uint8Array {
  return utf8Encode(serializePolicyDocument(document));
}

function checkExpiry(expires: string): void {
  const time = Date.parse(expires);
  // Date.parse rolls 2026-02-30 over to March; the round trip catches it.
  if (Number.isNaN(time) || new Date(time).toISOString().slice(0, 19) !== expires.slice(0, 19)) {
    throw malformed(`expires ${JSON.stringify(expires)} is not a valid date and time.`);
  }
}

function oneKey(text: string, where: string, keyType: number): ParsedVerifierKey {
  let key: ParsedVerifierKey;
  try {
    key = parseVerifierKey(text);
  } catch (err) {
    throw malformed(`${where} is not a valid verifier key: ${(err as Error).message}`);
  }
  if (key.keyType !== keyType) {
    const expected = keyType === NOTE_KEY_TYPE_ED25519 ? "Ed25519 (0x01)" : "cosignature/v1 (0x04)";
    throw malformed(`${where} (${noteKeyId(key)}) must be an ${expected} key.`);
  }
  return key;
}

function keyList(texts: string[], where: string, keyType: number): ParsedVerifierKey[] {
  const keys = texts.map((text, i) => oneKey(text, `${where}[${i}]`, keyType));
  distinct(keys, where);
  return keys;
}

/** Refuses one key listed twice: same public key, or the same key ID (signatures name that). */
function distinct(keys: ParsedVerifierKey[], where: string): void {
  const publicKeys = new Set<string>();
  const ids = new Set<string>();
  for (const key of keys) {
    const pub = toHex(key.publicKey);
    const id = noteKeyId(key);
    if (publicKeys.has(pub) || ids.has(id)) {
      throw malformed(`${where} lists the key ${id} twice (the same public key or key ID).`);
    }
    publicKeys.add(pub);
    ids.add(id);
  }
}

function checkOrganizationSpelling(parties: { organization: string }[], where: string): void {
  const byFold = new Map<string, string>();
  for (const { organization } of parties) {
    const fold = organization.toLowerCase().replace(/\s+/g, " ");
    const other = byFold.get(fold);
    if (other !== undefined && other !== organization) {
      throw malformed(
        `${where} spells one organisation two ways (${JSON.stringify(other)} and ${JSON.stringify(organization)}); organisations are counted by name, so spell each one the same.`,
      );
    }
    byFold.set(fold, organization);
  }
}

function checkLogPolicy(text: string, isOut: (key: ParsedVerifierKey) => boolean): TlogPolicy {
  let parsed: TlogPolicy;
  try {
    parsed = parseTlogPolicy(text);
  } catch (err) {
    if (isCrosscheckError(err, "E_TLOG_POLICY")) throw malformed(`log.policy: ${err.message}`);
    throw err;
  }
  if (parsed.logs.length !== 1) {
    throw malformed(`log.policy must name exactly one log; it names ${parsed.logs.length}.`);
  }
  const log = parseVerifierKey((parsed.logs[0] as { key: string }).key);
  if (isOut(log))
    throw malformed(`log.policy names the log key ${noteKeyId(log)}, which is revoked.`);
  if (parsed.quorum === "none") {
    throw malformed(
      "log.policy has `quorum none`: checkpoints must be cosigned by witnesses, whose cosignatures are also the time checkpoint freshness is judged by.",
    );
  }
  const usable = new Set(
    parsed.witnesses.filter((w) => !isOut(parseVerifierKey(w.key))).map((w) => w.name),
  );
  if (!quorumSatisfied(parsed, usable)) {
    throw malformed(
      `log.policy's quorum ${JSON.stringify(parsed.quorum)} cannot be met by the witnesses whose keys are not revoked.`,
    );
  }
  return parsed;
}

/** Which keys `revoked` covers: by public key for verifier keys, by key ID for key IDs. */
export interface RevocationIndex {
  covers(key: Pick<ParsedVerifierKey, "name" | "keyHash" | "publicKey">): boolean;
  coversKeyId(keyid: string): boolean;
}

const KEY_ID = /^([^+]+)\+([0-9a-fA-F]{8})$/;
const revocationCache = new WeakMap<PolicyDocument, RevocationIndex>();

/** The document's revocation index (cached per document object). */
export function revocationIndex(document: PolicyDocument): RevocationIndex {
  const cached = revocationCache.get(document);
  if (cached) return cached;
  const publicKeys = new Set<string>();
  const keyIds = new Set<string>();
  document.revoked.forEach((entry, i) => {
    const id = KEY_ID.exec(entry);
    if (id) {
      if (!isValidNoteKeyName(id[1] as string)) {
        throw malformed(`revoked[${i}] is a key ID with an invalid key name.`);
      }
      keyIds.add(`${id[1]}+${(id[2] as string).toLowerCase()}`);
      return;
    }
    let key: ParsedVerifierKey;
    try {
      key = parseVerifierKey(entry);
    } catch (err) {
      throw malformed(
        `revoked[${i}] is neither a key ID (name+hash8) nor a valid verifier key: ${(err as Error).message}`,
      );
    }
    if (key.keyType !== NOTE_KEY_TYPE_ED25519 && key.keyType !== NOTE_KEY_TYPE_COSIGNATURE_V1) {
      throw malformed(`revoked[${i}] has an unsupported key type.`);
    }
    publicKeys.add(toHex(key.publicKey));
    keyIds.add(noteKeyId(key));
  });
  const index: RevocationIndex = {
    covers: (key) => publicKeys.has(toHex(key.publicKey)) || keyIds.has(noteKeyId(key)),
    coversKeyId: (keyid) => {
      const id = KEY_ID.exec(keyid);
      return id !== null && keyIds.has(`${id[1]}+${(id[2] as string).toLowerCase()}`);
    },
  };
  revocationCache.set(document, index);
  return index;
}
