/** `crosscheck bundle create`: logs a release's envelopes and proves them into one bundle. */
import { Command } from "commander";
import { readKeyFile } from "../../crypto/node.js";
import { LogClient } from "../../log/index.js";
import { addCosignatures, cosignatureSigner } from "../../merkle/index.js";
import { assembleBundle } from "../../releases/index.js";
import { writeFileDurably } from "../../store/index.js";
import { serializeBundle } from "../../verify/index.js";
import { readSecretFile } from "../options.js";
import { readEnvelope } from "./release.js";

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function bundleCommand(): Command {
  const bundle = new Command("bundle").description(
    "Bundles: what an offline endpoint needs to accept a release.",
  );
  bundle
    .command("create")
    .description(
      "Append the release, head and reviews to the log and prove them against its newest checkpoint.",
    )
    .requiredOption("--log <url>", "the log, e.g. http://127.0.0.1:8080/log")
    .requiredOption("--release <file>", "the release envelope")
    .requiredOption("--head <file>", "the channel head envelope")
    .option("--review <file>", "a review envelope (repeatable)", collect)
    .option("--token-file <file>", "bearer token for adds to the log")
    .option(
      "--cosign-with <file>",
      "cosign the checkpoint here with this witness key (repeatable) — for a witness you run yourself",
      collect,
    )
    .requiredOption("--out <file>", "where to write the bundle")
    .action(async (opts: BundleOptions) => {
      const token = opts.tokenFile ? readSecretFile(opts.tokenFile, "token") : undefined;
      const client = new LogClient(opts.log, { token });
      const cosigners = (opts.cosignWith ?? []).map((path) => cosignatureSigner(readKeyFile(path)));
      const result = await assembleBundle(
        {
          release: readEnvelope(opts.release, "release"),
          head: readEnvelope(opts.head, "head"),
          reviews: (opts.review ?? []).map((path) => readEnvelope(path, "review")),
        },
        {
          add: async (entry) => (await client.add(entry)).index,
          checkpoint: async () => {
            const note = await client.checkpoint();
            return cosigners.length > 0 ? addCosignatures(note, cosigners) : note;
          },
          tiles: client.tileSource,
        },
      );
      writeFileDurably(opts.out, serializeBundle(result));
      process.stdout.write(`${opts.out}\n`);
    });
  return bundle;
}

interface BundleOptions {
  log: string;
  release: string;
  head: string;
  review?: string[];
  tokenFile?: string;
  cosignWith?: string[];
  out: string;
}
