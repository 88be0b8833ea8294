/** `crosscheck log …`: run a log, add to one, read and prove from one, audit one. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SingleBar } from "cli-progress";
import { Command } from "commander";
import { bytesEqual, generateNoteKey, toBase64 } from "../../crypto/index.js";
import { readSignerKeyFile, writeKeyFile } from "../../crypto/node.js";
import { CrosscheckError } from "../../errors/index.js";
import {
  auditLog,
  LogClient,
  openCheckpoint,
  proveConsistency,
  proveInclusion,
  readLeafHash,
  TransparencyLog,
} from "../../log/index.js";
import {
  formatTlogProof,
  leafHash,
  MAX_ENTRY_SIZE,
  parseCheckpoint,
  verifyConsistency,
  verifyInclusion,
} from "../../merkle/index.js";
import { parseTlogPolicy, type TlogPolicy } from "../../policy/index.js";
import { createServer } from "../../server/index.js";
import {
  type Database,
  isPostgresUrl,
  openPostgres,
  openSqlite,
  redactUrl,
} from "../../store/index.js";
import { CosignatureCollector } from "../../witness/index.js";
import { parseCount, parsePort, readInput, readSecretFile } from "../options.js";

const DEFAULT_URL = "http://127.0.0.1:8080/log";
const DEFAULT_ORIGIN = "crosscheck.localhost/log";

export function logCommand(): Command {
  const log = new Command("log").description(
    "The transparency log: serve it, add to it, prove and audit it.",
  );

  log
    .command("serve")
    .description("Serve a log: the C2SP tlog-tiles read API and adds under http://HOST:PORT/log/.")
    .requiredOption("--data <dir>", "data folder (SQLite database and, by default, the log key)")
    .option("--port <port>", "port to listen on", parsePort, 8080)
    .option(
      "--host <host>",
      "address to listen on; beyond loopback a --token-file is required",
      "127.0.0.1",
    )
    .option("--database <url>", "postgres://… to keep the log in PostgreSQL instead of SQLite")
    .option("--log-key <file>", "the log's private key file (required with PostgreSQL)")
    .option("--key-passphrase-file <file>", "passphrase of an encrypted log key")
    .option(
      "--origin <name>",
      "the log's name, used only when its key is first created",
      DEFAULT_ORIGIN,
    )
    .option("--token-file <file>", "bearer token that adds must present")
    .option(
      "--witness-policy <file>",
      "C2SP tlog-policy naming this log, its witnesses (with URLs) and their quorum: serve only cosigned checkpoints",
    )
    .option("--max-batch <n>", "most entries integrated at once", parseCount("--max-batch"), 4096)
    .option(
      "--tiles-dir <dir>",
      "also write the checkpoint, tiles and entry bundles here in the C2SP layout, for nginx or a CDN to serve",
    )
    .action(async (opts: ServeOptions) => {
      await serve(opts);
    });

  log
    .command("vkey")
    .description("Print the log's verifier key.")
    .requiredOption("--data <dir>", "data folder")
    .option("--log-key <file>", "the log's private key file (default: DIR/log.key)")
    .option("--key-passphrase-file <file>", "passphrase of an encrypted log key")
    .action((opts: { data: string; logKey?: string; keyPassphraseFile?: string }) => {
      const signer = readSignerKeyFile(opts.logKey ?? join(opts.data, "log.key"), passphrase(opts));
      process.stdout.write(`${signer.verifierKey}\n`);
    });

  log
    .command("add")
    .description("Add an entry (a file, or standard input) and print its index.")
    .argument("[file]", "the entry; - or nothing for standard input")
    .option("--url <url>", "the log's URL", DEFAULT_URL)
    .option("--token-file <file>", "bearer token for adds")
    .option("--wait", "wait for integration and print the C2SP tlog-proof of inclusion")
    .option("--json", "print JSON")
    .action(
      async (
        file: string | undefined,
        opts: { url: string; tokenFile?: string; wait?: boolean; json?: boolean },
      ) => {
        const entry = await readInput(file, MAX_ENTRY_SIZE);
        const token = opts.tokenFile ? readSecretFile(opts.tokenFile, "token") : undefined;
        const result = await new LogClient(opts.url, { token }).add(entry, { wait: opts.wait });
        if (opts.json) print(result);
        else process.stdout.write(opts.wait && result.proof ? result.proof : `${result.index}\n`);
      },
    );

  log
    .command("checkpoint")
    .description("Print the log's signed checkpoint (verified when --vkey is given).")
    .option("--url <url>", "the log's URL", DEFAULT_URL)
    .option("--vkey <key>", "the log's verifier key")
    .action(async (opts: { url: string; vkey?: string }) => {
      const note = await new LogClient(opts.url).checkpoint();
      if (opts.vkey) openCheckpoint(note, opts.vkey);
      process.stdout.write(note);
    });

  log
    .command("prove-inclusion")
    .description(
      "Prove that entry INDEX is in the tree, as a C2SP tlog-proof, checked before printing.",
    )
    .requiredOption("--index <n>", "the entry's index", parseCount("--index"))
    .option("--entry <file>", "also check that this file is the entry at that index")
    .option("--url <url>", "the log's URL", DEFAULT_URL)
    .option("--vkey <key>", "the log's verifier key (checks the checkpoint's signature)")
    .action(async (opts: { index: number; entry?: string; url: string; vkey?: string }) => {
      const client = new LogClient(opts.url);
      const note = await client.checkpoint();
      const checkpoint = opts.vkey ? openCheckpoint(note, opts.vkey) : unverifiedCheckpoint(note);
      if (opts.index >= checkpoint.size) {
        throw new CrosscheckError(
          "E_PROOF_RANGE",
          `Index ${opts.index} is past the log's size ${checkpoint.size}.`,
        );
      }
      const proof = await proveInclusion(client.tileSource, opts.index, checkpoint.size);
      const leaf = await readLeafHash(client.tileSource, opts.index, checkpoint.size);
      if (opts.entry) {
        const entry = await readInput(opts.entry, MAX_ENTRY_SIZE);
        if (!bytesEqual(leafHash(entry), leaf)) {
          throw new CrosscheckError(
            "E_ENTRY_MISMATCH",
            `${opts.entry} is not the entry at index ${opts.index}.`,
          );
        }
      }
      verifyInclusion(leaf, opts.index, checkpoint.size, proof, checkpoint.root);
      process.stdout.write(formatTlogProof({ index: opts.index, proof, checkpoint: note }));
    });

  log
    .command("prove-consistency")
    .description(
      "Prove that the tree of size --old is a prefix of the current tree; prints the proof hashes.",
    )
    .requiredOption("--old <n>", "the earlier tree size", parseCount("--old"))
    .option("--old-root <base64>", "the earlier root: check the proof against it")
    .option("--url <url>", "the log's URL", DEFAULT_URL)
    .option("--vkey <key>", "the log's verifier key (checks the checkpoint's signature)")
    .option("--json", "print JSON")
    .action(
      async (opts: {
        old: number;
        oldRoot?: string;
        url: string;
        vkey?: string;
        json?: boolean;
      }) => {
        const client = new LogClient(opts.url);
        const note = await client.checkpoint();
        const checkpoint = opts.vkey ? openCheckpoint(note, opts.vkey) : unverifiedCheckpoint(note);
        const proof = await proveConsistency(client.tileSource, opts.old, checkpoint.size);
        if (opts.oldRoot) {
          const { fromBase64 } = await import("../../crypto/index.js");
          verifyConsistency(
            opts.old,
            checkpoint.size,
            proof,
            fromBase64(opts.oldRoot),
            checkpoint.root,
          );
        }
        const hashes = proof.map(toBase64);
        if (opts.json)
          print({ old: opts.old, new: checkpoint.size, proof: hashes, checkpoint: note });
        else process.stdout.write(`${hashes.join("\n")}${hashes.length ? "\n" : ""}`);
      },
    );

  log
    .command("verify")
    .description(
      "Audit a remote log through its read API: signature, every tile, sampled proofs, consistency.",
    )
    .argument("<url>", "the log's URL, e.g. http://127.0.0.1:8080/log")
    .requiredOption("--vkey <key>", "the log's verifier key")
    .option(
      "--state <file>",
      "checkpoint saved by an earlier run: prove consistency with it, then save the new one",
    )
    .option("--entries", "also fetch every entry bundle and re-hash every entry")
    .option("--samples <n>", "inclusion proofs to check", parseCount("--samples"), 64)
    .option("--json", "print the report as JSON")
    .action(async (url: string, opts: VerifyOptions) => {
      await verify(url, opts);
    });

  return log;
}

/** Reads the log's tlog-policy and checks that it names this log's own key. */
function readWitnessPolicy(path: string, verifierKey: string): TlogPolicy {
  const policy = parseTlogPolicy(readFileSync(path, "utf8"));
  if (policy.logs.length !== 1 || policy.logs[0]?.key !== verifierKey) {
    throw new CrosscheckError(
      "E_WITNESS_POLICY",
      `${path} must name exactly this log (log ${verifierKey}) and its witnesses.`,
    );
  }
  if (policy.witnesses.some((w) => !w.url)) {
    throw new CrosscheckError(
      "E_WITNESS_POLICY",
      `Every witness in ${path} needs a URL for the log to reach it.`,
    );
  }
  return policy;
}

/** Asks the witnesses to cosign every new checkpoint, and publishes those that meet the quorum. */
function startCollector(log: TransparencyLog, policy: TlogPolicy): CosignatureCollector {
  const collector = new CosignatureCollector({
    policy,
    consistencyProof: (size1, size2) => log.consistencyProof(size1, size2),
    publish: (note) => log.publishCosigned(note),
    warn: (message) => process.stderr.write(`${message}\n`),
  });
  log.subscribe((state) => collector.offer(state.checkpoint));
  collector.offer(log.latestCheckpoint());
  return collector;
}

interface ServeOptions {
  data: string;
  port: number;
  host: string;
  database?: string;
  logKey?: string;
  keyPassphraseFile?: string;
  origin: string;
  tokenFile?: string;
  maxBatch: number;
  witnessPolicy?: string;
  tilesDir?: string;
}

async function serve(opts: ServeOptions): Promise<void> {
  mkdirSync(opts.data, { recursive: true });
  const postgresUrl = opts.database && isPostgresUrl(opts.database) ? opts.database : undefined;
  if (opts.database && !postgresUrl) {
    throw new CrosscheckError(
      "E_USAGE",
      "--database takes a postgres:// URL; SQLite lives in --data.",
    );
  }
  const keyPath = opts.logKey ?? join(opts.data, "log.key");
  if (!opts.logKey && !existsSync(keyPath)) {
    if (postgresUrl) {
      throw new CrosscheckError(
        "E_KEY_MISSING",
        "A log in a shared PostgreSQL database needs its key given explicitly: make one with `crosscheck keygen` and pass --log-key.",
      );
    }
    // This process owns its data folder alone, so it may create the log's key (Decision 1).
    const { signerKey, verifierKey } = generateNoteKey(opts.origin);
    writeKeyFile(keyPath, signerKey);
    process.stderr.write(
      `Created the log key ${keyPath} for ${opts.origin}; verifier key:\n${verifierKey}\n`,
    );
  }
  const signer = readSignerKeyFile(keyPath, passphrase(opts));
  const token = opts.tokenFile ? readSecretFile(opts.tokenFile, "token") : undefined;

  const database: Database = postgresUrl
    ? await openPostgres(postgresUrl, { max: 8 })
    : openSqlite(join(opts.data, "crosscheck.sqlite"));
  const witnessPolicy = opts.witnessPolicy
    ? readWitnessPolicy(opts.witnessPolicy, signer.verifierKey)
    : undefined;
  const log = await TransparencyLog.open({
    database,
    signer,
    maxBatch: opts.maxBatch,
    witnessed: witnessPolicy !== undefined,
    tilesDir: opts.tilesDir,
  });
  const collector = witnessPolicy && startCollector(log, witnessPolicy);
  const app = await createServer({ log, host: opts.host, addToken: token });
  await app.listen({ host: opts.host, port: opts.port });
  const where = postgresUrl ? redactUrl(postgresUrl) : join(opts.data, "crosscheck.sqlite");
  process.stderr.write(
    `Serving log ${log.origin} (size ${log.state.size}, ${where}${opts.tilesDir ? `; tiles in ${opts.tilesDir}` : ""}) at http://${opts.host}:${opts.port}/log/\nVerifier key: ${log.verifierKey}\n`,
  );

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await app.close();
    await collector?.close();
    await log.close();
    await database.close();
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

interface VerifyOptions {
  vkey: string;
  state?: string;
  entries?: boolean;
  samples: number;
  json?: boolean;
}

async function verify(url: string, opts: VerifyOptions): Promise<void> {
  const previous =
    opts.state && existsSync(opts.state) ? readFileSync(opts.state, "utf8") : undefined;
  const bar =
    process.stderr.isTTY && !opts.json
      ? new SingleBar({ format: "tiles {bar} {value}/{total} {eta_formatted}", hideCursor: true })
      : undefined;
  let started = false;
  const report = await auditLog(new LogClient(url), {
    verifierKey: opts.vkey,
    previousCheckpoint: previous,
    entries: opts.entries,
    samples: opts.samples,
    onProgress: (done, total) => {
      if (!bar) return;
      if (!started) {
        bar.start(total, 0);
        started = true;
      }
      bar.update(done);
    },
  }).finally(() => bar?.stop());
  if (opts.state) writeFileSync(opts.state, report.checkpoint);
  if (opts.json) {
    print({ ...report, root: toBase64(report.root) });
    return;
  }
  const consistency =
    report.consistentWith === undefined
      ? "no earlier checkpoint"
      : `consistent with size ${report.consistentWith}`;
  process.stdout.write(
    `ok ${report.origin} size ${report.size}: ${report.tilesChecked} tiles, ${report.entriesChecked} entries, ${report.inclusionProofsChecked} inclusion proofs, ${consistency}\n`,
  );
}

function passphrase(opts: { keyPassphraseFile?: string }) {
  return {
    passphrase: opts.keyPassphraseFile
      ? readSecretFile(opts.keyPassphraseFile, "passphrase")
      : undefined,
  };
}

/** A checkpoint read without a key: good for looking, not for trusting. */
function unverifiedCheckpoint(note: string) {
  const body = note.slice(0, note.indexOf("\n\n") + 1);
  return parseCheckpoint(body);
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
