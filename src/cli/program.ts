import { Command } from "commander";
import { bundleCommand } from "./commands/bundle.js";
import { endpointCommand } from "./commands/endpoint.js";
import { gatewayCommand } from "./commands/gateway.js";
import { keygenCommand } from "./commands/keygen.js";
import { logCommand } from "./commands/log.js";
import { monitorCommand } from "./commands/monitor.js";
import { policyCommand } from "./commands/policy.js";
import { rebuildCommand } from "./commands/rebuild.js";
import { releaseCommand, reviewCommand } from "./commands/release.js";
import { serveCommand } from "./commands/serve.js";
import { updateCommand } from "./commands/update.js";
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
      .addCommand(serveCommand())
      .addCommand(keygenCommand())
      .addCommand(logCommand())
      .addCommand(policyCommand())
      .addCommand(releaseCommand())
      .addCommand(reviewCommand())
      .addCommand(rebuildCommand())
      .addCommand(bundleCommand())
      .addCommand(verifyCommand())
      .addCommand(updateCommand())
      .addCommand(endpointCommand())
      .addCommand(witnessCommand())
      .addCommand(gatewayCommand())
      .addCommand(monitorCommand())
  );
}
