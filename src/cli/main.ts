#!/usr/bin/env node
/** The `crosscheck` command. Errors print their sentence (and code) and exit non-zero. */
import { installNodeCrypto } from "../crypto/node.js";
import { isCrosscheckError } from "../errors/index.js";
import { buildProgram } from "./program.js";

installNodeCrypto();

// `crosscheck … | head` closes the pipe early; that is the reader's choice, not a failure.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(0);
  throw err;
});

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  if (isCrosscheckError(err)) {
    process.stderr.write(`crosscheck: ${err.message} (${err.code})\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(
      `crosscheck: unexpected failure: ${(err as Error)?.stack ?? String(err)}\n`,
    );
    process.exitCode = 70;
  }
}
