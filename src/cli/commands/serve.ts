/**
 * `crosscheck serve`: the Transparency Center's engine in one process — the release pipeline's
 * API under /api/v1 (docs at /api/docs), the log under /log, cosignature collection, and in the
 * demo three in-process witnesses. A fresh data folder becomes a demo (see ./demo.ts).
 */

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { ed25519EnvelopeSigner, parseEnvelope } from "../../attest/index.js";
import { readKeyFile, readSignerKeyFile } from "../../crypto/node.js";
import { CrosscheckError } from "../../errors/index.js";
import { TransparencyLog } from "../../log/index.js";
import { cosignatureSigner } from "../../merkle/index.js";
import { openPolicy, parseTlogPolicy, type TlogPolicy } from "../../policy/index.js";
import {
  ArtifactStore,
  DEFAULT_MAX_ARTIFACT_SIZE,
  openReleaseStore,
  ReleaseService,
} from "../../releases/index.js";
import { createServer } from "../../server/index.js";
import {
  type Database,
  isPostgresUrl,
  migrate,
  openPostgres,
  openSqlite,
  redactUrl,
} from "../../store/index.js";
import { CosignatureCollector, Witness, WitnessStore } from "../../witness/index.js";
import { parseCount, parsePort } from "../options.js";
import {
  createDemoFolder,
  demoInstructions,
  demoPaths,
  isDemoFolder,
  isFreshFolder,
  TOKEN_ROLES,
  WITNESSES,
} from "./demo.js";

interface ServeOptions {
  data: string;
  port: number;
  host: string;
  database?: string;
  init?: boolean;
  maxArtifactSize: number;
  writesPerMinute: number;
}

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
    .action(async (opts: ServeOptions) => {
      await serve(opts);
    });
}

async function serve(opts: ServeOptions): Promise<void> {
  const postgresUrl = opts.database && isPostgresUrl(opts.database) ? opts.database : undefined;
  if (opts.database && !postgresUrl) {
    throw new CrosscheckError(
      "E_USAGE",
      "--database takes a postgres:// URL; SQLite lives in --data.",
    );
  }
  const paths = demoPaths(opts.data);
  let created = false;
  if (!isDemoFolder(opts.data)) {
    if (postgresUrl && !opts.init) {
      throw new CrosscheckError(
        "E_KEY_MISSING",
        `A shared PostgreSQL database needs its keys given explicitly (Decision 1): ${opts.data} holds none. Create them once with \`crosscheck serve --init --data ${opts.data}\` (or provision them), then start again.`,
      );
    }
    if (!isFreshFolder(opts.data)) {
      throw new CrosscheckError(
        "E_DATA_FOLDER",
        `${opts.data} is neither empty nor a Crosscheck demo folder; give an empty or new --data folder.`,
      );
    }
    createDemoFolder(opts.data);
    created = true;
  }
  const url = `http://${opts.host.includes(":") ? `[${opts.host}]` : opts.host}:${opts.port}`;
  if (opts.init) {
    process.stdout.write(
      created
        ? `Created the demo folder ${opts.data}.\n${demoInstructions(opts.data, url)}`
        : `${opts.data} is already a demo folder.\n`,
    );
    return;
  }
  mkdirSync(opts.data, { recursive: true });
  const logSigner = readSignerKeyFile(join(paths.keys, "log.key"));
  const policy = openPolicy(parseEnvelope(readFileSync(paths.policy)), { now: new Date() });

  const database: Database = postgresUrl
    ? await openPostgres(postgresUrl, { max: 8 })
    : openSqlite(join(opts.data, "crosscheck.sqlite"));
  await migrate(database);
  const log = await TransparencyLog.open({ database, signer: logSigner, witnessed: true });
  const store = openReleaseStore(database);
  const now = new Date().toISOString();
  for (const file of existsSync(paths.tokens) ? readdirSync(paths.tokens) : []) {
    const name = file.replace(/\.token$/, "");
    const role = TOKEN_ROLES[name];
    if (!role || !file.endsWith(".token")) continue;
    const token = readFileSync(join(paths.tokens, file), "utf8").trim();
    await store.insertToken(
      createHash("sha256").update(token, "utf8").digest("hex"),
      role,
      name,
      now,
    );
  }

  // The demo witnesses: three cosigners in this process, each with its own state file.
  mkdirSync(join(opts.data, "witnesses"), { recursive: true });
  const witnessDatabases: Database[] = [];
  const demoWitnesses = [];
  for (const name of WITNESSES) {
    const wdb = openSqlite(join(opts.data, "witnesses", `${name}.sqlite`));
    await migrate(wdb);
    witnessDatabases.push(wdb);
    demoWitnesses.push({
      name,
      witness: new Witness({
        signer: cosignatureSigner(readKeyFile(join(paths.keys, `witness-${name}.key`))),
        logs: [log.verifierKey],
        store: new WitnessStore(wdb),
      }),
    });
  }
  const local = `http://127.0.0.1:${opts.port}`;
  const witnessPolicy: TlogPolicy = parseTlogPolicy(
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

  const service = new ReleaseService({
    store,
    log,
    policy,
    artifacts: new ArtifactStore(join(opts.data, "artifacts"), opts.maxArtifactSize),
    headSigner: ed25519EnvelopeSigner(readKeyFile(join(paths.keys, "vendor.key"))),
  });
  const app = await createServer({
    log,
    host: opts.host,
    releases: {
      service,
      tokens: (sha) => store.tokenRole(sha),
      writesPerMinute: opts.writesPerMinute,
    },
    demoWitnesses,
  });
  await app.listen({ host: opts.host, port: opts.port });
  const collector = new CosignatureCollector({
    policy: witnessPolicy,
    consistencyProof: (size1, size2) => log.consistencyProof(size1, size2),
    publish: (note) => log.publishCosigned(note),
    warn: (message) => process.stderr.write(`${message}\n`),
    retryMs: 1000,
  });
  log.subscribe((state) => collector.offer(state.checkpoint));
  collector.offer(log.latestCheckpoint());
  const requeued = await service.start();

  if (created) process.stdout.write(demoInstructions(opts.data, url));
  const where = postgresUrl ? redactUrl(postgresUrl) : join(opts.data, "crosscheck.sqlite");
  process.stderr.write(
    `Crosscheck serving at ${url} (demo; ${where}): API ${url}/api/v1, docs ${url}/api/docs, log ${url}/log/, demo witnesses ${url}/demo-witness/w1..w3${requeued ? `; re-queued ${requeued} analysis job(s)` : ""}\n`,
  );

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await app.close();
    await collector.close();
    await service.close();
    await log.close();
    await database.close();
    for (const wdb of witnessDatabases) await wdb.close();
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
