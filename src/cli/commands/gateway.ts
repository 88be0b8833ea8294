/**
 * `crosscheck gateway serve`: the telemetry audit gateway on its own, at the customer's side. It
 * takes the reviewed data dictionary from a Crosscheck service and verifies it like an endpoint
 * does (`--dictionary-server` with `--policy`); `--dictionary-file` is for development only and
 * says so loudly.
 */
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { CrosscheckError } from "../../errors/index.js";
import {
  type DictionarySource,
  fileDictionarySource,
  remoteDictionarySource,
} from "../../gateway/index.js";
import { openReleaseStore, type Role } from "../../releases/index.js";
import { createGatewayServer } from "../../server/index.js";
import {
  type Database,
  isPostgresUrl,
  migrate,
  openPostgres,
  openSqlite,
  redactUrl,
} from "../../store/index.js";
import { readTextFile } from "../files.js";
import { parseCount, parsePort, readSecretFile } from "../options.js";
import { startGatewayRuntime } from "./gateway-runtime.js";

interface GatewayServeOptions {
  config: string;
  data: string;
  database?: string;
  host: string;
  port: number;
  auditKey?: string;
  dictionaryServer?: string;
  policy?: string;
  dictionaryFile?: string;
  token?: string[];
  ca?: string;
  writesPerMinute: number;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];
export const GATEWAY_ROLES = ["tenant", "auditor", "reviewer", "admin"] as const;

export function gatewayCommand(): Command {
  const gateway = new Command("gateway").description(
    "The telemetry audit gateway: checks, redacts, spools, forwards and logs what endpoints send home.",
  );
  gateway
    .command("serve")
    .description(
      "Run the gateway: /v1/events, /v1/logs (OTLP/HTTP), /v1/samples, /api/v1/gateway, /gateway/log.",
    )
    .requiredOption(
      "--config <file>",
      "gateway configuration (regions, endpoints, tenants, policies)",
    )
    .option("--data <dir>", "data folder (spool in SQLite, keys, samples)", "./gateway-data")
    .option("--database <url>", "postgres://… to keep the spool and audit log in PostgreSQL")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <port>", "port to listen on (OTLP/HTTP's default)", parsePort, 4318)
    .option("--audit-key <file>", "the audit log's private key (made in --data when absent)")
    .option("--dictionary-server <url>", "the Crosscheck service publishing the dictionary channel")
    .option(
      "--policy <file>",
      "the signed trust policy that dictionary bundles are verified against",
    )
    .option(
      "--dictionary-file <file>",
      "DEVELOPMENT ONLY: an unreviewed dictionary file, not verified",
    )
    .option(
      "--token <role:name=file>",
      "an API token file: tenant:NAME (a sender), auditor, reviewer or admin; repeatable",
      collect,
    )
    .option("--ca <file>", "extra CA certificate (PEM) trusted for vendor endpoints")
    .option(
      "--writes-per-minute <n>",
      "ingest requests per client per minute",
      parseCount("--writes-per-minute"),
      6000,
    )
    .action(async (opts: GatewayServeOptions) => {
      await serveGateway(opts);
    });
  return gateway;
}

function dictionarySource(opts: GatewayServeOptions, warn: (m: string) => void): DictionarySource {
  if (opts.dictionaryServer) {
    if (!opts.policy) {
      throw new CrosscheckError(
        "E_USAGE",
        "--dictionary-server needs --policy: the dictionary is trusted only after its bundle verifies against the trust policy.",
      );
    }
    return remoteDictionarySource({
      server: opts.dictionaryServer,
      policyFile: opts.policy,
      stateDir: join(opts.data, "dictionary-state"),
      warn,
    });
  }
  if (opts.dictionaryFile) {
    warn(
      `gateway: WARNING: using the unreviewed dictionary ${opts.dictionaryFile} (development only); production gateways take it from --dictionary-server with --policy`,
    );
    return fileDictionarySource(opts.dictionaryFile);
  }
  throw new CrosscheckError(
    "E_USAGE",
    "Say where the data dictionary comes from: --dictionary-server URL --policy FILE (verified), or --dictionary-file FILE (development only).",
  );
}

export function parseGatewayToken(text: string): { role: string; name: string; path: string } {
  const match = /^(tenant|auditor|reviewer|admin):([^=]+)=(.+)$/.exec(text);
  if (!match) {
    throw new CrosscheckError(
      "E_USAGE",
      `--token takes ROLE:NAME=FILE with ROLE tenant, auditor, reviewer or admin, e.g. tenant:acme-eu=acme.token; got ${JSON.stringify(text)}.`,
    );
  }
  return { role: match[1] as string, name: match[2] as string, path: match[3] as string };
}

async function serveGateway(opts: GatewayServeOptions): Promise<void> {
  const warn = (message: string) => process.stderr.write(`${message}\n`);
  if (opts.database && !isPostgresUrl(opts.database)) {
    throw new CrosscheckError(
      "E_USAGE",
      "--database takes a postgres:// URL; SQLite lives in --data.",
    );
  }
  const tokens = (opts.token ?? []).map(parseGatewayToken);
  mkdirSync(opts.data, { recursive: true, mode: 0o700 });
  const database: Database = opts.database
    ? await openPostgres(opts.database, { max: 8 })
    : openSqlite(join(opts.data, "gateway.sqlite"));
  await migrate(database);
  const releaseStore = openReleaseStore(database);
  // The configured tokens replace the stored ones: one removed from the command line is revoked.
  await releaseStore.replaceTokens(
    tokens.map((token) => ({
      tokenSha256: createHash("sha256")
        .update(readSecretFile(token.path, "token"), "utf8")
        .digest("hex"),
      role: token.role as Role,
      name: token.name,
    })),
    new Date().toISOString(),
  );
  const gateway = await startGatewayRuntime({
    database,
    dataDir: opts.data,
    configFile: opts.config,
    dictionary: dictionarySource(opts, warn),
    auditKey: opts.auditKey,
    ca: opts.ca ? readTextFile(opts.ca, "CA certificate", 1 << 20) : undefined,
    warn,
  });
  const app = await createGatewayServer({
    gateway,
    tokens: (sha) => releaseStore.tokenRole(sha),
    writesPerMinute: opts.writesPerMinute,
  });
  await app.listen({ host: opts.host, port: opts.port });
  const url = `http://${opts.host.includes(":") ? `[${opts.host}]` : opts.host}:${opts.port}`;
  const where = opts.database ? redactUrl(opts.database) : join(opts.data, "gateway.sqlite");
  warn(
    `Crosscheck gateway ${gateway.config.name} at ${url} (${where}): events ${url}/v1/events, OTLP ${url}/v1/logs, samples ${url}/v1/samples, audit log ${url}/gateway/log/; dictionary ${gateway.dictionary.version() ?? "not loaded yet"}`,
  );
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await app.close();
    await gateway.close();
    await gateway.auditLog.close();
    await database.close();
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
