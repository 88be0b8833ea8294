/**
 * The bundle: one JSON file holding everything an offline endpoint needs to accept a release.
 *
 *   {
 *     "mediaType": "application/vnd.crosscheck.bundle.v1+json",
 *     "release": LoggedEnvelope,          vendor-signed release statement
 *     "head":    LoggedEnvelope,          vendor-signed channel head naming that release (Decision 6)
 *     "reviews": LoggedEnvelope[],        reviewer verdicts
 *     "rebuilds": LoggedEnvelope[],       optional: rebuilders' statements (GOOD, BAD, …) of the
 *                                         release; a product release needs the policy's r of them
 *     "checkpoint": "<signed note>"       the log's checkpoint with witness cosignatures
 *   }
 *   LoggedEnvelope = { "envelope": DSSE envelope, "index": log index, "proof": [base64 hashes] }
 *
 * Each envelope's log entry is `envelopeLogEntry(envelope)`; its proof is the RFC 6962 inclusion
 * proof of that entry under the checkpoint. Bundles are re-proved when served (Decision 7), so
 * the checkpoint is the newest cosigned one.
 */
import { type Static, Type } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { schemaCheck } from "../attest/index.js";
import { utf8Decode } from "../crypto/index.js";
import { CrosscheckError } from "../errors/index.js";

export const BUNDLE_MEDIA_TYPE = "application/vnd.crosscheck.bundle.v1+json";
/** Endless-data defence: a bundle larger than this is refused before parsing (TUF's rule). */
export const MAX_BUNDLE_SIZE = 4 << 20;
const MAX_REVIEWS = 64;
/** Rebuild statements one bundle carries at most (the service bundles BAD ones first). */
export const MAX_BUNDLE_REBUILDS = 64;

const Base64 = Type.String({ pattern: "^[A-Za-z0-9+/]*={0,2}$", maxLength: 1 << 20 });

const EnvelopeSchema = Type.Object(
  {
    payloadType: Type.String({ maxLength: 256 }),
    payload: Base64,
    signatures: Type.Array(
      Type.Object(
        { keyid: Type.Optional(Type.String({ maxLength: 512 })), sig: Base64 },
        { additionalProperties: false },
      ),
      { maxItems: 32 },
    ),
  },
  { additionalProperties: false },
);

const LoggedEnvelopeSchema = Type.Object(
  {
    envelope: EnvelopeSchema,
    index: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
    proof: Type.Array(Type.String({ pattern: "^[A-Za-z0-9+/]{43}=$" }), { maxItems: 64 }),
  },
  { additionalProperties: false },
);

export const BundleSchema = Type.Object(
  {
    mediaType: Type.Literal(BUNDLE_MEDIA_TYPE),
    release: LoggedEnvelopeSchema,
    head: LoggedEnvelopeSchema,
    reviews: Type.Array(LoggedEnvelopeSchema, { maxItems: MAX_REVIEWS }),
    // Optional so that bundles of releases nobody rebuilt keep their shape.
    rebuilds: Type.Optional(Type.Array(LoggedEnvelopeSchema, { maxItems: MAX_BUNDLE_REBUILDS })),
    checkpoint: Type.String({ maxLength: 1 << 20 }),
  },
  { additionalProperties: false },
);

export type Bundle = Static<typeof BundleSchema>;
export type LoggedEnvelope = Static<typeof LoggedEnvelopeSchema>;

export function parseBundle(input: string | Uint8Array): Bundle {
  const size = typeof input === "string" ? input.length : input.byteLength;
  if (size > MAX_BUNDLE_SIZE) {
    throw new CrosscheckError(
      "E_BUNDLE_TOO_LARGE",
      `The bundle is larger than ${MAX_BUNDLE_SIZE} bytes; refusing it (endless-data defence).`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(typeof input === "string" ? input : utf8Decode(input));
  } catch {
    throw new CrosscheckError("E_BUNDLE_MALFORMED", "The bundle is not valid JSON.");
  }
  if (!schemaCheck(BundleSchema)(value)) {
    const first = Value.Errors(BundleSchema, value).First();
    throw new CrosscheckError(
      "E_BUNDLE_MALFORMED",
      `The bundle is malformed at ${first?.path || "/"}: ${first?.message ?? "unexpected shape"}.`,
    );
  }
  return value;
}

export function serializeBundle(bundle: Bundle): string {
  return `${JSON.stringify(bundle, null, 2)}\n`;
}
