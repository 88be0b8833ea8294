/** `crosscheck keygen`: provisions a private key file and prints its verifier key (Decision 1). */
import { Command, Option } from "commander";
import {
  generateNoteKey,
  NOTE_KEY_TYPE_COSIGNATURE_V1,
  NOTE_KEY_TYPE_ED25519,
} from "../../crypto/index.js";
import { writeKeyFile } from "../../crypto/node.js";
import { readSecretFile } from "../options.js";

export function keygenCommand(): Command {
  return new Command("keygen")
    .description(
      "Make a key pair: writes the private key file (mode 0600) and prints the verifier key.",
    )
    .requiredOption(
      "--name <name>",
      "key name, e.g. example.com/log (the log's origin for a log key)",
    )
    .requiredOption(
      "--out <file>",
      "where to write the private key; an existing file is never overwritten",
    )
    .addOption(
      new Option(
        "--type <type>",
        "ed25519 for logs and vendors, witness for cosignature/v1 witness keys",
      )
        .choices(["ed25519", "witness"])
        .default("ed25519"),
    )
    .option("--passphrase-file <file>", "encrypt the private key with the passphrase in this file")
    .action((opts: { name: string; out: string; type: string; passphraseFile?: string }) => {
      const type = opts.type === "witness" ? NOTE_KEY_TYPE_COSIGNATURE_V1 : NOTE_KEY_TYPE_ED25519;
      const { signerKey, verifierKey } = generateNoteKey(opts.name, type);
      const passphrase = opts.passphraseFile
        ? readSecretFile(opts.passphraseFile, "passphrase")
        : undefined;
      writeKeyFile(opts.out, signerKey, { passphrase });
      process.stdout.write(`${verifierKey}\n`);
    });
}
