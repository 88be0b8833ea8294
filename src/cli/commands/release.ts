/** `crosscheck release …` and `crosscheck review …`: what vendors and reviewers sign. */
import { basename } from "node:path";
import { Command, Option } from "commander";
import {
  type Envelope,
  ed25519EnvelopeSigner,
  envelopeDigest,
  openRelease,
  parseEnvelope,
  type ReleasePredicate,
  signHead,
  signRelease,
  signReview,
} from "../../attest/index.js";
import { readKeyFile } from "../../crypto/node.js";
import { CrosscheckError } from "../../errors/index.js";
import { writeFileDurably } from "../../store/index.js";
import { hashFile, parseDuration, readTextFile } from "../files.js";
import { readSecretFile } from "../options.js";
import { reviewRulesCommand } from "./review-rules.js";
import { reviewSigdbCommand } from "./review-sigdb.js";
import { addServiceReviewCommands, releaseSubmitCommand } from "./service-release.js";

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function releaseCommand(): Command {
  const release = new Command("release").description(
    "Vendor statements: a release, and the channel head naming it.",
  );

  release
    .command("sign")
    .description("Sign a release of one channel: its version, artifacts, origin and audience.")
    .addOption(
      new Option("--channel <channel>", "release channel")
        .choices(["product", "sigdb", "rules", "dictionary"])
        .makeOptionMandatory(),
    )
    .requiredOption(
      "--version <version>",
      "dot-separated numbers, higher than the channel's previous release",
    )
    .requiredOption("--artifact <file>", "an artifact of the release (repeatable)", collect)
    .option(
      "--previous <file>",
      "the channel's previous release envelope (omit for its first release)",
    )
    .option("--audience <audience>", "everyone, or a region the trust policy declares", "everyone")
    .option("--source-repository <url>", "source repository (required for product)")
    .option("--source-commit <commit>", "source commit (required for product)")
    .option("--build-recipe <text>", "how to rebuild the artifacts (required for product)")
    .requiredOption("--key <file>", "the vendor's private key file")
    .option("--key-passphrase-file <file>", "passphrase of an encrypted key")
    .requiredOption("--out <file>", "where to write the signed release envelope")
    .action(async (opts: ReleaseSignOptions) => {
      const artifacts = [];
      for (const path of opts.artifact)
        artifacts.push({ name: basename(path), ...(await hashFile(path)) });
      const predicate = {
        channel: opts.channel,
        version: opts.version,
        artifacts,
        ...(opts.sourceRepository || opts.sourceCommit
          ? { source: { repository: opts.sourceRepository ?? "", commit: opts.sourceCommit ?? "" } }
          : {}),
        ...(opts.buildRecipe ? { build: { recipe: opts.buildRecipe } } : {}),
        previous: opts.previous
          ? { envelopeSha256: envelopeDigest(readEnvelope(opts.previous, "previous release")) }
          : null,
        audience: opts.audience === "everyone" ? "everyone" : { region: opts.audience },
        published: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      } as ReleasePredicate;
      const envelope = signRelease(predicate, signer(opts));
      writeFileDurably(opts.out, `${JSON.stringify(envelope, null, 2)}\n`);
      process.stdout.write(`${envelopeDigest(envelope)}\n`);
    });

  release
    .command("head")
    .description(
      "Sign the channel head: the short-lived statement that this release is the current one.",
    )
    .requiredOption("--release <file>", "the release envelope")
    .option(
      "--expires <duration>",
      "how long the head is valid (at most the policy's head expiry)",
      "24h",
    )
    .requiredOption("--key <file>", "the vendor's private key file")
    .option("--key-passphrase-file <file>", "passphrase of an encrypted key")
    .requiredOption("--out <file>", "where to write the signed head envelope")
    .action(
      (opts: {
        release: string;
        expires: string;
        key: string;
        keyPassphraseFile?: string;
        out: string;
      }) => {
        const envelope = readEnvelope(opts.release, "release");
        const { predicate } = openRelease(envelope, []);
        const issued = new Date();
        const head = signHead(
          {
            channel: predicate.channel,
            version: predicate.version,
            release: { envelopeSha256: envelopeDigest(envelope) },
            issued: rfc3339(issued),
            expires: rfc3339(new Date(issued.getTime() + parseDuration(opts.expires) * 1000)),
          },
          signer(opts),
        );
        writeFileDurably(opts.out, `${JSON.stringify(head, null, 2)}\n`);
        process.stdout.write(`${envelopeDigest(head)}\n`);
      },
    );

  release.addCommand(releaseSubmitCommand());
  return release;
}

export function reviewCommand(): Command {
  const review = new Command("review").description(
    "Reviewer statements: a verdict on a release's exact artifacts.",
  );
  review
    .command("sign")
    .description("Sign a verdict (approve or reject) on a release.")
    .requiredOption("--release <file>", "the release envelope judged")
    .addOption(
      new Option("--verdict <verdict>", "the verdict")
        .choices(["approve", "reject"])
        .makeOptionMandatory(),
    )
    .requiredOption(
      "--organization <org>",
      "the reviewing organisation, as the trust policy names it",
    )
    .requiredOption("--reviewer <name>", "the reviewer's name")
    .option("--report <file>", "the findings report the verdict rests on")
    .option(
      "--analyzer <name@version>",
      "an analyzer that produced the findings (repeatable)",
      collect,
    )
    .option("--comment <text>", "a comment (at most 4096 characters)", "")
    .requiredOption("--key <file>", "the reviewer's private key file")
    .option("--key-passphrase-file <file>", "passphrase of an encrypted key")
    .requiredOption("--out <file>", "where to write the signed review envelope")
    .action(async (opts: ReviewSignOptions) => {
      const envelope = readEnvelope(opts.release, "release");
      const { predicate } = openRelease(envelope, []);
      const report = opts.report ? (await hashFile(opts.report)).sha256 : "0".repeat(64);
      const signed = signReview(
        {
          verifier: { id: opts.organization, reviewer: opts.reviewer },
          timeVerified: rfc3339(new Date()),
          release: {
            envelopeSha256: envelopeDigest(envelope),
            channel: predicate.channel,
            version: predicate.version,
          },
          artifacts: predicate.artifacts.map((a) => ({ name: a.name, sha256: a.sha256 })),
          verdict: opts.verdict,
          findings: { reportSha256: report },
          analyzers: (opts.analyzer ?? []).map(parseAnalyzer),
          comment: opts.comment,
        },
        signer(opts),
      );
      writeFileDurably(opts.out, `${JSON.stringify(signed, null, 2)}\n`);
      process.stdout.write(`${envelopeDigest(signed)}\n`);
    });
  addServiceReviewCommands(review);
  review.addCommand(reviewRulesCommand());
  review.addCommand(reviewSigdbCommand());
  return review;
}

interface ReleaseSignOptions {
  channel: ReleasePredicate["channel"];
  version: string;
  artifact: string[];
  previous?: string;
  audience: string;
  sourceRepository?: string;
  sourceCommit?: string;
  buildRecipe?: string;
  key: string;
  keyPassphraseFile?: string;
  out: string;
}

interface ReviewSignOptions {
  release: string;
  verdict: "approve" | "reject";
  organization: string;
  reviewer: string;
  report?: string;
  analyzer?: string[];
  comment: string;
  key: string;
  keyPassphraseFile?: string;
  out: string;
}

export function readEnvelope(path: string, what: string): Envelope {
  return parseEnvelope(readTextFile(path, what, 1 << 20));
}

function signer(opts: { key: string; keyPassphraseFile?: string }) {
  const passphrase = opts.keyPassphraseFile
    ? readSecretFile(opts.keyPassphraseFile, "passphrase")
    : undefined;
  return ed25519EnvelopeSigner(readKeyFile(opts.key, { passphrase }));
}

function parseAnalyzer(text: string): { name: string; version: string } {
  const at = text.lastIndexOf("@");
  if (at <= 0 || at === text.length - 1) {
    throw new CrosscheckError(
      "E_USAGE",
      `--analyzer takes name@version, got ${JSON.stringify(text)}.`,
    );
  }
  return { name: text.slice(0, at), version: text.slice(at + 1) };
}

function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, "Z");
}
