/**
 * Runs `crosscheck review sigdb …` as main.ts runs the program, with the command attached to a
 * `review` command of its own: the command's registration in program.ts belongs to another change.
 * Used by test/sigdb-cli.test.ts through vite-node.
 */
import { Command } from "commander";
import { reviewSigdbCommand } from "../../src/cli/commands/review-sigdb.js";
import { installNodeCrypto } from "../../src/crypto/node.js";
import { isCrosscheckError } from "../../src/errors/index.js";

installNodeCrypto();
const program = new Command("crosscheck").addCommand(
  new Command("review").addCommand(reviewSigdbCommand()),
);
// vite-node passes what follows `--` as the arguments after the script.
const argv = process.argv.slice(2);
try {
  await program.parseAsync(argv, { from: "user" });
} catch (err) {
  if (isCrosscheckError(err)) {
    process.stderr.write(`crosscheck: ${err.message} (${err.code})\n`);
    process.exitCode = 1;
  } else throw err;
}
