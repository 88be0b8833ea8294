/**
 * The log over HTTP: the C2SP tlog-tiles read API and the add endpoint, as a Fastify plugin that
 * the server mounts under `/log`.
 *
 *   GET  /checkpoint                     the signed checkpoint (short cache)
 *   GET  /tile/<L>/<N>[.p/<W>]           hash tiles (full ones cached immutably)
 *   GET  /tile/entries/<N>[.p/<W>]       entry bundles
 *   POST /add            body = entry     → {"index":N,"duplicate":bool} once integrated
 *   POST /add?wait=proof                 → also the C2SP tlog-proof of inclusion and its checkpoint
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { CrosscheckError } from "../errors/index.js";
import { formatTlogProof, MAX_ENTRY_SIZE, parseTilePath, TILE_WIDTH } from "../merkle/index.js";
import type { TransparencyLog } from "./transparency-log.js";

export interface LogRoutesOptions {
  log: TransparencyLog;
  /** Decides whether a request may add; throws E_UNAUTHORIZED when it may not. */
  authorizeAdd: (request: FastifyRequest) => void | Promise<void>;
}

const IMMUTABLE = "public, max-age=31536000, immutable";
// A partial tile never changes either, but the full tile replaces it; keep it out of caches' way.
const PARTIAL = "public, max-age=60";
const CHECKPOINT = "public, max-age=2";

export async function logRoutes(app: FastifyInstance, options: LogRoutesOptions): Promise<void> {
  const { log } = options;

  // The body is the entry, whatever its declared type: no JSON or text parsing on the way in.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    "*",
    { parseAs: "buffer", bodyLimit: MAX_ENTRY_SIZE },
    (_req, body, done) => done(null, body),
  );

  app.get("/checkpoint", async (_request, reply) => {
    reply.header("cache-control", CHECKPOINT).type("text/plain; charset=utf-8");
    // Read from the database when replicas share the log: never older than another replica's.
    return log.readCheckpoint();
  });

  app.get("/tile/*", async (request: FastifyRequest<{ Params: { "*": string } }>, reply) => {
    const tile = parseTilePath(`tile/${request.params["*"]}`);
    const data =
      tile.kind === "hash"
        ? await log.tile(tile.level, tile.index, tile.width)
        : await log.entryBundle(tile.index, tile.width);
    return sendBytes(reply, data, tile.width === TILE_WIDTH ? IMMUTABLE : PARTIAL);
  });

  app.post("/add", async (request: FastifyRequest<{ Querystring: { wait?: string } }>) => {
    await options.authorizeAdd(request);
    const body = request.body;
    if (!(body instanceof Uint8Array) || body.length === 0) {
      throw new CrosscheckError(
        "E_ENTRY_EMPTY",
        "The request has no body; send the entry's bytes as the body (application/octet-stream).",
      );
    }
    const added = await log.add(new Uint8Array(body));
    if (request.query.wait === undefined) return { index: added.index, duplicate: added.duplicate };
    const proof = await log.inclusionProof(added.index, added.state.size);
    return {
      index: added.index,
      duplicate: added.duplicate,
      proof: formatTlogProof({ index: added.index, proof, checkpoint: added.state.checkpoint }),
    };
  });
}

function sendBytes(reply: FastifyReply, data: Uint8Array, cacheControl: string) {
  return reply
    .header("cache-control", cacheControl)
    .type("application/octet-stream")
    .send(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
}
