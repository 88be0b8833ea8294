/** `crosscheck witness …`: run a C2SP tlog-witness, and read the evidence it kept. */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { readKeyFile } from "../../crypto/node.js";
import { cosignatureSigner } from "../../merkle/index.js";
import { createWitnessServer } from "../../server/index.js";
import { migrate, openSqlite } from "../../store/index.js";
import { Witness, WitnessStore } from "../../witness/index.js";
import { parsePort, readSecretFile } from "../options.js";

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function witnessCommand(): Command {
  const witness = new Command("witness").description(
    "A witness: cosigns checkpoints that extend what it saw.",
  );

  witness
    .command("serve")
    .description("Serve POST /add-checkpoint for the logs given with --log.")
    .requiredOption("--data <dir>", "the witness's state folder (SQLite)")
    .requiredOption(
      "--key <file>",
      "the witness's cosignature/v1 private key (`crosscheck keygen --type witness`)",
    )
    .option("--key-passphrase-file <file>", "passphrase of an encrypted key")
    .requiredOption(
      "--log <vkey>",
      "verifier key of a log to witness (repeatable); its name is the log's origin",
      collect,
    )
    .option("--port <port>", "port to listen on", parsePort, 8090)
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .action(async (opts: ServeOptions) => {
      mkdirSync(opts.data, { recursive: true });
      const passphrase = opts.keyPassphraseFile
        ? readSecretFile(opts.keyPassphraseFile, "passphrase")
        : undefined;
      const signer = cosignatureSigner(readKeyFile(opts.key, { passphrase }));
      const database = openSqlite(join(opts.data, "witness.sqlite"));
      await migrate(database);
      const w = new Witness({ signer, logs: opts.log, store: new WitnessStore(database) });
      const app = await createWitnessServer({ witness: w });
      await app.listen({ host: opts.host, port: opts.port });
      process.stderr.write(
        `Witness ${signer.name} serving http://${opts.host}:${opts.port}/add-checkpoint for ${opts.log.length} log(s)\nVerifier key: ${signer.verifierKey}\n`,
      );
      const stop = async () => {
        await app.close();
        await database.close();
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });

  witness
    .command("evidence")
    .description(
      "Print the refused checkpoints the witness kept as evidence (JSON): each with the log's signatures only.",
    )
    .requiredOption("--data <dir>", "the witness's state folder")
    .action(async (opts: { data: string }) => {
      const database = openSqlite(join(opts.data, "witness.sqlite"));
      await migrate(database);
      process.stdout.write(`${JSON.stringify(new WitnessStore(database).evidence(), null, 2)}\n`);
      await database.close();
    });

  return witness;
}

interface ServeOptions {
  data: string;
  key: string;
  keyPassphraseFile?: string;
  log: string[];
  port: number;
  host: string;
}
