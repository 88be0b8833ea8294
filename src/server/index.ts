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
import {
  AccountService,
  type AccountStore,
  accountRoutes,
  SESSION_COOKIE,
} from "../accounts/index.js";
import { CrosscheckError } from "../errors/index.js";
import { demoVendorRoutes, gatewayRoutes, type TelemetryGateway } from "../gateway/index.js";
import { checkpointHistoryRoutes, logRoutes, type TransparencyLog } from "../log/index.js";
import { type ReleaseService, releaseRoutes } from "../releases/index.js";
import { type Witness, witnessRoutes } from "../witness/index.js";
import {
  bearerTokenCheck,
  identityCheck,
  readCookie,
  type SessionLookup,
  type TokenLookup,
} from "./auth.js";
import { errorHandler, notFoundHandler } from "./errors.js";
import { type MetricsSettings, registerMetrics } from "./metrics.js";
import { portalRoutes } from "./portal.js";

export {
  identityCheck,
  isLoopbackHost,
  type SessionLookup,
  type TokenLookup,
} from "./auth.js";

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
  /**
   * The telemetry gateway: `/v1/events`, `/v1/logs`, `/v1/samples`, `/api/v1/gateway/…` and its
   * audit log under `/gateway/log`. Senders are tokens of role `tenant` named after their tenant.
   */
  gateway?: {
    gateway: TelemetryGateway;
    tokens: TokenLookup;
    /** Ingest requests per minute per client address. */
    writesPerMinute?: number;
  };
  /**
   * People's accounts (issue 8): sign-in, users, concerns and vulnerability reports under
   * `/api/v1`; a session cookie (with its CSRF token for writes) then identifies its user on every
   * route that takes a bearer token. Concerns and answers are logged to `log`.
   */
  accounts?: {
    store: AccountStore;
    /** Sign-in attempts per minute per client address. */
    signinsPerMinute?: number;
    /** Vulnerability reports per hour per client address. */
    reportsPerHour?: number;
    now?: () => Date;
  };
  /** Demo witnesses served in this process under `/demo-witness/<name>/add-checkpoint`. */
  demoWitnesses?: { name: string; witness: Witness }[];
  /**
   * Addresses of the TLS-terminating proxies in front of this server (e.g. `127.0.0.1`): their
   * X-Forwarded-Proto/-For are believed, so session cookies are marked Secure behind https and
   * rate limits count the real client. Never trust proxy headers from anyone else.
   */
  trustProxy?: string[];
  /** Settings shown on `/metrics` (database pool, timeouts, the sequencer lease). */
  metrics?: MetricsSettings;
}

/** Fastify as every Crosscheck server runs it: one error shape, quiet logs, bounded URLs. */
function baseApp(logger: boolean | undefined, trustProxy?: string[]): FastifyInstance {
  const app = Fastify({
    ...(trustProxy?.length ? { trustProxy } : {}),
    // Quiet by default: a server's log must never carry request bodies or tokens.
    logger: logger ? { level: "error" } : false,
    // Tile paths are long and deep; reject absurd URLs early.
    routerOptions: { maxParamLength: 200 },
    return503OnClosing: true,
  });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  return app;
}

/** Routes opt in with `config.rateLimit` (Decision 16: every write is rate-limited). */
async function registerRateLimit(app: FastifyInstance): Promise<void> {
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) =>
      new CrosscheckError(
        "E_RATE_LIMITED",
        `Too many writes; at most ${context.max} per ${context.after}. Retry later.`,
      ),
  });
}

export async function createServer(options: ServerOptions): Promise<FastifyInstance> {
  const app = baseApp(options.logger, options.trustProxy);
  // Prometheus text format: requests, the log and its sequencing lag, jobs, spool, witnesses.
  await registerMetrics(app, {
    logs: [options.log, ...(options.gateway ? [options.gateway.gateway.auditLog] : [])],
    releases: options.releases?.service.store,
    gateway: options.gateway?.gateway,
    settings: options.metrics,
  });

  const releases = options.releases;
  const accounts = options.accounts
    ? new AccountService({
        store: options.accounts.store,
        log: options.log,
        releaseExists: releases
          ? async (sha) => (await releases.service.store.release(sha)) !== undefined
          : undefined,
        now: options.accounts.now,
      })
    : undefined;
  const sessions: SessionLookup | undefined = accounts
    ? (token) => accounts.session(token)
    : undefined;
  if (releases || options.gateway || accounts) {
    await registerRateLimit(app);
  }
  let authorizeAdd: (request: FastifyRequest) => void | Promise<void>;
  if (releases) {
    // With the API, adds to the log need an admin or vendor token, like every other write.
    const authorize = identityCheck(releases.tokens, sessions);
    authorizeAdd = async (request) => {
      await authorize(request, ["admin", "vendor"]);
    };
    await app.register(swagger, {
      openapi: {
        info: {
          title: "Crosscheck API",
          version: "1",
          description:
            "Releases, reviews, bundles and artifacts (/api/v1), and the C2SP transparency log (/log). Writes need a bearer token of the right role, or a session cookie (POST /api/v1/auth/signin) with the session's X-CSRF-Token header; reads are public.",
        },
        components: {
          securitySchemes: {
            bearer: { type: "http", scheme: "bearer" },
            session: { type: "apiKey", in: "cookie", name: SESSION_COOKIE },
          },
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
  // The log's published checkpoints with their cosignatures, as JSON (the portal's log page).
  await app.register(checkpointHistoryRoutes, { prefix: "/api/v1", log: options.log });
  if (options.gateway) {
    await app.register(gatewayRoutes, {
      gateway: options.gateway.gateway,
      identify: identityCheck(options.gateway.tokens, sessions),
      writeConfig: {
        rateLimit: { max: options.gateway.writesPerMinute ?? 6000, timeWindow: "1 minute" },
      },
    });
  }
  if (accounts && options.accounts) {
    // Bearer tokens are the release API's; without it, only sessions identify anyone.
    const tokens: TokenLookup = releases?.tokens ?? (async () => undefined);
    await app.register(accountRoutes, {
      prefix: "/api/v1",
      service: accounts,
      identify: identityCheck(tokens, sessions),
      sessionToken: (request) => readCookie(request.headers.cookie, SESSION_COOKIE),
      writeConfig: {
        rateLimit: { max: releases?.writesPerMinute ?? 600, timeWindow: "1 minute" },
      },
      signinConfig: {
        rateLimit: { max: options.accounts.signinsPerMinute ?? 10, timeWindow: "1 minute" },
      },
      reportConfig: {
        rateLimit: { max: options.accounts.reportsPerHour ?? 5, timeWindow: "1 hour" },
      },
    });
  }
  for (const { name, witness } of options.demoWitnesses ?? []) {
    await app.register(witnessRoutes, { prefix: `/demo-witness/${name}`, witness });
  }
  // The Transparency Center (Decision 15): every GET outside the API prefixes.
  if (releases) await app.register(portalRoutes, {});
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

/** A standalone gateway's server (`crosscheck gateway serve`): ingest, its API and its audit log. */
export async function createGatewayServer(options: {
  gateway: TelemetryGateway;
  tokens: TokenLookup;
  writesPerMinute?: number;
  logger?: boolean;
}): Promise<FastifyInstance> {
  const app = baseApp(options.logger);
  await registerRateLimit(app);
  await app.register(gatewayRoutes, {
    gateway: options.gateway,
    identify: identityCheck(options.tokens),
    writeConfig: { rateLimit: { max: options.writesPerMinute ?? 6000, timeWindow: "1 minute" } },
  });
  return app;
}

/** The demo's stand-in vendor intake of one region, on its own listener (see gateway/demo-vendor). */
export async function createDemoVendorServer(region: string): Promise<FastifyInstance> {
  const app = baseApp(false);
  await app.register(demoVendorRoutes, { region });
  return app;
}
