/**
 * `crosscheck update`: what an endpoint runs against the service. Fetch the channel's newest
 * published release and its bundle, verify the bundle with `verifyRelease` before fetching a byte
 * of any artifact, then download exactly the artifacts the verified release lists, each to a
 * temporary file beside its target, bounded (by the size the release states and by
 * --max-artifact-size) and hashed while streaming; a file is kept only when its SHA-256 and size
 * are the ones listed for its name. Then rename into place and save the state, each atomically. A
 * refused update removes its temporary files and leaves the installed artifacts and the state as
 * they were.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Command, Option } from "commander";
import { openRelease } from "../../attest/index.js";
import { parseNote } from "../../crypto/index.js";
import { CrosscheckError } from "../../errors/index.js";
import { LogClient, proveConsistency } from "../../log/index.js";
import { parseCheckpoint } from "../../merkle/index.js";
import { type Bundle, parseBundle, verifyRelease } from "../../verify/index.js";
import { loadEndpointMemory } from "../endpoint-memory.js";
import { parseCount } from "../options.js";
import { ServiceClient } from "./service-client.js";

/** Default bound on each artifact download (4 GiB). */
export const DEFAULT_MAX_DOWNLOAD = 4 * 1024 ** 3;

export interface UpdateOptions {
  server: string;
  channel: "product" | "sigdb" | "rules" | "dictionary";
  policy: string;
  state: string;
  install: string;
  maxArtifactSize: number;
  json?: boolean;
}

export function updateCommand(): Command {
  return new Command("update")
    .description("Fetch, verify and atomically install the channel's newest published release.")
    .requiredOption("--server <url>", "the service, e.g. http://127.0.0.1:8080")
    .addOption(
      new Option("--channel <channel>", "the channel this endpoint updates")
        .choices(["product", "sigdb", "rules", "dictionary"])
        .makeOptionMandatory(),
    )
    .requiredOption("--policy <file>", "the signed trust policy (pinned in --state on first use)")
    .requiredOption("--state <dir>", "this endpoint's state folder")
    .requiredOption("--install <dir>", "where the artifacts are installed")
    .option(
      "--max-artifact-size <bytes>",
      "largest artifact this endpoint downloads",
      parseCount("--max-artifact-size"),
      DEFAULT_MAX_DOWNLOAD,
    )
    .option("--json", "print the result as JSON")
    .action(async (opts: UpdateOptions) => {
      await update(opts);
    });
}

/** `now` is the endpoint's clock (tests pass their own). */
export async function update(opts: UpdateOptions, now = new Date()): Promise<void> {
  const memory = loadEndpointMemory(opts.state, opts.policy, now);
  const api = new ServiceClient(opts.server);
  const latest = await api.json<{ envelopeSha256: string; version: string }>(
    "GET",
    `/channels/${opts.channel}/latest`,
  );
  const installed = memory.state.channels[opts.channel];
  if (installed?.releaseSha256 === latest.envelopeSha256) {
    process.stdout.write(`up to date: ${opts.channel} ${installed.version}\n`);
    return;
  }
  const bundle = parseBundle(await api.text(`/channels/${opts.channel}/bundle`));
  const consistencyProof = await consistency(
    opts.server,
    memory.state.checkpoint,
    bundle.checkpoint,
  );

  // Verify everything before downloading anything: an unverified bundle must not make this
  // endpoint fetch (or write) a byte. The release's first artifact stands for the others here;
  // each file is then held to its own listed digest and size.
  const result = verifyRelease({
    bundle,
    artifact: { sha256: firstListedDigest(bundle) },
    policy: memory.policy,
    state: memory.state,
    channel: opts.channel,
    now,
    consistencyProof,
  });
  const artifacts = result.release.artifacts;
  for (const artifact of artifacts) {
    checkArtifactName(artifact.name);
    if (artifact.size > opts.maxArtifactSize) {
      throw new CrosscheckError(
        "E_ARTIFACT_TOO_LARGE",
        `The artifact ${artifact.name} is ${artifact.size} bytes, more than --max-artifact-size ${opts.maxArtifactSize}; raise the bound if this is expected.`,
      );
    }
  }

  mkdirSync(opts.install, { recursive: true });
  const temps: { temp: string; target: string }[] = [];
  try {
    for (const artifact of artifacts) {
      const temp = join(opts.install, `.${artifact.name}.${randomBytes(6).toString("hex")}.tmp`);
      temps.push({ temp, target: join(opts.install, artifact.name) });
      const got = await api.downloadTo(artifact.sha256, artifact.size, temp, 0o644);
      if (got.sha256 !== artifact.sha256 || got.size !== artifact.size) {
        throw new CrosscheckError(
          "E_ARTIFACT_MISMATCH",
          `The download of ${artifact.name} (${got.size} bytes, sha256 ${got.sha256.slice(0, 16)}…) is not the reviewed file the release lists (${artifact.size} bytes, sha256 ${artifact.sha256.slice(0, 16)}…).`,
        );
      }
    }
    for (const { temp, target } of temps) renameSync(temp, target);
    memory.save(result.state);
    const summary = {
      installed: true,
      channel: result.release.channel,
      version: result.release.version,
      release: result.releaseSha256,
      artifacts: artifacts.map((a) => a.name),
      approvedBy: result.approvedBy,
      logSize: result.checkpoint.size,
      consistency: result.consistency,
    };
    process.stdout.write(
      opts.json
        ? `${JSON.stringify(summary, null, 2)}\n`
        : `installed ${summary.channel} ${summary.version} (${summary.artifacts.join(", ")}) into ${opts.install}, approved by ${summary.approvedBy.join(", ")}; log size ${summary.logSize}\n`,
    );
  } finally {
    for (const { temp } of temps) rmSync(temp, { force: true });
  }
}

/** The first artifact digest the bundle's release lists; "" when unreadable (the verifier says why). */
function firstListedDigest(bundle: Bundle): string {
  try {
    return openRelease(bundle.release.envelope, []).predicate.artifacts[0]?.sha256 ?? "";
  } catch {
    return "";
  }
}

/** An artifact's name becomes a file in --install: it must name a file there and nothing else. */
export function checkArtifactName(name: string): void {
  if (
    name === "" ||
    name === "." ||
    name.includes("/") ||
    name.includes("\\") ||
    name.includes("..") ||
    name.includes("\0")
  ) {
    throw new CrosscheckError(
      "E_ARTIFACT_NAME",
      `Refusing to install an artifact named ${JSON.stringify(name)}: an artifact's name must be a plain file name.`,
    );
  }
}

/** Decision 8: the consistency proof from the saved checkpoint to the bundle's, from the log's tiles. */
async function consistency(
  server: string,
  saved: string | undefined,
  note: string,
): Promise<Uint8Array[] | undefined> {
  if (!saved) return undefined;
  const old = parseCheckpoint(parseNote(saved).text);
  const current = parseCheckpoint(parseNote(note).text);
  if (old.origin !== current.origin || old.size >= current.size || old.size === 0) return undefined;
  const log = new LogClient(`${server.replace(/\/+$/, "")}/log`);
  return proveConsistency(log.tileSource, old.size, current.size);
}
