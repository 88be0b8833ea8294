/**
 * The release pipeline's `rebuild` analyzer, run on every product release: it rebuilds the
 * release from its named commit with its recipe (./rebuild.ts) and reports what came out.
 *
 *   GOOD     one `info` finding: rebuilt bit for bit (environment and log digest as evidence);
 *   BAD      one `critical` finding per differing artifact: the differences (members with their
 *            metadata) and the diffoscope report; the service refuses approvals while its own
 *            rebuild is BAD (E_REBUILD_BLOCKED, src/releases/review.ts);
 *   FAIL     one `high` finding with the reason and the end of the build log;
 *   UNKNOWN  one `high` finding: the recipe cannot be used.
 *
 * The build runs the vendor's recipe on the service's machine, so it is contained: sandboxed
 * (./sandbox.ts), without network unless the recipe asks, under the recipe's time limit capped by
 * `maxTimeoutSeconds`, as user `nobody` when the service runs as root (so the recipe cannot read
 * the service's keys, tokens or database into its log or artifacts, which reviewers see), and from
 * https:// or git:// repositories only unless local ones are allowed (a vendor must not make the
 * service build some other repository on its own disk).
 *
 * The pipeline's types are restated structurally here, as the rules analyzer does: `review` does
 * not import the release service; the service registers this object and the compiler checks it.
 */
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import type { ReleasePredicate } from "../../attest/index.js";
import type { PipelineFinding, ReleaseArtifactFile } from "../pipeline.js";
import { type RebuildResult, rebuildRelease } from "./rebuild.js";

export const REBUILD_ANALYZER = "rebuild";
export const REBUILD_ANALYZER_VERSION = "0.1.0";

export interface RebuildAnalyzerOptions {
  /** Where build logs (and diffoscope reports) are kept, one per release version. */
  logDir: string;
  /** Parent of the temporary build folders; the system's by default. */
  workDir?: string;
  /** The service's cap on a recipe's time limit, in seconds (1800 by default). */
  maxTimeoutSeconds?: number;
  /** diffoscope's path, false to skip it, or found on PATH. */
  diffoscope?: string | false;
  /** Who the build runs as; `nobody` (65534) by default when the service is root; null: itself. */
  buildUser?: { uid: number; gid: number } | null;
  /** Whether releases may name a repository on the service's own disk (tests, single-user use). */
  allowLocalRepositories?: boolean;
}

/** Repositories the service fetches from by default: public, credential-free transports. */
const REMOTE_REPOSITORY = /^(https|git):\/\/[^\s/]+\//;
const NOBODY = { uid: 65534, gid: 65534 };

const MAX_DIFFOSCOPE_EVIDENCE = 64 << 10;
const LOG_TAIL = 4096;

export function rebuildAnalyzer(options: RebuildAnalyzerOptions) {
  return {
    name: REBUILD_ANALYZER,
    version: REBUILD_ANALYZER_VERSION,
    channels: ["product"] as const,
    async analyze(
      release: ReleasePredicate,
      artifacts: readonly ReleaseArtifactFile[],
    ): Promise<PipelineFinding[]> {
      const repository = release.source?.repository ?? "";
      if (!options.allowLocalRepositories && !REMOTE_REPOSITORY.test(repository)) {
        return [
          {
            id: `${REBUILD_ANALYZER}/*/1`,
            severity: "high",
            analyzer: REBUILD_ANALYZER,
            location: { artifact: "*" },
            message: `The release cannot be rebuilt here: its repository ${JSON.stringify(repository.slice(0, 200))} is not an https:// or git:// URL this service fetches.`,
            evidence: { status: "UNKNOWN", source: release.source ?? null },
          },
        ];
      }
      const root = process.getuid?.() === 0;
      const buildUser =
        options.buildUser === null ? undefined : (options.buildUser ?? (root ? NOBODY : undefined));
      const result = await rebuildRelease({
        buildUser,
        release,
        releasedFiles: Object.fromEntries(artifacts.map((a) => [a.name, a.path])),
        logPath: join(options.logDir, `${release.channel}-${release.version}.log`),
        workDir: options.workDir,
        maxTimeoutSeconds: options.maxTimeoutSeconds ?? 1800,
        diffoscope: options.diffoscope,
      });
      return rebuildFindings(result);
    },
  };
}

/** The findings a rebuild result becomes (see the header). */
export function rebuildFindings(result: RebuildResult): PipelineFinding[] {
  const finding = (
    n: number,
    severity: PipelineFinding["severity"],
    artifact: string,
    message: string,
    evidence: Record<string, unknown>,
  ): PipelineFinding => ({
    id: `${REBUILD_ANALYZER}/${artifact}/${n}`,
    severity,
    analyzer: REBUILD_ANALYZER,
    location: { artifact },
    message,
    evidence: {
      status: result.status,
      source: result.source,
      recipeSha256: result.recipeSha256,
      ...evidence,
      environment: result.environment,
      log: result.log,
    },
  });
  const at = `${result.source.repository} at ${result.source.commit}`;
  switch (result.status) {
    case "GOOD":
      return [
        finding(
          1,
          "info",
          "*",
          `Rebuilt bit for bit from ${at}: every artifact is the commit's build.`,
          { artifacts: result.artifacts },
        ),
      ];
    case "BAD":
      return result.artifacts
        .filter((a) => a.rebuiltSha256 !== a.sha256)
        .map((a) => {
          const differences = result.differences.filter((d) => d.artifact === a.name);
          const first = differences[0];
          const report = result.diffoscope.find((r) => r.artifact === a.name)?.report;
          return finding(
            1,
            "critical",
            a.name,
            `Built from ${at}, ${a.name} is not the released file (${differences.length} difference(s)${first ? `; first: ${first.kind} of ${first.member || "the file"}: ${first.detail.slice(0, 300)}` : ""}). The binary is not what the reviewed source builds into.`,
            {
              released: a.sha256,
              rebuilt: a.rebuiltSha256,
              differences: differences.slice(0, 100),
              ...(report
                ? {
                    diffoscope: report.text.slice(0, MAX_DIFFOSCOPE_EVIDENCE),
                    diffoscopeTruncated:
                      report.truncated || report.text.length > MAX_DIFFOSCOPE_EVIDENCE,
                  }
                : {}),
            },
          );
        });
    case "FAIL":
      return [
        finding(1, "high", "*", `The release could not be rebuilt from ${at}: ${result.reason}`, {
          reason: result.reason,
          logTail: logTail(result.log.path),
        }),
      ];
    default:
      return [
        finding(1, "high", "*", `The release cannot be rebuilt: ${result.reason}`, {
          reason: result.reason,
        }),
      ];
  }
}

function logTail(path: string): string {
  try {
    const size = statSync(path).size;
    const length = Math.min(size, LOG_TAIL);
    const buffer = Buffer.alloc(length);
    const fd = openSync(path, "r");
    try {
      readSync(fd, buffer, 0, length, size - length);
    } finally {
      closeSync(fd);
    }
    return buffer.toString("utf8");
  } catch {
    return "";
  }
}
