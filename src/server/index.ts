/**
 * The HTTP server: Fastify with every component's routes under its prefix (Decision 15). For now
 * it serves the transparency log under `/log`.
 */
import Fastify, { type FastifyInstance } from "fastify";
import { logRoutes, type TransparencyLog } from "../log/index.js";
import { type Witness, witnessRoutes } from "../witness/index.js";
import { bearerTokenCheck } from "./auth.js";
import { errorHandler, notFoundHandler } from "./errors.js";

export { isLoopbackHost } from "./auth.js";

export interface ServerOptions {
  log: TransparencyLog;
  /** Address the server will listen on; decides whether adds need a token. */
  host: string;
  /** Bearer token for adds (required unless `host` is loopback). */
  addToken?: string;
  logger?: boolean;
}

export async function createServer(options: ServerOptions): Promise<FastifyInstance> {
  const authorizeAdd = bearerTokenCheck({ host: options.host, token: options.addToken });
  const app = Fastify({
    logger: options.logger ? { level: "info" } : false,
    // Tile paths are long and deep; reject absurd URLs early.
    routerOptions: { maxParamLength: 200 },
    return503OnClosing: true,
  });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  await app.register(logRoutes, { prefix: "/log", log: options.log, authorizeAdd });
  return app;
}

/** A witness's own server: `POST /add-checkpoint` (C2SP tlog-witness), open to any log it knows. */
export async function createWitnessServer(options: {
  witness: Witness;
  logger?: boolean;
}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ? { level: "info" } : false,
    return503OnClosing: true,
  });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  await app.register(witnessRoutes, { witness: options.witness });
  return app;
}
