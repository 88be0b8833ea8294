/**
 * The gateway over HTTP (Decision 15), as a Fastify plugin mounted at the root:
 *
 *   POST /v1/events        tenant: JSON array or NDJSON batch → {batch, forwarded, refused[]}
 *   POST /v1/logs          tenant: OTLP/HTTP logs, JSON or protobuf → ExportLogsServiceResponse
 *   POST /v1/samples       tenant: a file sample, streamed → {sha256, type, action}
 *   GET  /api/v1/gateway/status                    public: dictionary, regions, spool
 *   GET  /api/v1/gateway/batches[?tenant]          auditor, admin; a tenant sees its own
 *   GET  /api/v1/gateway/batches/:id               one batch with its decisions
 *   GET  /api/v1/gateway/quarantine                reviewer only: held samples
 *   GET  /api/v1/gateway/quarantine/:id/content    reviewer only: a held sample's bytes
 *   /gateway/log/…                                 the audit log's C2SP read API (no adds)
 *
 * Senders may give an `Idempotency-Key`: a retried batch is answered from the first one and never
 * forwarded twice. A full spool answers 429 with Retry-After (back-pressure, never a drop).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { CrosscheckError } from "../errors/index.js";
import { logRoutes } from "../log/index.js";
import type { TelemetryGateway } from "./gateway.js";
import { decodeBody, eventsFormatOf, parseEvents } from "./ingest-formats.js";
import {
  decodeLogsRequest,
  encodeLogsResponse,
  encodeOtlpStatus,
  otlpEncodingOf,
  toGatewayRecord,
} from "./otlp/index.js";
import type { InputRecord } from "./pipeline.js";

export interface Identity {
  role: string;
  name: string;
}

export interface GatewayRoutesOptions {
  gateway: TelemetryGateway;
  /** Who the bearer token belongs to, if its role is one of `roles` (admin passes all). */
  identify: (request: FastifyRequest, roles: readonly string[]) => Promise<Identity>;
  /** Route config applied to ingest (rate limit). */
  writeConfig?: Record<string, unknown>;
}

const SENDER_KEY = /^[A-Za-z0-9._:-]{1,128}$/;

export async function gatewayRoutes(
  app: FastifyInstance,
  options: GatewayRoutesOptions,
): Promise<void> {
  const { gateway, identify } = options;
  const limits = gateway.config.limits;
  // Held samples may be a customer's documents: readable by the reviewer role alone, not even by
  // an admin (least privilege; an admin can make a reviewer account, which is then on record).
  const reviewerOnly = async (request: FastifyRequest) => {
    const who = await identify(request, ["reviewer"]);
    if (who.role !== "reviewer") {
      throw new CrosscheckError(
        "E_FORBIDDEN",
        `${who.name} has role ${who.role}; quarantined samples are readable by reviewers only.`,
      );
    }
  };

  await app.register(async (ingest) => {
    // Bodies are bytes until we decide how to read them; samples stay a stream.
    ingest.removeAllContentTypeParsers();
    ingest.addContentTypeParser(
      [
        "application/json",
        "application/x-ndjson",
        "application/jsonl",
        "application/ndjson",
        "application/x-protobuf",
      ],
      { parseAs: "buffer", bodyLimit: limits.maxBatchBytes },
      (_request, body, done) => done(null, body),
    );
    ingest.addContentTypeParser("*", (_request, _payload, done) => done(null));

    const tenantOf = async (request: FastifyRequest) => {
      const who = await identify(request, ["tenant"]);
      const tenant = who.role === "tenant" ? who.name : headerTenant(request);
      return tenant;
    };

    ingest.post("/v1/events", { config: options.writeConfig }, async (request, reply) => {
      const tenant = await tenantOf(request);
      const format = eventsFormatOf(request.headers["content-type"]);
      const body = decodeBody(
        bodyBytes(request),
        header(request, "content-encoding"),
        limits.maxBatchBytes,
      );
      const { records } = parseEvents(body, format, limits.maxRecordsPerBatch);
      const result = await withBackPressure(reply, () =>
        gateway.ingest(tenant, records, { senderKey: senderKey(request) }),
      );
      return result;
    });

    ingest.post(
      "/v1/logs",
      { config: options.writeConfig, onSend: otlpErrorBody },
      async (request, reply) => {
        const tenant = await tenantOf(request);
        const encoding = otlpEncodingOf(request.headers["content-type"]);
        const body = decodeBody(
          bodyBytes(request),
          header(request, "content-encoding"),
          limits.maxBatchBytes,
        );
        const logs = decodeLogsRequest(body, encoding, { maxRecords: limits.maxRecordsPerBatch });
        const records: InputRecord[] = logs.map((log) => {
          const value = toGatewayRecord(log);
          return { value, raw: JSON.stringify(value) };
        });
        const result = await withBackPressure(reply, () =>
          gateway.ingest(tenant, records, { senderKey: senderKey(request) }),
        );
        const refused = result.refused.length;
        const message = refused
          ? result.refused
              .slice(0, 5)
              .map((r) => `record ${r.index}: ${r.code}`)
              .join("; ")
          : undefined;
        reply.type(encoding === "json" ? "application/json" : "application/x-protobuf");
        return Buffer.from(
          encodeLogsResponse({ rejectedLogRecords: refused, errorMessage: message }, encoding),
        );
      },
    );

    ingest.post("/v1/samples", { config: options.writeConfig }, async (request, reply) => {
      const tenant = await tenantOf(request);
      return withBackPressure(reply, () =>
        gateway.ingestSample(tenant, request.raw, { senderKey: senderKey(request) }),
      );
    });
  });

  app.get("/api/v1/gateway/status", async () => {
    const stats = await gateway.store.spoolStats();
    return {
      gateway: gateway.config.name,
      dictionary: gateway.dictionary.version() ?? null,
      regions: gateway.config.regions.map((r) => ({
        region: r.region,
        endpoints: r.endpoints.map((e) => e.url),
      })),
      tenants: [...gateway.config.tenants.values()].map((t) => ({
        name: t.name,
        region: t.region,
      })),
      spool: stats,
      auditLog: { origin: gateway.auditLog.origin, verifierKey: gateway.auditLog.verifierKey },
    };
  });

  app.get(
    "/api/v1/gateway/batches",
    async (
      request: FastifyRequest<{
        Querystring: { tenant?: string; before?: string; limit?: string };
      }>,
    ) => {
      const who = await identify(request, ["auditor", "tenant"]);
      const tenant = who.role === "tenant" ? who.name : request.query.tenant;
      const limit = Math.min(Math.max(Number(request.query.limit ?? 100) || 100, 1), 1000);
      const before = request.query.before ? Number(request.query.before) : undefined;
      return { batches: await gateway.store.batches({ tenant, limit, before }) };
    },
  );

  app.get(
    "/api/v1/gateway/batches/:id",
    async (request: FastifyRequest<{ Params: { id: string } }>) => {
      const who = await identify(request, ["auditor", "tenant"]);
      const batch = await gateway.store.batch(Number(request.params.id));
      if (!batch || (who.role === "tenant" && batch.tenant !== who.name)) {
        throw new CrosscheckError(
          "E_NOT_FOUND",
          `No batch ${request.params.id} is visible to you.`,
        );
      }
      return { batch, decisions: await gateway.store.decisions(batch.id) };
    },
  );

  app.get(
    "/api/v1/gateway/quarantine",
    async (request: FastifyRequest<{ Querystring: { tenant?: string } }>) => {
      await reviewerOnly(request);
      return {
        samples: await gateway.store.quarantine({ tenant: request.query.tenant, limit: 500 }),
      };
    },
  );

  app.get(
    "/api/v1/gateway/quarantine/:id/content",
    async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
      await reviewerOnly(request);
      const row = await gateway.store.quarantined(Number(request.params.id));
      if (!row)
        throw new CrosscheckError("E_NOT_FOUND", `No quarantined sample ${request.params.id}.`);
      const bytes = await gateway.quarantinedContent(row.sha256);
      reply
        .type("application/octet-stream")
        .header("content-disposition", `attachment; filename="${row.sha256}.bin"`)
        .header("x-content-type-options", "nosniff")
        .header("cache-control", "no-store");
      return bytes;
    },
  );

  await app.register(logRoutes, {
    prefix: "/gateway/log",
    log: gateway.auditLog,
    authorizeAdd: () => {
      throw new CrosscheckError("E_FORBIDDEN", "Only the gateway itself appends to its audit log.");
    },
  });
}

/**
 * OTLP/HTTP answers errors with a google.rpc.Status in the request's encoding (a protobuf exporter
 * cannot read our JSON error); the message keeps our code and sentence.
 */
async function otlpErrorBody(
  request: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
): Promise<unknown> {
  if (reply.statusCode < 400 || typeof payload !== "string") return payload;
  let message = payload;
  try {
    const { error } = JSON.parse(payload) as { error: { code: string; message: string } };
    message = `${error.code}: ${error.message}`;
  } catch {
    // not our error shape: pass its text on
  }
  const contentType = String(request.headers["content-type"] ?? "").toLowerCase();
  const encoding = contentType.startsWith("application/x-protobuf") ? "protobuf" : "json";
  reply.type(encoding === "json" ? "application/json" : "application/x-protobuf");
  return Buffer.from(encodeOtlpStatus(reply.statusCode, message, encoding));
}

/** An admin sending on a tenant's behalf names it; a tenant's token decides on its own. */
function headerTenant(request: FastifyRequest): string {
  const name = header(request, "x-crosscheck-tenant");
  if (!name) {
    throw new CrosscheckError(
      "E_TENANT_UNKNOWN",
      "An admin token sends on behalf of a tenant named in the X-Crosscheck-Tenant header.",
    );
  }
  return name;
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function bodyBytes(request: FastifyRequest): Buffer {
  const body = request.body;
  if (!Buffer.isBuffer(body) || body.length === 0) {
    throw new CrosscheckError("E_BODY_EMPTY", "The request has an empty body.");
  }
  return body;
}

function senderKey(request: FastifyRequest): string | undefined {
  const key = header(request, "idempotency-key");
  if (key === undefined) return undefined;
  if (!SENDER_KEY.test(key)) {
    throw new CrosscheckError(
      "E_IDEMPOTENCY_KEY",
      "Idempotency-Key must be 1 to 128 letters, digits or . _ : -",
    );
  }
  return key;
}

/** A full spool is back-pressure: 429 with Retry-After, nothing dropped. */
async function withBackPressure<T>(reply: FastifyReply, task: () => Promise<T>): Promise<T> {
  try {
    return await task();
  } catch (err) {
    if ((err as { code?: string }).code === "E_SPOOL_FULL") reply.header("retry-after", "5");
    throw err;
  }
}
