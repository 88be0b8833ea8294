/**
 * The vendor's and reviewers' side of the service: `release submit`, and `review list | show |
 * approve | reject`. Everything is signed here, where the key lives (Decision 17); the service
 * only receives signed envelopes.
 */
import { basename } from "node:path";
import { Command, Option } from "commander";
import {
  type Envelope,
  ed25519EnvelopeSigner,
  type ReleasePredicate,
  signHead,
  signRelease,
  signReview,
} from "../../attest/index.js";
import { readKeyFile } from "../../crypto/node.js";
import { CrosscheckError } from "../../errors/index.js";
import { hashFile } from "../files.js";
import { readSecretFile } from "../options.js";
import { ServiceClient } from "./service-client.js";

const collect = (value: string, previous: string[] = []) => [...previous, value];
const rfc3339 = (date: Date) => date.toISOString().replace(/\.\d+Z$/, "Z");

interface Summary {
  envelopeSha256: string;
  channel: string;
  version: string;
  status: string;
  reportSha256: string | null;
  artifacts: { name: string; size: number; sha256: string }[];
}

function signer(opts: { key: string; keyPassphraseFile?: string }) {
  const passphrase = opts.keyPassphraseFile
    ? readSecretFile(opts.keyPassphraseFile, "passphrase")
    : undefined;
  return ed25519EnvelopeSigner(readKeyFile(opts.key, { passphrase }));
}

function client(opts: { server: string; tokenFile?: string }): ServiceClient {
  return new ServiceClient(
    opts.server,
    opts.tokenFile ? readSecretFile(opts.tokenFile, "token") : undefined,
  );
}

export function releaseSubmitCommand(): Command {
  return new Command("submit")
    .description(
      "Sign a release and its channel head here, upload the artifacts, and submit it to the service.",
    )
    .requiredOption("--server <url>", "the service, e.g. http://127.0.0.1:8080")
    .requiredOption("--token-file <file>", "the vendor's API token")
    .addOption(
      new Option("--channel <channel>", "release channel")
        .choices(["product", "sigdb", "rules", "dictionary"])
        .makeOptionMandatory(),
    )
    .requiredOption(
      "--version <version>",
      "dot-separated numbers, above the channel's newest release",
    )
    .requiredOption("--artifact <file>", "an artifact of the release (repeatable)", collect)
    .option("--source <repo@commit>", "where the artifacts were built from")
    .option("--build-recipe <text>", "how to rebuild the artifacts")
    .option(
      "--head-expires <seconds>",
      "lifetime of the channel head in seconds (default: the policy's)",
    )
    .requiredOption("--key <file>", "the vendor's private key file")
    .option("--key-passphrase-file <file>", "passphrase of an encrypted key")
    .option("--json", "print JSON")
    .action(async (opts: SubmitOptions) => {
      const api = client(opts);
      const vendor = signer(opts);
      const channelInfo = await api.json<{ newestSubmitted: Summary | null }>(
        "GET",
        `/channels/${opts.channel}`,
      );
      const policy = await api.json<{ payload: string }>("GET", "/policy");
      const document = JSON.parse(Buffer.from(policy.payload, "base64").toString("utf8")) as {
        channels: Record<string, { headExpiry: number } | undefined>;
      };
      const artifacts = [];
      for (const path of opts.artifact)
        artifacts.push({ name: basename(path), path, ...(await hashFile(path)) });
      let source: { repository: string; commit: string } | undefined;
      if (opts.source) {
        const at = opts.source.lastIndexOf("@");
        if (at <= 0) throw new CrosscheckError("E_USAGE", "--source takes REPOSITORY@COMMIT.");
        source = { repository: opts.source.slice(0, at), commit: opts.source.slice(at + 1) };
      }
      const newest = channelInfo.newestSubmitted;
      const predicate = {
        channel: opts.channel,
        version: opts.version,
        artifacts: artifacts.map((a) => ({ name: a.name, size: a.size, sha256: a.sha256 })),
        ...(source ? { source } : {}),
        ...(opts.buildRecipe ? { build: { recipe: opts.buildRecipe } } : {}),
        previous: newest ? { envelopeSha256: newest.envelopeSha256 } : null,
        audience: "everyone",
        published: rfc3339(new Date()),
      } as ReleasePredicate;
      const release = signRelease(predicate, vendor);
      const { envelopeSha256 } = (await import("../../attest/index.js")).openRelease(release, []);
      const issued = new Date(Math.floor(Date.now() / 1000) * 1000);
      const lifetime = Number(
        opts.headExpires ?? document.channels[opts.channel]?.headExpiry ?? 86400,
      );
      const head = signHead(
        {
          channel: opts.channel,
          version: opts.version,
          release: { envelopeSha256 },
          issued: rfc3339(issued),
          expires: rfc3339(new Date(issued.getTime() + lifetime * 1000)),
        },
        vendor,
      );
      for (const a of artifacts) await api.upload(a.path, a.sha256);
      const result = await api.json<{ release: Summary; duplicate: boolean }>("POST", "/releases", {
        release,
        head,
      });
      if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else
        process.stdout.write(
          `submitted ${result.release.channel} ${result.release.version}: ${result.release.envelopeSha256} (${result.release.status})\n`,
        );
    });
}

interface SubmitOptions {
  server: string;
  tokenFile: string;
  channel: ReleasePredicate["channel"];
  version: string;
  artifact: string[];
  source?: string;
  buildRecipe?: string;
  headExpires?: string;
  key: string;
  keyPassphraseFile?: string;
  json?: boolean;
}

/** Adds `list`, `show`, `approve`, `reject` to `crosscheck review`. */
export function addServiceReviewCommands(review: Command): void {
  review
    .command("list")
    .description("List releases waiting for review (or --status).")
    .requiredOption("--server <url>", "the service")
    .option("--status <status>", "analyzing, in-review, published or rejected", "in-review")
    .option("--json", "print JSON")
    .action(async (opts: { server: string; status: string; json?: boolean }) => {
      const { releases } = await client(opts).json<{ releases: Summary[] }>(
        "GET",
        `/releases?status=${encodeURIComponent(opts.status)}&limit=500`,
      );
      if (opts.json) return void process.stdout.write(`${JSON.stringify(releases, null, 2)}\n`);
      for (const r of releases)
        process.stdout.write(`${r.envelopeSha256}  ${r.channel} ${r.version}  ${r.status}\n`);
      if (releases.length === 0) process.stdout.write(`no releases ${opts.status}\n`);
    });

  review
    .command("show")
    .description("Show a release, its analysis and its findings.")
    .argument("<release>", "the release's envelope SHA-256")
    .requiredOption("--server <url>", "the service")
    .action(async (id: string, opts: { server: string }) => {
      const api = client(opts);
      const detail = await api.json<{ release: Summary; jobs: unknown[]; reviews: unknown[] }>(
        "GET",
        `/releases/${id}`,
      );
      process.stdout.write(`${JSON.stringify(detail, null, 2)}\n`);
      if (detail.release.reportSha256)
        process.stdout.write(`${await api.text(`/releases/${id}/report`)}\n`);
    });

  for (const verdict of ["approve", "reject"] as const) {
    review
      .command(verdict)
      .description(`Sign a verdict (${verdict}) on a release here and submit it.`)
      .argument("<release>", "the release's envelope SHA-256")
      .requiredOption("--server <url>", "the service")
      .requiredOption("--token-file <file>", "the reviewer's API token")
      .requiredOption("--key <file>", "the reviewer's private key file")
      .option("--key-passphrase-file <file>", "passphrase of an encrypted key")
      .requiredOption(
        "--organization <org>",
        "the reviewing organisation, as the trust policy names it",
      )
      .requiredOption("--reviewer <name>", "the reviewer's name")
      .option("--comment <text>", "a comment (at most 4096 characters)", "")
      .option("--wait <seconds>", "how long to wait for the analysis to finish", "60")
      .action(async (id: string, opts: VerdictOptions) => {
        const api = client(opts);
        const deadline = Date.now() + Number(opts.wait) * 1000;
        let detail = await api.json<{ release: Summary; envelope: Envelope }>(
          "GET",
          `/releases/${id}`,
        );
        while (detail.release.status === "analyzing" && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 250));
          detail = await api.json("GET", `/releases/${id}`);
        }
        const r = detail.release;
        if (!r.reportSha256) {
          throw new CrosscheckError(
            "E_ANALYSIS_PENDING",
            "The release is still being analysed; try again later.",
          );
        }
        const report = JSON.parse(await api.text(`/releases/${id}/report`)) as {
          analyzers: { name: string; version: string }[];
          findings: { severity: string }[];
        };
        const count = { critical: 0, high: 0, medium: 0, low: 0 };
        for (const f of report.findings)
          if (f.severity in count) count[f.severity as keyof typeof count]++;
        const envelope = signReview(
          {
            verifier: { id: opts.organization, reviewer: opts.reviewer },
            timeVerified: rfc3339(new Date()),
            release: {
              envelopeSha256: r.envelopeSha256,
              channel: r.channel as ReleasePredicate["channel"],
              version: r.version,
            },
            artifacts: r.artifacts.map((a) => ({ name: a.name, sha256: a.sha256 })),
            verdict,
            findings: { reportSha256: r.reportSha256, count },
            analyzers: report.analyzers,
            comment: opts.comment,
          },
          signer(opts),
        );
        const result = await api.json<{ release: Summary }>("POST", `/releases/${id}/reviews`, {
          review: envelope,
        });
        process.stdout.write(
          `${verdict}d ${r.channel} ${r.version}: release is now ${result.release.status}\n`,
        );
      });
  }
}

interface VerdictOptions {
  server: string;
  tokenFile: string;
  key: string;
  keyPassphraseFile?: string;
  organization: string;
  reviewer: string;
  comment: string;
  wait: string;
}
