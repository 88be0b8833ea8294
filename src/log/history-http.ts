/**
 * The log's checkpoint history as JSON, a Fastify plugin the server mounts under `/api/v1`:
 *
 *   GET /log/checkpoints[?before=SIZE][&limit=N]   published checkpoints, newest first
 *
 * One page walks the history's primary key backwards, so it costs the same at any depth; the
 * answer's `next` is the `before` of the page after it (null on the last). Each checkpoint comes
 * with its note exactly as served, so a reader verifies the log's signature and every cosignature
 * itself; the witness names, key hashes and `cosignature/v1` times listed beside it are read from
 * that note, as claimed, for display.
 */
import { type Static, Type } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import { parseNote, parseVerifierKey, toHex } from "../crypto/index.js";
import { cosignatureTime } from "../merkle/index.js";
import type { PublishedCheckpoint } from "./storage/storage.js";
import type { TransparencyLog } from "./transparency-log.js";

export interface CheckpointHistoryRoutesOptions {
  log: TransparencyLog;
}

const Cosignature = Type.Object({
  name: Type.String({ description: "the witness's key name" }),
  keyHash: Type.String({ pattern: "^[0-9a-f]{8}$", description: "the key's 4-byte hash, hex" }),
  timestamp: Type.Union([Type.Integer(), Type.Null()], {
    description: "the cosignature/v1 time in POSIX seconds; null for another signature type",
  }),
});

const CheckpointView = Type.Object({
  size: Type.Integer({ minimum: 0 }),
  root: Type.String({ pattern: "^[0-9a-f]{64}$", description: "root hash, hex" }),
  note: Type.String({ description: "the signed checkpoint as served: verify it yourself" }),
  publishedAt: Type.String({ description: "when the log first published this size (RFC 3339)" }),
  cosignatures: Type.Array(Cosignature, {
    description: "the note's signatures other than the log's own, as the note claims them",
  }),
});

const CheckpointHistory = Type.Object({
  checkpoints: Type.Array(CheckpointView),
  next: Type.Union([Type.Integer(), Type.Null()], {
    description: "pass as `before` for the next (older) page; null on the last",
  }),
});

const ErrorSchema = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String() }),
});

const Query = Type.Object({
  before: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: Number.MAX_SAFE_INTEGER,
      description: "only sizes below this one: a `next` cursor",
    }),
  ),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
});

const hex8 = (n: number) => n.toString(16).padStart(8, "0");

/** A published checkpoint as the API shows it; `logKey` tells the log's signature from the rest. */
export function checkpointView(
  published: PublishedCheckpoint,
  logKey: { name: string; keyHash: number },
): Static<typeof CheckpointView> {
  const { signatures } = parseNote(published.checkpoint);
  return {
    size: published.size,
    root: toHex(published.root),
    note: published.checkpoint,
    publishedAt: published.publishedAt,
    cosignatures: signatures
      .filter((s) => !(s.name === logKey.name && s.keyHash === logKey.keyHash))
      .map((s) => ({
        name: s.name,
        keyHash: hex8(s.keyHash),
        timestamp: cosignatureTime(s.signature) ?? null,
      })),
  };
}

export async function checkpointHistoryRoutes(
  app: FastifyInstance,
  options: CheckpointHistoryRoutesOptions,
): Promise<void> {
  const { log } = options;
  const logKey = parseVerifierKey(log.verifierKey);

  app.get<{ Querystring: Static<typeof Query> }>(
    "/log/checkpoints",
    {
      schema: {
        summary:
          "The log's published checkpoints, newest first, with their cosignatures: pass `next` from one answer as `before` to get the page after it.",
        tags: ["log"],
        querystring: Query,
        response: { 200: CheckpointHistory, 400: ErrorSchema },
      },
    },
    async (request, reply) => {
      const limit = request.query.limit ?? 20;
      const rows = await log.checkpoints({ before: request.query.before, limit });
      const last = rows[rows.length - 1];
      // New checkpoints arrive at the top; an older page never changes, the first one soon does.
      reply.header("cache-control", "public, max-age=2");
      return {
        checkpoints: rows.map((row) => checkpointView(row, logKey)),
        next: rows.length === limit && last && last.size > 0 ? last.size : null,
      };
    },
  );
}
