/**
 * One error shape for the whole HTTP API: `{"error":{"code","message"}}` with a fitting status.
 * Our own errors carry their code and an actionable sentence; anything unexpected is logged and
 * answered with a generic 500 that reveals nothing of the internals.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { isCrosscheckError } from "../errors/index.js";

const STATUS: Record<string, number> = {
  E_TILE_PATH: 400,
  E_ENTRY_EMPTY: 400,
  E_PROOF_RANGE: 400,
  E_INVALID_INPUT: 400,
  E_UNAUTHORIZED: 401,
  E_FORBIDDEN: 403,
  E_CSRF: 403,
  E_SIGNIN_FAILED: 401,
  E_USER_EXISTS: 409,
  E_PASSWORD_WEAK: 400,
  E_REVIEWER_UNKNOWN: 403,
  E_REVIEWER_REVOKED: 403,
  E_REBUILDER_UNKNOWN: 403,
  E_REBUILDER_REVOKED: 403,
  E_RELEASE_SIGNATURE: 403,
  E_HEAD_UNSIGNED: 403,
  E_RELEASE_NOT_FOUND: 404,
  E_ARTIFACT_NOT_FOUND: 404,
  E_NOT_PUBLISHED: 404,
  E_VERSION_NOT_NEWER: 409,
  E_PREVIOUS_MISMATCH: 409,
  E_ARTIFACT_MISSING: 409,
  E_ANALYSIS_PENDING: 409,
  E_RELEASE_CLOSED: 409,
  E_REVIEW_DUPLICATE: 409,
  E_REBUILD_DUPLICATE: 409,
  E_REBUILD_BLOCKED: 409,
  E_NOT_REBUILDABLE: 409,
  E_REPORT_MISMATCH: 409,
  E_HEAD_MISSING: 409,
  E_ARTIFACT_TOO_LARGE: 413,
  E_RATE_LIMITED: 429,
  E_SPOOL_FULL: 429,
  E_IDEMPOTENCY_KEY: 400,
  E_BATCH_TOO_LARGE: 413,
  E_SAMPLE_TOO_LARGE: 413,
  E_SAMPLE_EMPTY: 400,
  E_MEDIA_TYPE: 415,
  E_OTLP_CONTENT_TYPE: 415,
  E_CONTENT_ENCODING: 415,
  E_TENANT_UNKNOWN: 403,
  E_DICTIONARY_UNAVAILABLE: 503,
  E_HEAD_EXPIRED: 503,
  E_TILE_NOT_FOUND: 404,
  E_NOT_FOUND: 404,
  E_ENTRY_TOO_LARGE: 413,
  E_LOG_CLOSED: 503,
  E_LOG_STORAGE: 503,
  E_LOG_CONFLICT: 503,
  E_LOG_FENCED: 503,
  E_LOG_TIMEOUT: 503,
  E_LOG_CORRUPT: 500,
  E_NOT_WITNESSED: 503,
};

/** Fastify's own errors for bad requests, given our codes and sentences. */
const FASTIFY: Record<string, [string, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [
    "E_ENTRY_TOO_LARGE",
    "The body is larger than 65,535 bytes, the most one log entry holds. Log the digest of larger documents.",
  ],
  FST_ERR_CTP_EMPTY_JSON_BODY: ["E_BODY_EMPTY", "The request has an empty body."],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [
    "E_MEDIA_TYPE",
    "The request's content type is not accepted here.",
  ],
};

/** Fastify hands over its own errors and anything a handler threw. */
type HandlerError = Error & { code?: string; statusCode?: number };

export function errorHandler(error: HandlerError, request: FastifyRequest, reply: FastifyReply) {
  if (isCrosscheckError(error)) {
    const status = STATUS[error.code] ?? 400;
    if (status >= 500) request.log.warn({ code: error.code }, error.message);
    if (status === 503) reply.header("retry-after", "1");
    return reply.status(status).send({ error: { code: error.code, message: error.message } });
  }
  const validation = (error as { validation?: unknown }).validation;
  if (validation) {
    return reply
      .status(400)
      .send({ error: { code: "E_INVALID_INPUT", message: `Invalid request: ${error.message}.` } });
  }
  const known = error.code ? FASTIFY[error.code] : undefined;
  if (known) {
    return reply
      .status(error.statusCode ?? 400)
      .send({ error: { code: known[0], message: known[1] } });
  }
  if (error.statusCode && error.statusCode < 500) {
    return reply
      .status(error.statusCode)
      .send({ error: { code: `E_HTTP_${error.statusCode}`, message: error.message } });
  }
  request.log.error({ err: error }, "unexpected error");
  return reply.status(500).send({
    error: {
      code: "E_INTERNAL",
      message: "The server failed on this request; it has been logged.",
    },
  });
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply) {
  return reply.status(404).send({
    error: {
      code: "E_NOT_FOUND",
      message: `Nothing is served at ${request.method} ${request.url.split("?")[0]}.`,
    },
  });
}
