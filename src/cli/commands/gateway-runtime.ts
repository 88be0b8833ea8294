/**
 * Builds a running telemetry gateway from its configuration file and data folder: the audit log
 * (its own transparency log, key made in the folder on first start), tenant keys, the spool and
 * the dictionary source. `crosscheck gateway serve` and `crosscheck serve` both use it.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateNoteKey } from "../../crypto/index.js";
import { readSignerKeyFile, writeKeyFile } from "../../crypto/node.js";
import { CrosscheckError } from "../../errors/index.js";
import {
  type DictionarySource,
  type GatewayConfig,
  loadTenantSecret,
  openGatewayStore,
  parseGatewayConfig,
  TelemetryGateway,
  type TenantKeys,
  tenantKeys,
} from "../../gateway/index.js";
import { type ReplicaOptions, TransparencyLog } from "../../log/index.js";
import type { Database } from "../../store/index.js";
import { readTextFile } from "../files.js";

export interface GatewayRuntimeOptions {
  database: Database;
  /** Holds `keys/gateway-audit.key`, `tenant-keys/`, `samples/`. */
  dataDir: string;
  /** The configuration file (or, for the demo, the configuration itself). */
  configFile: string | { document: unknown };
  dictionary: DictionarySource;
  /** The audit log's key file; made in the data folder when not given. */
  auditKey?: string;
  /** Extra CA (PEM) trusted for vendor endpoints. */
  ca?: string;
  /** Retry pacing towards vendors (tests shorten it). */
  backoff?: { baseMs: number; maxMs: number };
  warn?: (message: string) => void;
  say?: (message: string) => void;
  /** Several replicas on one PostgreSQL: the audit log is sequenced by one of them at a time. */
  replicas?: ReplicaOptions;
}

export function readGatewayConfig(path: string): GatewayConfig {
  const text = readTextFile(path, "gateway configuration", 1 << 20);
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (err) {
    throw new CrosscheckError(
      "E_GATEWAY_CONFIG",
      `The gateway configuration ${path} is not JSON: ${(err as Error).message}.`,
    );
  }
  return parseGatewayConfig(document);
}

export async function startGatewayRuntime(
  options: GatewayRuntimeOptions,
): Promise<TelemetryGateway> {
  const say = options.say ?? ((message: string) => process.stderr.write(`${message}\n`));
  const config =
    typeof options.configFile === "string"
      ? readGatewayConfig(options.configFile)
      : parseGatewayConfig(options.configFile.document);
  const keyPath = options.auditKey ?? join(options.dataDir, "keys", "gateway-audit.key");
  if (!options.auditKey && !existsSync(keyPath)) {
    mkdirSync(join(options.dataDir, "keys"), { recursive: true, mode: 0o700 });
    const pair = generateNoteKey(`${config.name}/audit`);
    writeKeyFile(keyPath, pair.signerKey);
    writeFileSync(keyPath.replace(/\.key$/, ".vkey"), `${pair.verifierKey}\n`);
    say(`gateway: made the audit log key ${keyPath}`);
  }
  const auditLog = await TransparencyLog.open({
    database: options.database,
    signer: readSignerKeyFile(keyPath),
    replicas: options.replicas,
  });
  const keys = new Map<string, TenantKeys>();
  for (const tenant of config.tenants.values()) {
    const secret = loadTenantSecret(join(options.dataDir, "tenant-keys"), tenant.name, (path) =>
      say(
        `gateway: made the key of tenant ${tenant.name} in ${path}; give the tenant a copy to check its records in the audit log`,
      ),
    );
    keys.set(tenant.name, tenantKeys(secret));
  }
  const store = await openGatewayStore(options.database);
  const gateway = new TelemetryGateway({
    config,
    store,
    auditLog,
    dictionary: options.dictionary,
    keys,
    samplesDir: join(options.dataDir, "samples"),
    forwarder: { ca: options.ca, backoff: options.backoff },
    warn: options.warn,
    exclusiveSpool: options.database.kind === "sqlite",
  });
  await gateway.start();
  return gateway;
}
