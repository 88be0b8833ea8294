import { mkdtempSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { Command } from "commander";
import {
  type Envelope,
  ed25519EnvelopeSigner,
  openRelease,
  parseEnvelope,
  type ReleasePredicate,
  serializeEnvelope,
  signStatement,
} from "../../attest/index.js";
import { readKeyFile } from "../../crypto/node.js";
import { CrosscheckError } from "../../errors/index.js";
import {
  type RebuildProgress,
  type RebuildResult,
  rebuildRelease,
  rebuildResultStatement,
} from "../../review/rebuild/index.js";
import { writeFileDurably } from "../../store/index.js";
import { hashFile, readTextFile } from "../files.js";
import { parseCount, readSecretFile } from "../options.js";
import { ServiceClient } from "./service-client.js";

export const EXIT_STATUS = { GOOD: 0, BAD: 2, FAIL: 3, UNKNOWN: 4 } as const;

/** Default bound on each artifact downloaded for comparison (4 GiB). */
const DEFAULT_MAX_DOWNLOAD = 4 * 1024 ** 3;

interface RebuildOptions {
  server?: string;
  release?: string;
  artifact: string[];
  key?: string;
  keyPassphraseFile?: string;
  organization?: string;
  builder: string;
  out?: string;
  log?: string;
  workDir?: string;
  timeout?: number;
  keepRebuilt?: string;
  buildUser?: { uid: number; gid: number };
  diffoscope: boolean;
  submit?: boolean;
  tokenFile?: string;
  maxArtifactSize: number;
  json?: boolean;
  quiet?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function rebuildCommand(): Command {
  return new Command("rebuild")
    .description(
      "Rebuild a release from the commit it names, compare every artifact bit for bit, and sign the result.",
    )
    .argument("[release]", "the release's envelope SHA-256, fetched from --server")
    .option("--server <url>", "the service to fetch the release (and its artifacts) from")
    .option("--release <file>", "a release envelope file, instead of fetching one")
    .option(
      "--artifact <file>",
      "a released file, named as in the release (repeatable; with --release)",
      collect,
      [],
    )
    .option("--key <file>", "the rebuilder's private key: sign the rebuild attestation")
    .option("--key-passphrase-file <file>", "passphrase of an encrypted key")
    .option("--organization <org>", "the rebuilding organisation, as the trust policy names it")
    .option("--builder <name>", "who or what rebuilt (recorded in the attestation)", hostname())
    .option(
      "--out <file>",
      "where to write the signed attestation (default rebuild-<version>.json)",
    )
    .option("--log <file>", "where to keep the build log (default rebuild-<version>.log)")
    .option("--work-dir <dir>", "parent of the temporary build folder (default: the system's)")
    .option("--timeout <seconds>", "cap on the recipe's time limit", parseCount("--timeout"))
    .option("--keep-rebuilt <dir>", "copy the rebuilt artifacts here")
    .option(
      "--build-user <uid:gid>",
      "run the build as this user (when running as root), e.g. 65534:65534 for nobody",
      parseUser,
    )
    .option("--no-diffoscope", "do not run diffoscope on differing artifacts")
    .option("--submit", "send the signed attestation to --server (needs --token-file)")
    .option("--token-file <file>", "the rebuilder's API token")
    .option(
      "--max-artifact-size <bytes>",
      "largest artifact downloaded for comparison",
      parseCount("--max-artifact-size"),
      DEFAULT_MAX_DOWNLOAD,
    )
    .option("--json", "print the result as JSON")
    .option("--quiet", "no progress on standard error")
    .action(async (id: string | undefined, opts: RebuildOptions) => {
      process.exitCode = await rebuild(id, opts);
    });
}

async function rebuild(id: string | undefined, opts: RebuildOptions): Promise<number> {
  checkUsage(id, opts);
  const signer = opts.key
    ? ed25519EnvelopeSigner(
        readKeyFile(opts.key, {
          passphrase: opts.keyPassphraseFile
            ? readSecretFile(opts.keyPassphraseFile, "passphrase")
            : undefined,
        }),
      )
    : undefined;
  const downloads = mkdtempSync(join(tmpdir(), "crosscheck-rebuild-artifacts-"));
  try {
    const input = id
      ? await fromServer(id, opts, downloads)
      : await fromFiles(opts.release as string, opts.artifact);
    const { predicate, envelopeSha256 } = input;
    const stem = `rebuild-${predicate.channel}-${predicate.version}`;
    const say = (text: string) => {
      if (!opts.quiet) process.stderr.write(`${text}\n`);
    };
    say(
      `rebuilding ${predicate.channel} ${predicate.version} from ${predicate.source?.repository ?? "?"} at ${predicate.source?.commit ?? "?"}`,
    );
    const result = await rebuildRelease({
      release: predicate,
      releaseSha256: envelopeSha256,
      releasedFiles: input.files,
      logPath: resolve(opts.log ?? `${stem}.log`),
      workDir: opts.workDir,
      maxTimeoutSeconds: opts.timeout,
      diffoscope: opts.diffoscope ? undefined : false,
      keepRebuilt: opts.keepRebuilt,
      buildUser: opts.buildUser,
      progress: (p) => say(progressLine(p)),
    });

    let attestation: { path: string; envelope: Envelope } | undefined;
    if (signer) {
      const statement = rebuildResultStatement(result, {
        organization: opts.organization as string,
        builder: opts.builder,
      });
      const envelope = signStatement(statement, signer);
      const path = resolve(opts.out ?? `${stem}.json`);
      writeFileDurably(path, `${JSON.stringify(envelope, null, 2)}\n`);
      attestation = { path, envelope };
    }
    let submitted: { status: string } | undefined;
    if (opts.submit && attestation) {
      const api = new ServiceClient(
        opts.server as string,
        readSecretFile(opts.tokenFile as string, "token"),
      );
      const answer = await api.json<{ release: { status: string } }>(
        "POST",
        `/releases/${envelopeSha256}/rebuilds`,
        { rebuild: JSON.parse(serializeEnvelope(attestation.envelope)) },
      );
      submitted = { status: answer.release.status };
    }
    process.stdout.write(
      opts.json
        ? `${JSON.stringify(summary(result, attestation?.path, submitted), null, 2)}\n`
        : readable(result, attestation?.path, submitted),
    );
    return EXIT_STATUS[result.status];
  } finally {
    rmSync(downloads, { recursive: true, force: true });
  }
}

function parseUser(value: string): { uid: number; gid: number } {
  const match = /^(\d{1,10}):(\d{1,10})$/.exec(value);
  if (!match)
    throw new CrosscheckError(
      "E_USAGE",
      `--build-user takes UID:GID, got ${JSON.stringify(value)}.`,
    );
  return { uid: Number(match[1]), gid: Number(match[2]) };
}

function checkUsage(id: string | undefined, opts: RebuildOptions): void {
  const usage = (message: string) => new CrosscheckError("E_USAGE", message);
  if (id && !/^[0-9a-f]{64}$/.test(id)) {
    throw usage("The release is named by its envelope's SHA-256: 64 lower-case hex digits.");
  }
  if (!id === !opts.release) {
    throw usage("Give either a release digest (with --server) or --release FILE, not both.");
  }
  if (id && !opts.server) throw usage("Fetching a release by its digest needs --server.");
  if (opts.key && !opts.organization) {
    throw usage("Signing needs --organization, the rebuilding organisation the policy names.");
  }
  if (opts.submit && (!opts.key || !opts.server || !opts.tokenFile)) {
    throw usage("--submit needs --key (to sign), --server and --token-file.");
  }
}

interface RebuildInput {
  predicate: ReleasePredicate;
  envelopeSha256: string;
  files: Record<string, string>;
}

async function fromFiles(releaseFile: string, artifacts: string[]): Promise<RebuildInput> {
  const envelope = parseEnvelope(readTextFile(releaseFile, "release envelope", 1 << 20));
  const opened = openRelease(envelope, []);
  const files: Record<string, string> = {};
  for (const path of artifacts) {
    const name = basename(path);
    const listed = opened.predicate.artifacts.find((a) => a.name === name);
    if (!listed) {
      throw new CrosscheckError(
        "E_ARTIFACT_MISMATCH",
        `${path}: the release lists no artifact named ${name}.`,
      );
    }
    if ((await hashFile(path)).sha256 !== listed.sha256) {
      throw new CrosscheckError(
        "E_ARTIFACT_MISMATCH",
        `${path} is not the released ${name}: its SHA-256 differs from the one the release lists.`,
      );
    }
    files[name] = path;
  }
  return { predicate: opened.predicate, envelopeSha256: opened.envelopeSha256, files };
}

async function fromServer(
  id: string,
  opts: RebuildOptions,
  downloads: string,
): Promise<RebuildInput> {
  const api = new ServiceClient(opts.server as string);
  const detail = await api.json<{ envelope: Envelope }>("GET", `/releases/${id}`);
  const opened = openRelease(parseEnvelope(JSON.stringify(detail.envelope)), []);
  if (opened.envelopeSha256 !== id) {
    throw new CrosscheckError(
      "E_SERVICE",
      `The service answered release ${id} with another envelope (${opened.envelopeSha256}).`,
    );
  }
  // The released files, to explain a difference; the verdict itself needs only their digests.
  const files: Record<string, string> = {};
  for (const [i, artifact] of opened.predicate.artifacts.entries()) {
    if (artifact.size > opts.maxArtifactSize) continue;
    const path = join(downloads, String(i));
    const { sha256: got } = await api.downloadTo(artifact.sha256, artifact.size, path);
    if (got === artifact.sha256) files[artifact.name] = path;
  }
  return { predicate: opened.predicate, envelopeSha256: id, files };
}

function progressLine(p: RebuildProgress): string {
  const seconds = Math.round(p.elapsedMs / 1000);
  const output =
    p.phase === "build" && p.outputBytes > 0 ? `, ${p.outputBytes} bytes of output` : "";
  return `rebuild [${p.phase} ${seconds} s${output}] ${p.message}`;
}

function summary(
  result: RebuildResult,
  attestation: string | undefined,
  submitted: { status: string } | undefined,
) {
  return {
    status: result.status,
    reason: result.reason,
    release: result.release,
    source: result.source,
    artifacts: result.artifacts,
    differences: result.differences,
    diffoscope: result.diffoscope.map((d) => ({ artifact: d.artifact, report: d.path })),
    environment: result.environment,
    log: result.log,
    cleaned: result.cleaned,
    ...(attestation ? { attestation } : {}),
    ...(submitted ? { submitted } : {}),
  };
}

function readable(
  result: RebuildResult,
  attestation: string | undefined,
  submitted: { status: string } | undefined,
): string {
  const lines = [
    `${result.status} ${result.release.channel} ${result.release.version}${result.reason ? `: ${result.reason}` : ": every artifact rebuilt bit for bit"}`,
  ];
  for (const a of result.artifacts) {
    const mark = a.rebuiltSha256 === a.sha256 ? "same" : a.rebuiltSha256 ? "DIFFERS" : "not built";
    lines.push(
      `  ${mark.padEnd(9)} ${a.name}  released ${a.sha256}  rebuilt ${a.rebuiltSha256 ?? "-"}`,
    );
  }
  for (const d of result.differences.slice(0, 40)) {
    lines.push(
      `  ${d.kind.padEnd(13)} ${d.artifact}${d.member ? ` ${d.member}` : ""}: ${d.detail}`,
    );
  }
  if (result.differences.length > 40) {
    lines.push(`  … ${result.differences.length - 40} more differences in the log`);
  }
  for (const d of result.diffoscope) lines.push(`diffoscope report of ${d.artifact}: ${d.path}`);
  lines.push(`log: ${result.log.path} (sha256 ${result.log.sha256})`);
  if (attestation) lines.push(`attestation: ${attestation}`);
  if (submitted) lines.push(`submitted; the release is now ${submitted.status}`);
  return `${lines.join("\n")}\n`;
}
