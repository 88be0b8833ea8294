/**
 * `crosscheck update`: what an endpoint runs against the service. Fetch the channel's newest
 * published release and its bundle, download each artifact to a temporary file beside its target
 * (bounded by the size the release states, hashed while streaming), verify everything with
 * `verifyRelease`, then rename into place and save the state, each atomically. A refused update
 * removes its temporary files and leaves the installed artifacts and the state as they were.
 */
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream, mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Command, Option } from "commander";
import { parseNote } from "../../crypto/index.js";
import { CrosscheckError } from "../../errors/index.js";
import { LogClient, proveConsistency } from "../../log/index.js";
import { parseCheckpoint } from "../../merkle/index.js";
import { parseBundle, verifyRelease } from "../../verify/index.js";
import { loadEndpointMemory } from "../endpoint-memory.js";
import { ServiceClient } from "./service-client.js";

interface UpdateOptions {
  server: string;
  channel: "product" | "sigdb" | "rules" | "dictionary";
  policy: string;
  state: string;
  install: string;
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
    .option("--json", "print the result as JSON")
    .action(async (opts: UpdateOptions) => {
      await update(opts);
    });
}

async function update(opts: UpdateOptions): Promise<void> {
  const now = new Date();
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
  const release = JSON.parse(
    Buffer.from(bundle.release.envelope.payload, "base64").toString("utf8"),
  ) as { predicate: { artifacts: { name: string; size: number; sha256: string }[] } };

  mkdirSync(opts.install, { recursive: true });
  const temps: { temp: string; target: string }[] = [];
  try {
    let result: ReturnType<typeof verifyRelease> | undefined;
    for (const artifact of release.predicate.artifacts) {
      if (artifact.name.includes("/") || artifact.name.startsWith(".")) {
        throw new CrosscheckError(
          "E_ARTIFACT_NAME",
          `Refusing to install an artifact named ${JSON.stringify(artifact.name)}.`,
        );
      }
      const temp = join(opts.install, `.${artifact.name}.${randomBytes(6).toString("hex")}.tmp`);
      temps.push({ temp, target: join(opts.install, artifact.name) });
      const sha256 = await download(api, artifact.sha256, artifact.size, temp);
      result = verifyRelease({
        bundle,
        artifact: { sha256 },
        policy: memory.policy,
        state: memory.state,
        channel: opts.channel,
        now,
        consistencyProof,
      });
    }
    if (!result)
      throw new CrosscheckError("E_ARTIFACT_MISMATCH", "The release lists no artifacts.");
    for (const { temp, target } of temps) renameSync(temp, target);
    memory.save(result.state);
    const summary = {
      installed: true,
      channel: result.release.channel,
      version: result.release.version,
      release: result.releaseSha256,
      artifacts: release.predicate.artifacts.map((a) => a.name),
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

/** Streams the artifact to `temp`, refusing more than `size` bytes; returns its SHA-256. */
async function download(
  api: ServiceClient,
  sha256: string,
  size: number,
  temp: string,
): Promise<string> {
  const { body } = await api.download(sha256);
  const hash = createHash("sha256");
  let received = 0;
  const bound = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      received += chunk.length;
      if (received > size) {
        return done(
          new CrosscheckError(
            "E_ARTIFACT_MISMATCH",
            `The download is longer than the ${size} bytes the release states.`,
          ),
        );
      }
      hash.update(chunk);
      done(null, chunk);
    },
  });
  await pipeline(
    Readable.fromWeb(body as import("node:stream/web").ReadableStream),
    bound,
    createWriteStream(temp, { flags: "wx" }),
  );
  return hash.digest("hex");
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
