/**
 * The release pipeline's JSON API, mounted by the server under `/api/v1`. Every input has a
 * TypeBox schema (Fastify validates it, and the OpenAPI document at /api/docs is generated from
 * it); writes need a bearer token of the right role; reads are public.
 *
 *   PUT  /artifacts/:sha256?size=N          vendor: stream an artifact in (stored by digest)
 *   GET  /artifacts/:sha256                 download an artifact
 *   POST /releases                          vendor: {release, head?} envelopes
 *   GET  /releases[?channel&status]         list
 *   GET  /releases/:sha256                  one release: status, jobs, reviews, rebuilds, report digest
 *   GET  /releases/:sha256/report           the findings report (the bytes reviewers sign)
 *   POST /releases/:sha256/reviews          reviewer: {review} envelope
 *   POST /releases/:sha256/rebuilds         rebuilder: {rebuild} envelope (GOOD, BAD, FAIL, UNKNOWN)
 *   GET  /releases/:sha256/triage           reviewer: draft judgements of single findings
 *   PUT  /releases/:sha256/triage           reviewer: {finding, decision, justification}
 *   GET  /channels/:channel                 newest submitted and newest published
 *   GET  /channels/:channel/latest          newest published release (metadata)
 *   GET  /channels/:channel/bundle          its bundle, proved against the newest cosigned checkpoint
 *   POST /channels/:channel/head            vendor: a fresh head for a submitted release
 *   GET  /policy                            the signed trust policy
 */
import { type Static, Type } from "@sinclair/typebox";
import type { FastifyInstance, FastifyRequest } from "fastify";
import {
  type Envelope,
  openRebuild,
  openRelease,
  openReview,
  parseEnvelope,
  type RebuildPredicate,
  type ReviewPredicate,
} from "../attest/index.js";
import { CrosscheckError } from "../errors/index.js";
import { serializeBundle } from "../verify/index.js";
import { rfc3339 } from "./context.js";
import type { ReleaseService } from "./service.js";
import type { RebuildRow, ReleaseRow, ReviewRow, Role } from "./storage/index.js";

export interface ReleaseRoutesOptions {
  service: ReleaseService;
  /**
   * Who the request is (bearer token or session), if its role is one of `roles` (admin passes
   * all); throws E_UNAUTHORIZED / E_FORBIDDEN otherwise.
   */
  authorize: (
    request: FastifyRequest,
    roles: readonly Role[],
  ) => Promise<{ role: string; name: string }>;
  /** Route config applied to writes (rate limit). */
  writeConfig?: Record<string, unknown>;
}

const Sha256 = Type.String({ pattern: "^[0-9a-f]{64}$", description: "hex SHA-256" });
const ChannelName = Type.Union(
  ["product", "sigdb", "rules", "dictionary"].map((c) => Type.Literal(c)),
  { description: "release channel" },
);
const EnvelopeSchema = Type.Object(
  {
    payloadType: Type.String({ maxLength: 256 }),
    payload: Type.String({ maxLength: 1 << 20 }),
    signatures: Type.Array(
      Type.Object({
        keyid: Type.String({ maxLength: 512 }),
        sig: Type.String({ maxLength: 4096 }),
      }),
      { minItems: 0, maxItems: 32 },
    ),
  },
  { description: "a DSSE envelope" },
);
const ErrorSchema = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String() }),
});
const ReleaseSummary = Type.Object({
  envelopeSha256: Sha256,
  channel: Type.String(),
  version: Type.String(),
  status: Type.String(),
  logIndex: Type.Integer(),
  submittedAt: Type.String(),
  publishedAt: Type.Union([Type.String(), Type.Null()]),
  reportSha256: Type.Union([Type.String(), Type.Null()]),
  artifacts: Type.Array(
    Type.Object({ name: Type.String(), size: Type.Integer(), sha256: Type.String() }),
  ),
});
const errors = {
  400: ErrorSchema,
  401: ErrorSchema,
  403: ErrorSchema,
  404: ErrorSchema,
  409: ErrorSchema,
};

type ShaParams = { Params: Static<typeof ShaParamsSchema> };
const ShaParamsSchema = Type.Object({ sha256: Sha256 });
const ChannelParamsSchema = Type.Object({ channel: ChannelName });
type ChannelParams = { Params: { channel: string } };

function summary(row: ReleaseRow): Static<typeof ReleaseSummary> {
  const predicate = openRelease(parseEnvelope(row.envelope), []).predicate;
  return {
    envelopeSha256: row.envelopeSha256,
    channel: row.channel,
    version: row.version,
    status: row.status,
    logIndex: row.logIndex,
    submittedAt: row.submittedAt,
    publishedAt: row.publishedAt,
    reportSha256: row.reportSha256,
    artifacts: predicate.artifacts.map((a) => ({ name: a.name, size: a.size, sha256: a.sha256 })),
  };
}

const envelope = (value: unknown): Envelope => parseEnvelope(JSON.stringify(value));

/** A stored verdict as the portal shows it: who, what, why (its signature was checked on entry). */
function verdictOf(row: ReviewRow) {
  const p: ReviewPredicate = openReview(parseEnvelope(row.envelope), []).predicate;
  return {
    organization: row.organization,
    reviewer: row.reviewerKeyid,
    reviewerName: p.verifier.reviewer,
    verdict: row.verdict,
    timeVerified: p.timeVerified,
    comment: p.comment,
    triage: p.triage ?? [],
    envelopeSha256: row.envelopeSha256,
    logIndex: row.logIndex,
  };
}

/** A stored rebuild statement as the portal shows it (its signature was checked on entry). */
function rebuildOf(row: RebuildRow) {
  const p: RebuildPredicate = openRebuild(parseEnvelope(row.envelope), []).predicate;
  return {
    organization: row.organization,
    rebuilder: row.rebuilderKeyid,
    builder: p.rebuilder.builder,
    status: row.status,
    timeFinished: p.timeFinished,
    reason: p.reason,
    source: p.source,
    artifacts: p.artifacts,
    differences: p.differences,
    environment: p.environment,
    log: p.log,
    envelopeSha256: row.envelopeSha256,
    logIndex: row.logIndex,
  };
}

const TriageBody = Type.Object({
  finding: Type.String({ minLength: 1, maxLength: 512 }),
  decision: Type.Union([Type.Literal("accept"), Type.Literal("reject")]),
  justification: Type.String({ maxLength: 4096 }),
});

export async function releaseRoutes(
  app: FastifyInstance,
  options: ReleaseRoutesOptions,
): Promise<void> {
  const { service, authorize } = options;
  const config = options.writeConfig ?? {};
  const store = service.store;

  // Artifact bodies are streamed through, never buffered.
  app.addContentTypeParser("application/octet-stream", (_request, payload, done) =>
    done(null, payload),
  );

  app.put<ShaParams & { Querystring: { size: number } }>(
    "/artifacts/:sha256",
    {
      config,
      onRequest: (request) => authorize(request, ["vendor"]),
      schema: {
        summary: "Upload an artifact (vendor). Body: the bytes, application/octet-stream.",
        tags: ["artifacts"],
        params: ShaParamsSchema,
        querystring: Type.Object({ size: Type.Integer({ minimum: 0 }) }),
        response: {
          200: Type.Object({ sha256: Sha256, size: Type.Integer(), stored: Type.Boolean() }),
          ...errors,
        },
      },
    },
    async (request) => {
      const body = request.body as NodeJS.ReadableStream | undefined;
      if (!body || typeof (body as { pipe?: unknown }).pipe !== "function") {
        throw new CrosscheckError("E_MEDIA_TYPE", "Send the artifact as application/octet-stream.");
      }
      const declared = Number(request.headers["content-length"] ?? Number.NaN);
      if (Number.isFinite(declared) && declared !== request.query.size) {
        throw new CrosscheckError(
          "E_ARTIFACT_SIZE",
          `The body is ${declared} bytes, not the announced ${request.query.size}.`,
        );
      }
      const { sha256 } = request.params;
      const { stored } = await service.ctx.artifacts.put(
        sha256,
        request.query.size,
        body as import("node:stream").Readable,
      );
      return { sha256, size: request.query.size, stored };
    },
  );

  app.get<ShaParams>(
    "/artifacts/:sha256",
    {
      schema: {
        summary: "Download an artifact by digest.",
        tags: ["artifacts"],
        params: ShaParamsSchema,
      },
    },
    async (request, reply) => {
      const { stream, size } = service.ctx.artifacts.open(request.params.sha256);
      return reply
        .header("content-length", size)
        .header("cache-control", "public, max-age=31536000, immutable")
        .type("application/octet-stream")
        .send(stream);
    },
  );

  app.post<{ Body: { release: unknown; head?: unknown } }>(
    "/releases",
    {
      config,
      onRequest: (request) => authorize(request, ["vendor"]),
      bodyLimit: 4 << 20,
      schema: {
        summary: "Submit a signed release and its channel head (vendor).",
        tags: ["releases"],
        body: Type.Object({ release: EnvelopeSchema, head: Type.Optional(EnvelopeSchema) }),
        response: {
          200: Type.Object({ release: ReleaseSummary, duplicate: Type.Boolean() }),
          ...errors,
        },
      },
    },
    async (request) => {
      const { release, head } = request.body;
      const result = await service.submit(envelope(release), head ? envelope(head) : undefined);
      return { release: summary(result.release), duplicate: result.duplicate };
    },
  );

  app.get<{ Querystring: { channel?: string; status?: string; before?: number; limit?: number } }>(
    "/releases",
    {
      schema: {
        summary:
          "List releases, newest first, a page at a time: pass `next` from one answer as `before` to get the page after it.",
        tags: ["releases"],
        querystring: Type.Object({
          channel: Type.Optional(ChannelName),
          status: Type.Optional(
            Type.Union(
              ["analyzing", "in-review", "published", "rejected"].map((s) => Type.Literal(s)),
            ),
          ),
          before: Type.Optional(Type.Integer({ minimum: 1, description: "a `next` cursor" })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
        }),
        response: {
          200: Type.Object({
            releases: Type.Array(ReleaseSummary),
            next: Type.Union([Type.Integer(), Type.Null()], {
              description: "cursor of the next page, null on the last",
            }),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 100;
      const rows = await store.listReleases({ ...request.query, limit });
      const last = rows[rows.length - 1];
      return { releases: rows.map(summary), next: rows.length === limit && last ? last.id : null };
    },
  );

  const found = async (sha256: string) => {
    const row = await store.release(sha256);
    if (!row)
      throw new CrosscheckError("E_RELEASE_NOT_FOUND", `No release ${sha256} was submitted here.`);
    return row;
  };

  app.get<ShaParams>(
    "/releases/:sha256",
    {
      schema: {
        summary: "One release: its envelope, status, analysis jobs and verdicts.",
        tags: ["releases"],
        params: ShaParamsSchema,
      },
    },
    async (request) => {
      const row = await found(request.params.sha256);
      const jobs = await store.jobs(row.id);
      const reviews = await store.reviews(row.id);
      const rebuilds = await store.rebuilds(row.id);
      return {
        release: summary(row),
        envelope: JSON.parse(row.envelope) as unknown,
        jobs: jobs.map((j) => ({
          analyzer: j.analyzer,
          status: j.status,
          attempts: j.attempts,
          reportSha256: j.reportSha256,
          error: j.error,
        })),
        predicate: openRelease(parseEnvelope(row.envelope), []).predicate,
        reviews: reviews.map(verdictOf),
        rebuilds: rebuilds.map(rebuildOf),
      };
    },
  );

  app.get<ShaParams>(
    "/releases/:sha256/triage",
    {
      onRequest: (request) => authorize(request, ["reviewer"]),
      schema: {
        summary:
          "Reviewers' draft judgements of single findings (reviewer). The judgements that count are the ones signed into verdicts.",
        tags: ["reviews"],
        params: ShaParamsSchema,
      },
    },
    async (request) => {
      const row = await found(request.params.sha256);
      const drafts = await store.triage(row.id);
      return {
        triage: drafts.map((t) => ({
          finding: t.finding,
          author: t.author,
          decision: t.decision,
          justification: t.justification,
          updatedAt: t.updatedAt,
        })),
      };
    },
  );

  // Who wrote, found before the body is validated (so a refused caller learns nothing of it).
  const writers = new WeakMap<FastifyRequest, { role: string; name: string }>();
  app.put<ShaParams & { Body: Static<typeof TriageBody> }>(
    "/releases/:sha256/triage",
    {
      config,
      onRequest: async (request) => {
        writers.set(request, await authorize(request, ["reviewer"]));
      },
      schema: {
        summary:
          "Record your judgement of one finding while reviewing (reviewer): accept it with a justification, or reject it.",
        tags: ["reviews"],
        params: ShaParamsSchema,
        body: TriageBody,
      },
    },
    async (request) => {
      const who = writers.get(request) as { role: string; name: string };
      const row = await found(request.params.sha256);
      const { finding, decision, justification } = request.body;
      if (row.status !== "in-review") {
        throw new CrosscheckError(
          "E_RELEASE_CLOSED",
          `The release is ${row.status}; findings are judged while it is in review.`,
        );
      }
      const ids = (JSON.parse(row.report ?? "{}") as { findings?: { id: string }[] }).findings;
      if (!ids?.some((f) => f.id === finding)) {
        throw new CrosscheckError(
          "E_NOT_FOUND",
          `The release's report has no finding ${JSON.stringify(finding)}.`,
        );
      }
      if (decision === "accept" && justification.trim() === "") {
        throw new CrosscheckError(
          "E_INVALID_INPUT",
          "Accepting a finding needs a justification: say why it is acceptable.",
        );
      }
      await store.putTriage({
        releaseId: row.id,
        finding,
        author: who.name,
        decision,
        justification,
        updatedAt: rfc3339(new Date()),
      });
      return { finding, author: who.name, decision, justification };
    },
  );

  app.get<ShaParams>(
    "/releases/:sha256/report",
    {
      schema: {
        summary: "The release's findings report: the exact bytes whose SHA-256 verdicts name.",
        tags: ["releases"],
        params: ShaParamsSchema,
      },
    },
    async (request, reply) => {
      const row = await found(request.params.sha256);
      if (!row.report) {
        throw new CrosscheckError(
          "E_ANALYSIS_PENDING",
          "The release is still being analysed; its report is not ready.",
        );
      }
      return reply.type("application/json").send(row.report);
    },
  );

  app.post<ShaParams & { Body: { review: unknown } }>(
    "/releases/:sha256/reviews",
    {
      config,
      onRequest: (request) => authorize(request, ["reviewer"]),
      schema: {
        summary: "Submit a reviewer's signed verdict (reviewer).",
        tags: ["reviews"],
        params: ShaParamsSchema,
        body: Type.Object({ review: EnvelopeSchema }),
        response: { 200: Type.Object({ release: ReleaseSummary }), ...errors },
      },
    },
    async (request) => {
      const row = await service.review(request.params.sha256, envelope(request.body.review));
      return { release: summary(row) };
    },
  );

  app.post<ShaParams & { Body: { rebuild: unknown } }>(
    "/releases/:sha256/rebuilds",
    {
      config,
      onRequest: (request) => authorize(request, ["rebuilder"]),
      schema: {
        summary:
          "Submit a rebuilder's signed rebuild statement (rebuilder): GOOD, BAD, FAIL or UNKNOWN. A BAD from a policy rebuilder vetoes the release.",
        tags: ["rebuilds"],
        params: ShaParamsSchema,
        body: Type.Object({ rebuild: EnvelopeSchema }),
        response: {
          200: Type.Object({
            release: ReleaseSummary,
            rebuild: Type.Object({
              envelopeSha256: Sha256,
              organization: Type.String(),
              status: Type.String(),
              logIndex: Type.Integer(),
            }),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const result = await service.rebuild(request.params.sha256, envelope(request.body.rebuild));
      return {
        release: summary(result.release),
        rebuild: {
          envelopeSha256: result.rebuild.envelopeSha256,
          organization: result.rebuild.organization,
          status: result.rebuild.status,
          logIndex: result.rebuild.logIndex,
        },
      };
    },
  );

  app.get<ChannelParams>(
    "/channels/:channel",
    {
      schema: {
        summary: "The channel's newest submitted and newest published release.",
        tags: ["channels"],
        params: ChannelParamsSchema,
      },
    },
    async (request) => {
      const { channel } = request.params;
      const newest = await store.newestRelease(channel);
      const published = await store.latestPublished(channel);
      return {
        channel,
        newestSubmitted: newest ? summary(newest) : null,
        latestPublished: published ? summary(published) : null,
      };
    },
  );

  app.get<ChannelParams>(
    "/channels/:channel/latest",
    {
      schema: {
        summary: "The channel's newest published release.",
        tags: ["channels"],
        params: ChannelParamsSchema,
        response: { 200: ReleaseSummary, ...errors },
      },
    },
    async (request) => summary(await service.latest(request.params.channel)),
  );

  app.get<ChannelParams>(
    "/channels/:channel/bundle",
    {
      schema: {
        summary:
          "The bundle of the newest published release, proved against the newest cosigned checkpoint.",
        tags: ["channels"],
        params: ChannelParamsSchema,
      },
    },
    async (request, reply) => {
      const bundle = await service.bundle(request.params.channel);
      return reply
        .header("cache-control", "no-store")
        .type("application/json")
        .send(serializeBundle(bundle));
    },
  );

  app.post<ChannelParams & { Body: { head: unknown } }>(
    "/channels/:channel/head",
    {
      config,
      onRequest: (request) => authorize(request, ["vendor"]),
      schema: {
        summary: "Submit a fresh channel head for a submitted release (vendor).",
        tags: ["channels"],
        params: ChannelParamsSchema,
        body: Type.Object({ head: EnvelopeSchema }),
      },
    },
    async (request) => {
      await service.submitHead(envelope(request.body.head));
      return { ok: true };
    },
  );

  app.get(
    "/policy",
    { schema: { summary: "The signed trust policy this service enforces.", tags: ["policy"] } },
    async () => service.ctx.policy.envelope,
  );
}
