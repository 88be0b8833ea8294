/**
 * The rebuild predicate (rebuilder-signed): one rebuilder's attempt to rebuild one release from
 * the source it names, and what came out. Status speaks rebuilderd's language
 * (https://github.com/kpcyrd/rebuilderd): GOOD (every artifact rebuilt bit for bit), BAD (it
 * built, and some artifact differs), FAIL (it did not build, or ran out of time), UNKNOWN (the
 * recipe or source could not be used at all).
 *
 *   rebuilder     {id: the rebuilding organisation as the policy names it, builder: who or what built}
 *   timeFinished  RFC 3339 UTC
 *   release       {envelopeSha256, channel, version}: the release envelope rebuilt
 *   source        {repository, commit}: what was checked out (the release's own source)
 *   recipeSha256  SHA-256 of the release's `build.recipe` text (UTF-8), so the recipe followed is named
 *   status        GOOD | BAD | FAIL | UNKNOWN
 *   artifacts     [{name, sha256, rebuiltSha256}]: the released digest and the rebuilt one (null
 *                 when nothing was built); names unique; the statement's subjects are exactly
 *                 these names with the released digests
 *   differences   [{artifact, member, kind, detail}]: what differs, for BAD (archive members with
 *                 their metadata, or the file itself when it is no archive); at most 256
 *   reason        one paragraph: why BAD, FAIL or UNKNOWN ("" when GOOD)
 *   environment   the facts of the build: platform, kernel, SOURCE_DATE_EPOCH, time zone, locale,
 *                 umask, whether the network and the processes were isolated, the time limit and
 *                 the time taken, tool versions
 *   log           {sha256, size} of the build log the rebuilder keeps
 *
 * Consistency is checked beyond the schema: GOOD needs every rebuilt digest equal to the released
 * one and no differences; BAD needs at least one artifact whose rebuilt digest differs.
 */
import { type Static, Type } from "@sinclair/typebox";
import {
  Channel,
  CLOSED,
  checkSchema,
  checkTimestamp,
  checkUniqueNames,
  Name,
  predicateInvalid,
  Sha256Hex,
  Text,
  Timestamp,
  Version,
} from "./schema.js";
import { artifactSubjects, checkSubjects, predicateFormat, type Subject } from "./statement.js";

export const REBUILD_PREDICATE_TYPE = "https://crosscheck.dev/attestation/rebuild/v1";

export const REBUILD_STATUSES = ["GOOD", "BAD", "FAIL", "UNKNOWN"] as const;
export type RebuildStatus = (typeof REBUILD_STATUSES)[number];

/** Most differences one statement lists; a rebuilder's report holds the rest. */
export const MAX_REBUILD_DIFFERENCES = 256;

const Count = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

const Difference = Type.Object(
  {
    artifact: Name(256, "the artifact's file name"),
    member: Text(4096, 'the archive member that differs, or "" for the artifact as a whole'),
    kind: Type.Union(
      [
        Type.Literal("content"),
        Type.Literal("metadata"),
        Type.Literal("only-released"),
        Type.Literal("only-rebuilt"),
        Type.Literal("order"),
        Type.Literal("container"),
      ],
      { description: "content, metadata, only-released, only-rebuilt, order or container" },
    ),
    detail: Text(4096, "what differs, released first, then rebuilt"),
  },
  CLOSED,
);

const Environment = Type.Object(
  {
    platform: Name(64, "the operating system, e.g. linux"),
    arch: Name(64, "the processor architecture, e.g. x64"),
    kernel: Name(256, "the kernel release"),
    sourceDateEpoch: Type.Union([Count, Type.Null()], {
      description: "SOURCE_DATE_EPOCH given to the build (the commit's time), or null",
    }),
    timezone: Name(64, "TZ given to the build"),
    locale: Name(64, "LC_ALL given to the build"),
    umask: Type.String({ pattern: "^0[0-7]{3}$", description: "the umask, e.g. 0022" }),
    network: Type.Union(
      [Type.Literal("isolated"), Type.Literal("allowed"), Type.Literal("not-isolated")],
      {
        description:
          "isolated (no network), allowed (the recipe asked for it) or not-isolated (it asked for none, and isolation was impossible)",
      },
    ),
    processes: Type.Union([Type.Literal("pid-namespace"), Type.Literal("process-group")], {
      description: "how the build's processes were contained and ended",
    }),
    timeoutSeconds: Type.Integer({ minimum: 1, maximum: 7 * 86400 }),
    durationMs: Count,
    tools: Type.Array(Type.Object({ name: Name(128), version: Text(512) }, CLOSED), {
      maxItems: 32,
      description: "versions of the tools the recipe names",
    }),
  },
  CLOSED,
);

export const RebuildPredicateSchema = Type.Object(
  {
    rebuilder: Type.Object(
      {
        id: Name(256, "the rebuilding organisation's id, as the trust policy names it"),
        builder: Name(256, "the person or system that rebuilt"),
      },
      CLOSED,
    ),
    timeFinished: Timestamp,
    release: Type.Object({ envelopeSha256: Sha256Hex, channel: Channel, version: Version }, CLOSED),
    source: Type.Object(
      {
        repository: Name(2048, "the source repository's URL"),
        commit: Type.String({
          pattern: "^([0-9a-f]{40}|[0-9a-f]{64})$",
          description: "a git commit id: 40 or 64 lowercase hex digits",
        }),
      },
      CLOSED,
    ),
    recipeSha256: Sha256Hex,
    status: Type.Union(
      REBUILD_STATUSES.map((s) => Type.Literal(s)),
      { description: "GOOD, BAD, FAIL or UNKNOWN" },
    ),
    artifacts: Type.Array(
      Type.Object(
        {
          name: Name(256, "the artifact's file name"),
          sha256: Sha256Hex,
          rebuiltSha256: Type.Union([Sha256Hex, Type.Null()], {
            description: "the rebuilt file's SHA-256, or null when none was built",
          }),
        },
        CLOSED,
      ),
      { minItems: 1, maxItems: 4096, description: "the release's artifacts, names unique" },
    ),
    differences: Type.Array(Difference, { maxItems: MAX_REBUILD_DIFFERENCES }),
    reason: Text(4096, "why the status is what it is"),
    environment: Environment,
    log: Type.Object({ sha256: Sha256Hex, size: Count }, CLOSED),
  },
  {
    ...CLOSED,
    $id: REBUILD_PREDICATE_TYPE,
    title: "Crosscheck rebuild v1",
    description:
      "A rebuilder's independent rebuild of one release from its named source: GOOD, BAD, FAIL or UNKNOWN, with the rebuilt digests and what differs.",
  },
);

export type RebuildPredicate = Static<typeof RebuildPredicateSchema>;
export type RebuildDifference = Static<typeof Difference>;
export type RebuildEnvironment = Static<typeof Environment>;

/** The statement subjects of a rebuild: the released artifacts it rebuilt. */
export function rebuildSubjects(predicate: RebuildPredicate): Subject[] {
  return artifactSubjects(predicate.artifacts);
}

/**
 * Validates a rebuild predicate and the consistency of its status; with `subjects`, also that
 * they are exactly its released artifacts. Throws `E_PREDICATE_INVALID` or `E_SUBJECT_MISMATCH`.
 */
export function parseRebuildPredicate(
  value: unknown,
  subjects?: readonly Subject[],
): RebuildPredicate {
  const what = "rebuild predicate";
  const predicate = checkSchema(RebuildPredicateSchema, value, what);
  checkUniqueNames(what, "/artifacts", predicate.artifacts);
  checkTimestamp(what, "/timeFinished", predicate.timeFinished);
  const known = new Set(predicate.artifacts.map((a) => a.name));
  for (const [i, d] of predicate.differences.entries()) {
    if (!known.has(d.artifact)) {
      throw predicateInvalid(
        what,
        `/differences/${i}/artifact`,
        `${JSON.stringify(d.artifact)} is not one of the rebuilt artifacts.`,
      );
    }
  }
  const differing = predicate.artifacts.findIndex((a) => a.rebuiltSha256 !== a.sha256);
  if (predicate.status === "GOOD") {
    if (differing >= 0) {
      throw predicateInvalid(
        what,
        `/artifacts/${differing}/rebuiltSha256`,
        "a GOOD rebuild reproduces every artifact bit for bit.",
      );
    }
    if (predicate.differences.length > 0) {
      throw predicateInvalid(what, "/differences", "a GOOD rebuild lists no differences.");
    }
  }
  if (predicate.status === "BAD" && differing < 0) {
    throw predicateInvalid(
      what,
      "/status",
      "a BAD rebuild has at least one artifact whose rebuilt digest differs.",
    );
  }
  if (subjects) checkSubjects("rebuild", subjects, rebuildSubjects(predicate));
  return predicate;
}

const rebuildFormat = predicateFormat(
  REBUILD_PREDICATE_TYPE,
  parseRebuildPredicate,
  rebuildSubjects,
);

/** The unsigned statement of a rebuild (validated): what a rebuilder signs. */
export const rebuildStatement = rebuildFormat.statement;

/** Validates the predicate and signs it as an in-toto statement about the released artifacts. */
export const signRebuild = rebuildFormat.sign;

/** Opens a rebuild envelope; which keys verified is returned, not judged. */
export const openRebuild = rebuildFormat.open;
