/**
 * `crosscheck verify`: what an endpoint runs before installing anything. The decision is
 * `verifyRelease` (pure, the same code the portal runs in the page); this command adds the
 * endpoint's memory: the pinned trust policy and the saved state in --state DIR, both replaced
 * atomically and only after the release was accepted.
 */
import { Command, Option } from "commander";
import { fromBase64 } from "../../crypto/index.js";
import { CrosscheckError } from "../../errors/index.js";
import { parseBundle, verifyRelease } from "../../verify/index.js";
import { loadEndpointMemory } from "../endpoint-memory.js";
import { hashFile, readTextFile } from "../files.js";

export function verifyCommand(): Command {
  return new Command("verify")
    .description(
      "Verify an artifact against its bundle, the trust policy and this endpoint's saved state.",
    )
    .requiredOption("--artifact <file>", "the artifact to install")
    .requiredOption("--bundle <file>", "its bundle")
    .requiredOption("--policy <file>", "the signed trust policy (pinned in --state on first use)")
    .requiredOption("--state <dir>", "this endpoint's state folder")
    .addOption(
      new Option("--channel <channel>", "the channel this endpoint updates")
        .choices(["product", "sigdb", "rules", "dictionary"])
        .makeOptionMandatory(),
    )
    .option("--region <region>", "the region this endpoint is in")
    .option(
      "--consistency <file>",
      "consistency proof from the saved checkpoint (JSON from `log prove-consistency --json`)",
    )
    .option("--json", "print the result as JSON")
    .action(async (opts: VerifyOptions) => {
      const now = new Date();
      const { policy, state, save } = loadEndpointMemory(opts.state, opts.policy, now);
      const bundle = parseBundle(readTextFile(opts.bundle, "bundle", 4 << 20));
      const consistencyProof = opts.consistency ? readConsistency(opts.consistency) : undefined;

      const result = verifyRelease({
        bundle,
        artifact: { sha256: (await hashFile(opts.artifact)).sha256 },
        policy,
        state,
        channel: opts.channel,
        region: opts.region,
        now,
        consistencyProof,
      });

      save(result.state);
      const summary = {
        accepted: true,
        channel: result.release.channel,
        version: result.release.version,
        artifact: result.artifact,
        release: result.releaseSha256,
        approvedBy: result.approvedBy,
        logSize: result.checkpoint.size,
        witnessTime: new Date(result.witnessTime * 1000).toISOString(),
        consistency: result.consistency,
      };
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
        return;
      }
      const note =
        result.consistency === "witness-quorum"
          ? " (no consistency proof given: relying on the witness quorum)"
          : "";
      process.stdout.write(
        `accepted ${summary.channel} ${summary.version} (${summary.artifact.name}), approved by ${summary.approvedBy.join(", ")}; log size ${summary.logSize}${note}\n`,
      );
    });
}

interface VerifyOptions {
  artifact: string;
  bundle: string;
  policy: string;
  state: string;
  channel: "product" | "sigdb" | "rules" | "dictionary";
  region?: string;
  consistency?: string;
  json?: boolean;
}

function readConsistency(path: string): Uint8Array[] {
  try {
    const parsed = JSON.parse(readTextFile(path, "consistency proof", 1 << 20)) as {
      proof?: unknown;
    };
    if (!Array.isArray(parsed.proof) || !parsed.proof.every((h) => typeof h === "string"))
      throw new Error();
    return (parsed.proof as string[]).map(fromBase64);
  } catch (err) {
    if (err instanceof CrosscheckError && err.code === "E_INPUT") throw err;
    throw new CrosscheckError(
      "E_CONSISTENCY_MALFORMED",
      `${path} is not a consistency proof; make one with \`crosscheck log prove-consistency --json\`.`,
    );
  }
}
