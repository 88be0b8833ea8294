/**
 * The HTTP server: Fastify with every component's routes under its prefix (Decision 15):
 * the transparency log under `/log`, the release pipeline's JSON API under `/api/v1` (with its
 * OpenAPI document at `/api/docs`), and — in the demo only — in-process witnesses under
 * `/demo-witness/<name>`.
 */
import rateLimit from "@fastify/rate-limit";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, { type FastifyInstance, type FastifyRequest } from "fastify";
import { CrosscheckError } from "../errors/index.js";
import { logRoutes, type TransparencyLog } from "../log/index.js";
import { type ReleaseService, releaseRoutes } from "../releases/index.js";
import { type Witness, witnessRoutes } from "../witness/index.js";
import { bearerTokenCheck, roleCheck, type TokenLookup } from "./auth.js";
import { errorHandler, notFoundHandler } from "./errors.js";

export { isLoopbackHost, roleCheck, type TokenLookup } from "./auth.js";

export interface ServerOptions {
  log: TransparencyLog;
  /** Address the server will listen on; decides whether adds need a token. */
  host: string;
  /** Bearer token for adds (required unless `host` is loopback). */
  addToken?: string;
  logger?: boolean;
  /** The release pipeline: mounts `/api/v1` and `/api/docs`. */
  releases?: {
    service: ReleaseService;
    tokens: TokenLookup;
    /** Writes per minute per client address. */
    writesPerMinute?: number;
  };
  /** Demo witnesses served in this process under `/demo-witness/<name>/add-checkpoint`. */
  demoWitnesses?: { name: string; witness: Witness }[];
}

export async function createServer(options: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ? { level: "info" } : false,
    // Tile paths are long and deep; reject absurd URLs early.
    routerOptions: { maxParamLength: 200 },
    return503OnClosing: true,
  });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);

  const releases = options.releases;
  let authorizeAdd: (request: FastifyRequest) => void | Promise<void>;
  if (releases) {
    // With the API, adds to the log need an admin or vendor token, like every other write.
    const authorize = roleCheck(releases.tokens);
    authorizeAdd = (request) => authorize(request, ["admin", "vendor"]);
    await app.register(rateLimit, {
      global: false,
      errorResponseBuilder: (_request, context) =>
        new CrosscheckError(
          "E_RATE_LIMITED",
          `Too many writes; at most ${context.max} per ${context.after}. Retry later.`,
        ),
    });
    await app.register(swagger, {
      openapi: {
        info: {
          title: "Crosscheck API",
          version: "1",
          description:
            "Releases, reviews, bundles and artifacts (/api/v1), and the C2SP transparency log (/log). Writes need a bearer token of the right role; reads are public.",
        },
        components: {
          securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
        },
      },
    });
    await app.register(swaggerUi, { routePrefix: "/api/docs" });
    const writeConfig = {
      rateLimit: { max: releases.writesPerMinute ?? 600, timeWindow: "1 minute" },
    };
    await app.register(releaseRoutes, {
      prefix: "/api/v1",
      service: releases.service,
      authorize,
      writeConfig,
    });
  } else {
    authorizeAdd = bearerTokenCheck({ host: options.host, token: options.addToken });
  }
  await app.register(logRoutes, {
    prefix: "/log",
    log: options.log,
    authorizeAdd,
  });
  for (const { name, witness } of options.demoWitnesses ?? []) {
    await app.register(witnessRoutes, { prefix: `/demo-witness/${name}`, witness });
  }
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
