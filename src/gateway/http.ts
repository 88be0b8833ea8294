/**
 * The gateway over HTTP (Decision 15), as a Fastify plugin mounted at the root:
 *
 *   POST /v1/events        tenant: JSON array or NDJSON batch → {batch, forwarded, refused[]}
 *   POST /v1/logs          tenant: OTLP/HTTP logs, JSON or protobuf → ExportLogsServiceResponse
 *   POST /v1/samples       tenant: a file sample, streamed → {sha256, type, action}
 *   GET  /api/v1/gateway/status                    public: dictionary, regions, spool
 *   GET  /api/v1/gateway/stats[?days=14]           public: daily counts, never record contents
 *   GET  /api/v1/gateway/dictionary                public: the data dictionary in force
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
import type { CompiledDictionary, FieldSpec } from "../dictionary/index.js";
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
import { addCounts, type Counts, type GatewayStatistics, zeroCounts } from "./storage/index.js";

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
const DEFAULT_DAYS = 14;
const MAX_DAYS = 90;
/** Public statistics are recomputed at most this often, however many ask. */
const STATS_TTL_MS = 2000;

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

  // Public, aggregate only: counts per day, event type, entity type, tenant, region and the
  // address bytes went to. Tenants and regions are already public (status); event types are the
  // dictionary's (undeclared names are bucketed when counted); nothing of a record is shown.
  const statsCache = new Map<number, { until: number; report: Promise<StatisticsReport> }>();
  app.get(
    "/api/v1/gateway/stats",
    async (request: FastifyRequest<{ Querystring: { days?: string } }>, reply) => {
      const days = daysOf(request.query.days);
      const now = Date.now();
      let cached = statsCache.get(days);
      if (!cached || cached.until <= now) {
        const report = gateway
          .statistics(days)
          .then(({ from, to, statistics }) => statisticsReport(gateway, from, to, statistics));
        const entry = { until: now + STATS_TTL_MS, report };
        statsCache.set(days, entry);
        // A failure is not kept: the next request asks the database again.
        report.catch(() => {
          if (statsCache.get(days) === entry) statsCache.delete(days);
        });
        cached = entry;
      }
      reply.header("cache-control", `public, max-age=${STATS_TTL_MS / 1000}`);
      return cached.report;
    },
  );

  app.get("/api/v1/gateway/dictionary", async () => {
    const dictionary = gateway.currentDictionary();
    return publishedDictionary(
      dictionary,
      gateway.dictionary.version(),
      gateway.dictionary.verified,
    );
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

function daysOf(value: string | undefined): number {
  if (value === undefined) return DEFAULT_DAYS;
  const days = /^[0-9]{1,3}$/.test(value) ? Number(value) : Number.NaN;
  if (!(days >= 1 && days <= MAX_DAYS)) {
    throw new CrosscheckError(
      "E_INVALID_INPUT",
      `days must be a whole number from 1 to ${MAX_DAYS}; got ${JSON.stringify(value.slice(0, 20))}.`,
    );
  }
  return days;
}

type Totals = Counts & { redactions: number };

/** `GET /api/v1/gateway/stats`. Every list is sorted; days run oldest first. */
export interface StatisticsReport {
  gateway: string;
  /** The inclusive range of UTC days; `to` is today. */
  from: string;
  to: string;
  today: Totals & { day: string; delivered: { batches: number; bytes: number } };
  totals: Totals & { delivered: { batches: number; bytes: number } };
  /** Every day of the range, days without records included. */
  days: (Totals & { day: string })[];
  /** Per event type, with its records on each day that had any. */
  eventTypes: (Counts & { eventType: string; days: { day: string; records: number }[] })[];
  /** Redactions (personal data found and masked, pseudonymised, dropped or blocked) per entity type. */
  entities: { entity: string; count: number; days: { day: string; count: number }[] }[];
  /** Per tenant; `region` is its configured one (null for a tenant no longer configured). */
  tenants: (Totals & { tenant: string; region: string | null })[];
  /** Per region: what its tenants sent, and the addresses its bytes were delivered to. */
  regions: (Counts & {
    region: string;
    delivered: { destination: string; batches: number; bytes: number }[];
  })[];
}

/** Only the counts of `c` (a row carries more). */
const countsIn = (c: Counts): Counts => {
  const counts = zeroCounts();
  addCounts(counts, c);
  return counts;
};

function statisticsReport(
  gateway: TelemetryGateway,
  from: string,
  to: string,
  statistics: GatewayStatistics,
): StatisticsReport {
  const days = new Map<string, Totals & { day: string }>();
  for (let t = Date.parse(`${from}T00:00:00Z`); ; t += 86_400_000) {
    const day = new Date(t).toISOString().slice(0, 10);
    days.set(day, { day, ...zeroCounts(), redactions: 0 });
    if (day >= to) break;
  }
  const eventTypes = new Map<string, StatisticsReport["eventTypes"][number]>();
  for (const row of statistics.events) {
    const day = days.get(row.day);
    if (day) addCounts(day, row);
    let type = eventTypes.get(row.eventType);
    if (!type) {
      type = { eventType: row.eventType, ...zeroCounts(), days: [] };
      eventTypes.set(row.eventType, type);
    }
    addCounts(type, row);
    if (row.records > 0) type.days.push({ day: row.day, records: row.records });
  }
  const entities = new Map<string, StatisticsReport["entities"][number]>();
  for (const row of statistics.redactions) {
    const day = days.get(row.day);
    if (day) day.redactions += row.count;
    let entity = entities.get(row.entity);
    if (!entity) {
      entity = { entity: row.entity, count: 0, days: [] };
      entities.set(row.entity, entity);
    }
    entity.count += row.count;
    entity.days.push({ day: row.day, count: row.count });
  }
  const delivered = { batches: 0, bytes: 0 };
  const deliveredToday = { batches: 0, bytes: 0 };
  const destinations = new Map<string, Map<string, { batches: number; bytes: number }>>();
  for (const row of statistics.deliveries) {
    delivered.batches += row.batches;
    delivered.bytes += row.bytes;
    if (row.day === to) {
      deliveredToday.batches += row.batches;
      deliveredToday.bytes += row.bytes;
    }
    let byAddress = destinations.get(row.region);
    if (!byAddress) {
      byAddress = new Map();
      destinations.set(row.region, byAddress);
    }
    const sum = byAddress.get(row.destination) ?? { batches: 0, bytes: 0 };
    sum.batches += row.batches;
    sum.bytes += row.bytes;
    byAddress.set(row.destination, sum);
  }
  // Configured regions are listed even before they carried anything.
  const regionNames = new Set([
    ...gateway.config.regions.map((r) => r.region),
    ...statistics.regions.map((r) => r.region),
    ...destinations.keys(),
  ]);
  const regions = [...regionNames].sort().map((region) => ({
    region,
    ...countsIn(statistics.regions.find((r) => r.region === region) ?? zeroCounts()),
    delivered: [...(destinations.get(region) ?? new Map()).entries()]
      .map(([destination, sum]) => ({ destination, batches: sum.batches, bytes: sum.bytes }))
      .sort((a, b) => (a.destination < b.destination ? -1 : 1)),
  }));
  const totals: Totals = { ...zeroCounts(), redactions: 0 };
  for (const day of days.values()) {
    addCounts(totals, day);
    totals.redactions += day.redactions;
  }
  const today = days.get(to) ?? { day: to, ...zeroCounts(), redactions: 0 };
  const byName = (a: { eventType: string }, b: { eventType: string }) =>
    a.eventType < b.eventType ? -1 : 1;
  return {
    gateway: gateway.config.name,
    from,
    to,
    today: { ...today, delivered: deliveredToday },
    totals: { ...totals, delivered },
    days: [...days.values()],
    eventTypes: [...eventTypes.values()].sort(byName),
    entities: [...entities.values()].sort((a, b) => (a.entity < b.entity ? -1 : 1)),
    tenants: statistics.tenants.map((t) => ({
      tenant: t.tenant,
      region: gateway.config.tenants.get(t.tenant)?.region ?? null,
      ...countsIn(t),
      redactions: t.redactions,
    })),
    regions,
  };
}

/** One declared field as published: `path` joins object keys with "/" (the gateway's field ids). */
export interface PublishedField {
  path: string;
  type: string;
  items?: string;
  purpose: string;
  sensitivity: string;
  retentionDays: number;
  required: boolean;
  description?: string;
  values?: readonly string[];
}

/** `GET /api/v1/gateway/dictionary`: the reviewed dictionary the gateway enforces now. */
export interface PublishedDictionary {
  name: string;
  /** The release's version (the dictionary's own when the source is a file). */
  version: string;
  /** False when the gateway runs on an unreviewed development file. */
  verified: boolean;
  description?: string;
  /** Fields every event carries (besides `event`, its type's name). */
  common: PublishedField[];
  events: { name: string; description: string; fields: PublishedField[] }[];
}

const published = new WeakMap<CompiledDictionary, PublishedDictionary>();

function publishedDictionary(
  compiled: CompiledDictionary,
  version: string | undefined,
  verified: boolean,
): PublishedDictionary {
  let out = published.get(compiled);
  if (!out) {
    const d = compiled.dictionary;
    out = {
      name: d.name,
      version: version ?? d.version,
      verified,
      ...(d.description !== undefined ? { description: d.description } : {}),
      common: flatFields(d.common, ""),
      events: d.events.map((e) => ({
        name: e.name,
        description: e.description,
        fields: flatFields(e.fields, ""),
      })),
    };
    published.set(compiled, out);
  }
  return out;
}

/** Fields depth first, each object before its own fields. */
function flatFields(fields: readonly FieldSpec[], prefix: string): PublishedField[] {
  return fields.flatMap((f) => {
    const path = `${prefix}${f.name}`;
    const field: PublishedField = {
      path,
      type: f.type,
      ...(f.items !== undefined ? { items: f.items } : {}),
      purpose: f.purpose,
      sensitivity: f.sensitivity,
      retentionDays: f.retentionDays,
      required: f.required,
      ...(f.description !== undefined ? { description: f.description } : {}),
      ...(f.values !== undefined ? { values: f.values } : {}),
    };
    return [field, ...flatFields(f.fields ?? [], `${path}/`)];
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
