import { Command } from "commander";
import { keygenCommand } from "./commands/keygen.js";
import { logCommand } from "./commands/log.js";

export function buildProgram(): Command {
  return new Command("crosscheck")
    .description("Independent verification of security-software updates and telemetry.")
    .version("0.1.0")
    .showHelpAfterError()
    .addCommand(keygenCommand())
    .addCommand(logCommand());
}
