/**
 * `crosscheck serve`: the Transparency Center's engine in one process — the release pipeline's
 * API under /api/v1 (docs at /api/docs), the log under /log, cosignature collection, and in the
 * demo three in-process witnesses. A fresh data folder becomes a demo (see ./demo.ts).
 *
 * On PostgreSQL any number of these processes may run as replicas of one service behind a load
 * balancer (issue 11): they share the database and the data folder (artifacts, gateway samples,
 * keys; a shared mount), each serves every route, and the one holding a log's sequencer lease
 * sequences it, collects its cosignatures and writes its tiles directory. Replicas that start at
 * once take turns at start-up (an advisory lock), so the first creates what is shared.
 */

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { ensureDemoUsers, openAccountStore } from "../../accounts/index.js";
import { ed25519EnvelopeSigner, parseEnvelope } from "../../attest/index.js";
import { readKeyFile, readSignerKeyFile } from "../../crypto/node.js";
import { CrosscheckError } from "../../errors/index.js";
import { serviceDictionarySource } from "../../gateway/index.js";
import { DEFAULT_LEASE_MS, replicaName, TransparencyLog } from "../../log/index.js";
import { cosignatureSigner } from "../../merkle/index.js";
import {
  openPolicy,
  parseTlogPolicy,
  type TlogPolicy,
  type TrustedPolicy,
} from "../../policy/index.js";
import {
  ArtifactStore,
  DEFAULT_MAX_ARTIFACT_SIZE,
  openReleaseStore,
  ReleaseService,
  type Role,
} from "../../releases/index.js";
import { createDemoVendorServer, createServer } from "../../server/index.js";
import {
  type Database,
  isPostgresUrl,
  migrate,
  openPostgres,
  openSqlite,
  redactUrl,
} from "../../store/index.js";
import { CosignatureCollector, Witness, WitnessStore } from "../../witness/index.js";
import { readTextFile } from "../files.js";
import { parseCount, parsePort, readSecretFile } from "../options.js";
import {
  createDemoFolder,
  DEMO_TENANTS,
  demoGatewayConfig,
  demoInstructions,
  demoPaths,
  isDemoFolder,
  isFreshFolder,
  TOKEN_ROLES,
  WITNESSES,
  writeMissingTokens,
} from "./demo.js";
import { startGatewayRuntime } from "./gateway-runtime.js";

interface ServeOptions {
  data: string;
  port: number;
  host: string;
  database?: string;
  init?: boolean;
  maxArtifactSize: number;
  writesPerMinute: number;
  logKey?: string;
  policy?: string;
  witnessPolicy?: string;
  token?: string[];
  gatewayConfig?: string;
  trustProxy?: string[];
  tilesDir?: string;
  replicaName?: string;
  leaseMs: number;
  dbPool: number;
  dbConnectTimeout: number;
  dbIdleTimeout: number;
  dbStatementTimeout: number;
}

/** Pool and timeouts of a replica's PostgreSQL connections (README: "Running several replicas"). */
const DB_DEFAULTS = {
  pool: 10,
  connectTimeoutSeconds: 10,
  idleTimeoutSeconds: 60,
  maxLifetimeSeconds: 30 * 60,
  statementTimeoutMs: 30_000,
  /** A replica started before PostgreSQL keeps trying this long. */
  retryForMs: 60_000,
};

/** Two lease connections (the log and the gateway's audit log), the start-up lock, and work. */
const MIN_DB_POOL = 4;

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function serveCommand(): Command {
  return new Command("serve")
    .description(
      "Run the service: release and review API (/api/v1, docs at /api/docs), the log (/log) and witnessing. A fresh --data folder becomes a demo.",
    )
    .option("--data <dir>", "data folder (keys, policy, tokens, artifacts, SQLite)", "./data")
    .option("--port <port>", "port to listen on", parsePort, 8080)
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--database <url>", "postgres://… to keep everything in PostgreSQL instead of SQLite")
    .option("--init", "only create the demo folder (keys, policy, tokens), then exit")
    .option(
      "--log-key <file>",
      "production: the log's private key (with --policy and --witness-policy)",
    )
    .option("--policy <file>", "production: the signed trust policy")
    .option(
      "--witness-policy <file>",
      "production: C2SP tlog-policy naming this log and its witnesses with their URLs",
    )
    .option(
      "--token <role:name=file>",
      "production: an API token file for a role (vendor, reviewer, rebuilder, admin, tenant, auditor), repeatable",
      collect,
    )
    .option(
      "--gateway-config <file>",
      "production: also run the telemetry gateway with this configuration (regions, tenants, policies)",
    )
    .option(
      "--max-artifact-size <bytes>",
      "largest artifact accepted",
      parseCount("--max-artifact-size"),
      DEFAULT_MAX_ARTIFACT_SIZE,
    )
    .option(
      "--writes-per-minute <n>",
      "writes per client per minute",
      parseCount("--writes-per-minute"),
      600,
    )
    .option(
      "--trust-proxy <address>",
      "a TLS-terminating proxy in front of this server whose X-Forwarded-* headers are believed (repeatable): session cookies become Secure behind https",
      collect,
    )
    .option(
      "--tiles-dir <dir>",
      "also write the log's checkpoint, tiles and entry bundles here in the C2SP layout, for nginx or a CDN to serve (replicas: a shared folder; the sequencing replica writes it)",
    )
    .option(
      "--replica-name <name>",
      "this replica's name in leases and job claims (PostgreSQL; default host:pid:random)",
    )
    .option(
      "--lease-ms <ms>",
      "PostgreSQL: how long a dead sequencing replica keeps its lease at most (a killed one is replaced at once)",
      parseCount("--lease-ms"),
      DEFAULT_LEASE_MS,
    )
    .option(
      "--db-pool <n>",
      "PostgreSQL: most pooled connections",
      parseCount("--db-pool"),
      DB_DEFAULTS.pool,
    )
    .option(
      "--db-connect-timeout <s>",
      "PostgreSQL: seconds to wait for a connection",
      parseCount("--db-connect-timeout"),
      DB_DEFAULTS.connectTimeoutSeconds,
    )
    .option(
      "--db-idle-timeout <s>",
      "PostgreSQL: seconds an idle pooled connection stays open",
      parseCount("--db-idle-timeout"),
      DB_DEFAULTS.idleTimeoutSeconds,
    )
    .option(
      "--db-statement-timeout <ms>",
      "PostgreSQL: statement_timeout of every session",
      parseCount("--db-statement-timeout"),
      DB_DEFAULTS.statementTimeoutMs,
    )
    .action(async (opts: ServeOptions) => {
      await serve(opts);
    });
}

/** What differs between the demo and a provisioned deployment; the rest is the same server. */
interface ServiceConfig {
  mode: "demo" | "production";
  logSigner: ReturnType<typeof readSignerKeyFile>;
  policy: TrustedPolicy;
  /** Token files to register (hashed) at start: role and name per file. */
  tokens: { role: Role; name: string; path: string }[];
  /** The telemetry gateway's configuration (a file), when this service runs one. */
  gatewayConfig?: () => Promise<string | { document: unknown }>;
  /** Witness policy; in the demo it is made once the log key is known. */
  witnessPolicy: (log: TransparencyLog, port: number) => TlogPolicy;
  /** The demo's in-process witnesses (none in production). */
  demoWitnesses: (log: TransparencyLog) => Promise<{ name: string; witness: Witness }[]>;
  /** Only the demo holds the vendor key, to re-sign heads (Decision 17). */
  headSigner?: ReturnType<typeof ed25519EnvelopeSigner>;
  /** What to print once listening (the demo's instructions). */
  banner?: string;
  closers: (() => Promise<void>)[];
}

async function serve(opts: ServeOptions): Promise<void> {
  const postgresUrl = opts.database && isPostgresUrl(opts.database) ? opts.database : undefined;
  if (opts.database && !postgresUrl) {
    throw new CrosscheckError(
      "E_USAGE",
      "--database takes a postgres:// URL; SQLite lives in --data.",
    );
  }
  const url = `http://${opts.host.includes(":") ? `[${opts.host}]` : opts.host}:${opts.port}`;
  const provisioned = opts.logKey || opts.policy || opts.witnessPolicy || opts.token;
  const config = provisioned ? productionConfig(opts) : demoConfig(opts, url, postgresUrl);
  if (!config) return; // --init only
  mkdirSync(opts.data, { recursive: true });
  const logSigner = config.logSigner;
  const policy = config.policy;

  if (postgresUrl && opts.dbPool < MIN_DB_POOL) {
    throw new CrosscheckError(
      "E_USAGE",
      `--db-pool ${opts.dbPool} is too small: each log's sequencer lease keeps a connection and start-up takes one more; give at least ${MIN_DB_POOL}.`,
    );
  }
  const database: Database = postgresUrl
    ? await openPostgres(postgresUrl, {
        max: opts.dbPool,
        connectTimeoutSeconds: opts.dbConnectTimeout,
        idleTimeoutSeconds: opts.dbIdleTimeout,
        maxLifetimeSeconds: DB_DEFAULTS.maxLifetimeSeconds,
        statementTimeoutMs: opts.dbStatementTimeout,
        retryForMs: DB_DEFAULTS.retryForMs,
      })
    : openSqlite(join(opts.data, "crosscheck.sqlite"));
  const warn = (message: string) => process.stderr.write(`${message}\n`);
  // With PostgreSQL this process is one of possibly several replicas.
  const replica = postgresUrl ? (opts.replicaName ?? replicaName()) : undefined;
  const replicas = replica ? { holder: replica, leaseMs: opts.leaseMs, warn } : undefined;
  const started = await oneAtATime(database, async () => {
    await migrate(database);
    const log = await TransparencyLog.open({
      database,
      signer: logSigner,
      witnessed: true,
      replicas,
      tilesDir: opts.tilesDir,
      warn,
    });
    const store = openReleaseStore(database);
    // The configured tokens replace the stored ones: a token removed from the configuration is
    // revoked by the restart, not left working.
    await store.replaceTokens(
      config.tokens.map((token) => ({
        tokenSha256: createHash("sha256")
          .update(readSecretFile(token.path, "token"), "utf8")
          .digest("hex"),
        role: token.role,
        name: token.name,
      })),
      new Date().toISOString(),
    );
    const demoWitnesses = await config.demoWitnesses(log);
    const service = new ReleaseService({
      store,
      log,
      policy,
      artifacts: new ArtifactStore(join(opts.data, "artifacts"), opts.maxArtifactSize),
      headSigner: config.headSigner,
      // Replicas share the queue: a job submitted elsewhere, or a dead replica's, wakes no one here.
      jobs: replica ? { worker: replica, pollMs: 2000 } : undefined,
    });
    const gateway = config.gatewayConfig
      ? await startGatewayRuntime({
          database,
          dataDir: join(opts.data, "gateway"),
          configFile: await config.gatewayConfig(),
          // The dictionary comes from this very service, and is verified like any endpoint would.
          dictionary: serviceDictionarySource({
            service,
            policy,
            stateDir: join(opts.data, "gateway", "dictionary-state"),
            warn,
          }),
          replicas,
        })
      : undefined;
    const accounts = await openAccountStore(database);
    // The demo's people, one per role, passwords in data/users/<name>.password (issue 8).
    if (config.mode === "demo") await ensureDemoUsers(accounts, join(opts.data, "users"));
    return { log, store, demoWitnesses, service, gateway, accounts };
  });
  const { log, store, demoWitnesses, service, gateway, accounts } = started;
  const witnessPolicy = config.witnessPolicy(log, opts.port);
  const tokens = (sha: string) => store.tokenRole(sha);
  const app = await createServer({
    log,
    host: opts.host,
    releases: { service, tokens, writesPerMinute: opts.writesPerMinute },
    gateway: gateway ? { gateway, tokens } : undefined,
    accounts: { store: accounts },
    demoWitnesses,
    trustProxy: opts.trustProxy,
    metrics: postgresUrl
      ? {
          databasePoolMax: opts.dbPool,
          databaseConnectTimeoutSeconds: opts.dbConnectTimeout,
          databaseIdleTimeoutSeconds: opts.dbIdleTimeout,
          databaseStatementTimeoutSeconds: opts.dbStatementTimeout / 1000,
          leaseSeconds: opts.leaseMs / 1000,
        }
      : undefined,
  });
  await app.listen({ host: opts.host, port: opts.port });
  // Only the replica that sequences the log asks the witnesses and publishes what they cosign;
  // the others serve the cosigned checkpoint it stored.
  let collector: CosignatureCollector | undefined;
  let collectorClosed: Promise<void> = Promise.resolve();
  log.onLeadership((leading) => {
    if (!leading) {
      const closing = collector?.close().catch((err: unknown) => {
        warn(`closing the cosignature collector: ${(err as Error).message}`);
      });
      collectorClosed = Promise.all([collectorClosed, closing]).then(() => {});
      collector = undefined;
      return;
    }
    collector ??= new CosignatureCollector({
      policy: witnessPolicy,
      consistencyProof: (size1, size2) => log.consistencyProof(size1, size2),
      publish: (note) => log.publishCosigned(note),
      warn,
      retryMs: 1000,
    });
    collector.offer(log.latestCheckpoint());
  });
  log.subscribe((state) => collector?.offer(state.checkpoint));
  const requeued = await service.start();
  if (config.banner) process.stdout.write(config.banner);
  const where = postgresUrl ? redactUrl(postgresUrl) : join(opts.data, "crosscheck.sqlite");
  const witnesses =
    config.mode === "demo"
      ? `demo witnesses ${url}/demo-witness/w1..w3`
      : `${witnessPolicy.witnesses.length} witnesses`;
  process.stderr.write(
    `Crosscheck serving at ${url} (${config.mode}; ${where}${replica ? `; replica ${replica}` : ""}${opts.tilesDir ? `; tiles in ${opts.tilesDir}` : ""}): API ${url}/api/v1, docs ${url}/api/docs, log ${url}/log/, ${witnesses}${gateway ? `, gateway ${url}/v1/events (audit log ${url}/gateway/log/)` : ""}${requeued ? `; re-queued ${requeued} analysis job(s)` : ""}\n`,
  );

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await app.close();
    await gateway?.close();
    await gateway?.auditLog.close();
    await collector?.close();
    await collectorClosed;
    await service.close();
    await log.close();
    await database.close();
    for (const close of config.closers) await close();
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

/**
 * Runs `task` while holding a start-up lock on PostgreSQL (replicas starting at once take turns:
 * the first creates the shared keys, demo users and rows, the others find them); no lock on SQLite.
 */
async function oneAtATime<T>(database: Database, task: () => Promise<T>): Promise<T> {
  if (database.kind !== "postgres") return task();
  const connection = await database.sql.reserve();
  try {
    // Another replica's start-up (migrations on a large database) may take longer than the
    // statement timeout: waiting for its lock is not a runaway statement.
    await connection`SET statement_timeout = 0`;
    await connection`SELECT pg_advisory_lock(hashtext(current_schema() || ':crosscheck-start'))`;
    return await task();
  } finally {
    await connection`SELECT pg_advisory_unlock(hashtext(current_schema() || ':crosscheck-start'))`.catch(
      () => {},
    );
    await connection`RESET statement_timeout`.catch(() => {});
    connection.release();
  }
}

/** The demo: a fresh folder gets everything it needs; the server runs its own three witnesses. */
function demoConfig(
  opts: ServeOptions,
  url: string,
  postgresUrl: string | undefined,
): ServiceConfig | undefined {
  const paths = demoPaths(opts.data);
  let created = false;
  if (!isDemoFolder(opts.data)) {
    if (postgresUrl && !opts.init) {
      throw new CrosscheckError(
        "E_KEY_MISSING",
        `A shared PostgreSQL database needs its keys given explicitly (Decision 1): ${opts.data} holds none. Create them once with \`crosscheck serve --init --data ${opts.data}\`, or provision them and pass --log-key, --policy and --witness-policy.`,
      );
    }
    if (!isFreshFolder(opts.data)) {
      throw new CrosscheckError(
        "E_DATA_FOLDER",
        `${opts.data} is neither empty nor a Crosscheck demo folder; give an empty or new --data folder, or provision the service with --log-key, --policy and --witness-policy.`,
      );
    }
    createDemoFolder(opts.data);
    created = true;
  }
  if (opts.init) {
    process.stdout.write(
      created
        ? `Created the demo folder ${opts.data}.\n${demoInstructions(opts.data, url)}`
        : `${opts.data} is already a demo folder.\n`,
    );
    return undefined;
  }
  writeMissingTokens(paths);
  const closers: (() => Promise<void>)[] = [];
  return {
    mode: "demo",
    logSigner: readSignerKeyFile(join(paths.keys, "log.key")),
    policy: openPolicy(parseEnvelope(readFileSync(paths.policy)), { now: new Date() }),
    tokens: (existsSync(paths.tokens) ? readdirSync(paths.tokens) : [])
      .filter((file) => file.endsWith(".token") && TOKEN_ROLES[file.replace(/\.token$/, "")])
      .map((file) => {
        const name = file.replace(/\.token$/, "");
        return {
          role: TOKEN_ROLES[name] as Role,
          name,
          path: join(paths.tokens, file),
        };
      }),
    headSigner: ed25519EnvelopeSigner(readKeyFile(join(paths.keys, "vendor.key"))),
    // The demo vendor: one intake per region on its own loopback listener.
    async gatewayConfig() {
      const intakes: Record<string, string> = {};
      for (const { region } of DEMO_TENANTS) {
        const intake = await createDemoVendorServer(region);
        await intake.listen({ host: "127.0.0.1", port: 0 });
        closers.push(() => intake.close());
        const address = intake.server.address();
        intakes[region] =
          `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
      }
      return { document: demoGatewayConfig(opts.data, intakes) };
    },
    banner: created ? demoInstructions(opts.data, url) : undefined,
    closers,
    // Three cosigners in this process, each with its own state file.
    async demoWitnesses(log) {
      mkdirSync(join(opts.data, "witnesses"), { recursive: true });
      const witnesses = [];
      for (const name of WITNESSES) {
        const wdb = openSqlite(join(opts.data, "witnesses", `${name}.sqlite`));
        await migrate(wdb);
        closers.push(() => wdb.close());
        witnesses.push({
          name,
          witness: new Witness({
            signer: cosignatureSigner(readKeyFile(join(paths.keys, `witness-${name}.key`))),
            logs: [log.verifierKey],
            store: new WitnessStore(wdb),
          }),
        });
      }
      return witnesses;
    },
    witnessPolicy(log, port) {
      const local = `http://127.0.0.1:${port}`;
      return parseTlogPolicy(
        [
          `log ${log.verifierKey}`,
          ...WITNESSES.map(
            (name) =>
              `witness ${name} ${readFileSync(join(paths.keys, `witness-${name}.vkey`), "utf8").trim()} ${local}/demo-witness/${name}`,
          ),
          `group demo-witnesses 2 ${WITNESSES.join(" ")}`,
          "quorum demo-witnesses",
          "",
        ].join("\n"),
      );
    },
  };
}

/**
 * A provisioned deployment (Decision 1 and 17): the log key, the signed policy, the witnesses and
 * the tokens are given; the server holds no vendor or reviewer key, so vendors submit heads.
 */
function productionConfig(opts: ServeOptions): ServiceConfig {
  if (!opts.logKey || !opts.policy || !opts.witnessPolicy) {
    throw new CrosscheckError(
      "E_USAGE",
      "A provisioned service needs --log-key, --policy and --witness-policy together (and --token for each role).",
    );
  }
  const logSigner = readSignerKeyFile(opts.logKey);
  const policy = openPolicy(parseEnvelope(readTextFile(opts.policy, "trust policy", 1 << 20)), {
    now: new Date(),
  });
  const witnessPolicy = parseTlogPolicy(
    readTextFile(opts.witnessPolicy, "witness policy", 1 << 16),
  );
  if (witnessPolicy.logs.length !== 1 || witnessPolicy.logs[0]?.key !== logSigner.verifierKey) {
    throw new CrosscheckError(
      "E_WITNESS_POLICY",
      `${opts.witnessPolicy} must name exactly this log (log ${logSigner.verifierKey}) and its witnesses.`,
    );
  }
  if (witnessPolicy.witnesses.some((w) => !w.url)) {
    throw new CrosscheckError(
      "E_WITNESS_POLICY",
      `Every witness in ${opts.witnessPolicy} needs a URL.`,
    );
  }
  const policyLog = policy.parsedLog.logs[0]?.key;
  if (policyLog !== logSigner.verifierKey) {
    throw new CrosscheckError(
      "E_POLICY_LOG",
      `The trust policy names the log ${policyLog}, not this log (${logSigner.verifierKey}); endpoints would refuse every bundle.`,
    );
  }
  return {
    mode: "production",
    logSigner,
    policy,
    tokens: (opts.token ?? []).map(parseTokenOption),
    gatewayConfig: opts.gatewayConfig ? async () => opts.gatewayConfig as string : undefined,
    closers: [],
    demoWitnesses: async () => [],
    witnessPolicy: () => witnessPolicy,
  };
}

function parseTokenOption(text: string): {
  role: Role;
  name: string;
  path: string;
} {
  const match = /^(vendor|reviewer|rebuilder|admin|tenant|auditor):([^=]+)=(.+)$/.exec(text);
  if (!match) {
    throw new CrosscheckError(
      "E_USAGE",
      `--token takes ROLE:NAME=FILE with ROLE vendor, reviewer, rebuilder, admin, tenant (a gateway sender) or auditor, e.g. vendor:acme=acme.token; got ${JSON.stringify(text)}.`,
    );
  }
  return {
    role: match[1] as Role,
    name: match[2] as string,
    path: match[3] as string,
  };
}
