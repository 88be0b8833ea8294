import { Command } from "commander";
import { bundleCommand } from "./commands/bundle.js";
import { keygenCommand } from "./commands/keygen.js";
import { logCommand } from "./commands/log.js";
import { policyCommand } from "./commands/policy.js";
import { releaseCommand, reviewCommand } from "./commands/release.js";
import { verifyCommand } from "./commands/verify.js";
import { witnessCommand } from "./commands/witness.js";

export function buildProgram(): Command {
  return (
    new Command("crosscheck")
      .description("Independent verification of security-software updates and telemetry.")
      .version("0.1.0")
      .showHelpAfterError()
      // Options like `release sign --version` belong to the subcommand, not to the program.
      .enablePositionalOptions()
      .addCommand(keygenCommand())
      .addCommand(logCommand())
      .addCommand(policyCommand())
      .addCommand(releaseCommand())
      .addCommand(reviewCommand())
      .addCommand(bundleCommand())
      .addCommand(verifyCommand())
      .addCommand(witnessCommand())
  );
}
