/** `crosscheck endpoint …`: what an endpoint can tell others about what it saw (gossip). */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { CrosscheckError } from "../../errors/index.js";
import { parseEndpointState } from "../../verify/index.js";
import { readTextFile } from "../files.js";

export function endpointCommand(): Command {
  const endpoint = new Command("endpoint").description(
    "An endpoint's saved state, for gossip with monitors.",
  );
  endpoint
    .command("checkpoint")
    .description(
      "Print the newest checkpoint this endpoint accepted, to compare with others' (`monitor compare`).",
    )
    .requiredOption(
      "--state <dir>",
      "the endpoint's state folder (as given to `crosscheck verify`)",
    )
    .action((opts: { state: string }) => {
      const path = join(opts.state, "state.json");
      if (!existsSync(path)) {
        throw new CrosscheckError(
          "E_STATE_MISSING",
          `${path} does not exist: this endpoint has not accepted anything yet.`,
        );
      }
      const state = parseEndpointState(readTextFile(path, "endpoint state"));
      if (!state.checkpoint) {
        throw new CrosscheckError(
          "E_STATE_MISSING",
          "This endpoint has not saved a checkpoint yet.",
        );
      }
      process.stdout.write(state.checkpoint);
    });
  return endpoint;
}
