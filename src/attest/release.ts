/**
 * The release predicate (vendor-signed): one version of one channel, the exact artifacts it
 * consists of, where a product build comes from, the release it follows, and who it is for.
 *
 *   channel    product | sigdb | rules | dictionary
 *   version    dot-separated integers, increasing per channel (Decision 12; see ./version.ts)
 *   artifacts  [{name, size, sha256}], non-empty, unique names; the statement's subjects are
 *              exactly these (name and sha256)
 *   source     {repository, commit}   required for product, optional otherwise
 *   build      {recipe, builder?}     required for product, optional otherwise
 *   previous   {envelopeSha256} of the channel's previous release envelope, or null for its first
 *   audience   "everyone" or {region}: there is no way to address one customer (Decision 13), and
 *              every object is closed, so {"customer": …} does not validate
 *   published  RFC 3339 UTC, informational
 */
import { type Static, Type } from "@sinclair/typebox";
import { CrosscheckError } from "../errors/index.js";
import { isJsonObject } from "./json.js";
import {
  type Channel,
  CLOSED,
  checkSchema,
  checkTimestamp,
  checkUniqueNames,
  Name,
  Sha256Hex,
  schemaCheck,
  Text,
  Timestamp,
  Version,
} from "./schema.js";
import { artifactSubjects, checkSubjects, predicateFormat, type Subject } from "./statement.js";

export const RELEASE_PREDICATE_TYPE = "https://crosscheck.dev/attestation/release/v1";

const Artifact = Type.Object(
  {
    name: Name(256, "the artifact's file name"),
    size: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
    sha256: Sha256Hex,
  },
  CLOSED,
);

const Artifacts = Type.Array(Artifact, {
  minItems: 1,
  maxItems: 4096,
  description: "the release's artifacts, at least one, names unique",
});

const Source = Type.Object(
  {
    repository: Name(2048, "the source repository's URL"),
    commit: Type.String({
      pattern: "^([0-9a-f]{40}|[0-9a-f]{64})$",
      description: "a git commit id: 40 or 64 lowercase hex digits",
    }),
  },
  CLOSED,
);

const Build = Type.Object(
  {
    recipe: Text(65536, "how to rebuild the artifacts from the source"),
    builder: Type.Optional(Name(256, "the builder's name")),
  },
  CLOSED,
);

const Previous = Type.Union([Type.Null(), Type.Object({ envelopeSha256: Sha256Hex }, CLOSED)], {
  description:
    "null for the channel's first release, else {\"envelopeSha256\": the previous release envelope's digest}",
});

const Audience = Type.Union(
  [
    Type.Literal("everyone"),
    Type.Object(
      {
        region: Type.String({
          pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
          description: "a region named in the trust policy",
        }),
      },
      CLOSED,
    ),
  ],
  {
    description: '"everyone" or {"region": a region of the policy}; never a single customer',
  },
);

/** A product release: source and build are required, so anyone can rebuild it. */
export const ProductReleasePredicateSchema = Type.Object(
  {
    channel: Type.Literal("product"),
    version: Version,
    artifacts: Artifacts,
    source: Source,
    build: Build,
    previous: Previous,
    audience: Audience,
    published: Timestamp,
  },
  CLOSED,
);

/** A signature database, rule set or telemetry dictionary: source and build are optional. */
export const DataReleasePredicateSchema = Type.Object(
  {
    channel: Type.Union(
      [Type.Literal("sigdb"), Type.Literal("rules"), Type.Literal("dictionary")],
      {
        description: "release channel: product, sigdb, rules or dictionary",
      },
    ),
    version: Version,
    artifacts: Artifacts,
    source: Type.Optional(Source),
    build: Type.Optional(Build),
    previous: Previous,
    audience: Audience,
    published: Timestamp,
  },
  CLOSED,
);

export const ReleasePredicateSchema = Type.Union(
  [ProductReleasePredicateSchema, DataReleasePredicateSchema],
  {
    $id: RELEASE_PREDICATE_TYPE,
    title: "Crosscheck release v1",
    description:
      "A vendor-signed release: one version of one channel, its artifacts, its origin, the release it follows and its audience.",
  },
);

export type ReleasePredicate = Static<typeof ReleasePredicateSchema>;
export type ReleaseChannel = Channel;

/** The statement subjects of a release: its artifacts' names and digests. */
export function releaseSubjects(predicate: ReleasePredicate): Subject[] {
  return artifactSubjects(predicate.artifacts);
}

/**
 * Validates a release predicate; with `subjects`, also that they are exactly its artifacts.
 * Throws `E_PREDICATE_INVALID` (path and reason) or `E_SUBJECT_MISMATCH`.
 */
export function parseReleasePredicate(
  value: unknown,
  subjects?: readonly Subject[],
): ReleasePredicate {
  const what = "release predicate";
  if (isJsonObject(value)) checkAudience(value.audience);
  if (!schemaCheck(ReleasePredicateSchema)(value)) {
    // Report against the variant the channel selects: "Expected union value" helps nobody.
    const variant =
      isJsonObject(value) && value.channel === "product"
        ? ProductReleasePredicateSchema
        : DataReleasePredicateSchema;
    checkSchema(isJsonObject(value) ? variant : ReleasePredicateSchema, value, what);
  }
  const predicate = value as ReleasePredicate;
  checkUniqueNames(what, "/artifacts", predicate.artifacts);
  checkTimestamp(what, "/published", predicate.published);
  if (subjects) checkSubjects("release", subjects, releaseSubjects(predicate));
  return predicate;
}

const releaseFormat = predicateFormat(
  RELEASE_PREDICATE_TYPE,
  parseReleasePredicate,
  releaseSubjects,
);

/** Validates the predicate and signs it as an in-toto statement whose subjects are its artifacts. */
export const signRelease = releaseFormat.sign;

/** The unsigned statement (validated): what a signer signs, in a page or the CLI. */
export const releaseStatement = releaseFormat.statement;

/**
 * Opens a release envelope: verifies its signatures against `keys`, checks payload and predicate
 * types, validates the predicate and its subjects. Which keys verified is returned, not judged.
 */
export const openRelease = releaseFormat.open;

/**
 * Decision 13: a release goes to everyone or to a region, never to one customer. Anything else
 * in `audience` is refused with its own code, E_AUDIENCE, so that a targeted release stands out
 * from a merely malformed one.
 */
function checkAudience(audience: unknown): void {
  if (audience === undefined || audience === "everyone") return;
  const keys = isJsonObject(audience) ? Object.keys(audience) : [];
  if (
    keys.length === 1 &&
    keys[0] === "region" &&
    typeof (audience as { region: unknown }).region === "string"
  ) {
    return;
  }
  throw new CrosscheckError(
    "E_AUDIENCE",
    'The release names an audience other than "everyone" or {"region": …}: releases are never addressed to a single customer or to anything the policy does not declare.',
  );
}
