#!/usr/bin/env node
/** The `crosscheck` command. Errors print their sentence (and code) and exit non-zero. */
import { installNodeCrypto } from "../crypto/node.js";
import { isCrosscheckError } from "../errors/index.js";
import { buildProgram } from "./program.js";

installNodeCrypto();

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
