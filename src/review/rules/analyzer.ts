/**
 * The release pipeline's analyzer for the `rules` channel. It reads the release's artifacts as one
 * rule pack (each artifact a rule file or an archive of them), diffs it against the pack of the
 * channel's previous published release when there is one, runs the rule findings, and maps all of
 * it to the pipeline's findings model:
 *
 *   - one `info` finding with the diff (counts, and every added, removed, renamed, changed rule),
 *   - one finding per rule finding, its severity kept, its review id in the evidence,
 *   - `medium` for every file the parser refuses (YARA would refuse it too),
 *   - `critical` when the pack itself is refused (a member escaping its folder, a bomb, a corrupt
 *     archive): that is returned as a finding, not thrown, so the reviewer sees why.
 *
 * The pipeline's types are restated structurally here: `review` is domain code and does not
 * import the release service (layers point one way); the service registers this object as one of
 * its `Analyzer`s and the compiler checks that it fits.
 */
import { readFileSync } from "node:fs";
import { openRelease, parseEnvelope, type ReleasePredicate } from "../../attest/index.js";
import { isCrosscheckError } from "../../errors/index.js";
import type { PipelineFinding, ReleaseArtifactFile } from "../pipeline.js";
import { diffRules, type PackDiff } from "./diff.js";
import { analyzeRules } from "./findings/index.js";
import { type PackMember, parsePack, type RulePack, readArchiveOrFile } from "./pack.js";

export const RULES_ANALYZER = "yara-rules";
export const RULES_ANALYZER_VERSION = "0.1.0";

// Re-exported so the rules component's callers keep importing them from here.
export type { PipelineFinding, ReleaseArtifactFile };

/** Finds the artifacts of the published release a new rules release is compared with. */
export type PreviousArtifacts = (
  release: ReleasePredicate,
) => Promise<readonly ReleaseArtifactFile[] | undefined>;

export interface RulesAnalyzerOptions {
  previous?: PreviousArtifacts;
  /** External variables the product defines, on top of the parser's defaults. */
  externals?: readonly string[];
}

export function rulesAnalyzer(options: RulesAnalyzerOptions = {}) {
  return {
    name: RULES_ANALYZER,
    version: RULES_ANALYZER_VERSION,
    channels: ["rules"] as const,
    async analyze(
      release: ReleasePredicate,
      artifacts: readonly ReleaseArtifactFile[],
    ): Promise<PipelineFinding[]> {
      const out = new FindingList();
      const next = readReleasePack(artifacts, options, out, `rules ${release.version}`);
      if (!next) return out.findings;
      let old: RulePack | undefined;
      const previousArtifacts = await options.previous?.(release);
      if (previousArtifacts) {
        // A previous pack that cannot be read is only a missing diff, not a finding on this one.
        old = readReleasePack(previousArtifacts, options, new FindingList(), "previous")?.pack;
      }
      if (old) {
        const diff = diffRules(
          { rules: old.rules, source: (f) => (old as RulePack).sources.get(f) },
          { rules: next.pack.rules, source: (f) => next.pack.sources.get(f) },
        );
        out.push("info", next.artifactOf("*"), diffMessage(diff), { diff });
      } else {
        out.push(
          "info",
          next.artifactOf("*"),
          `No previous published rules release to compare with: all ${next.pack.rules.length} rules are new.`,
          { rules: next.pack.rules.length },
        );
      }
      for (const e of next.pack.errors) {
        out.push(
          "medium",
          next.artifactOf(e.file),
          `The parser refuses ${e.file}, as YARA would: its rules are not reviewed. ${e.message}`,
          { code: e.code, file: e.file, line: e.line, column: e.column },
          `${e.file}:${e.line}:${e.column}`,
        );
      }
      const findings = analyzeRules(next.pack.ruleFiles, {
        previous: old?.ruleFiles,
        sources: next.pack.sources,
      });
      for (const f of findings) {
        out.push(
          f.severity,
          next.artifactOf(f.location.file),
          f.message,
          {
            findingId: f.id,
            category: f.category,
            rule: f.rule,
            line: f.location.line,
            column: f.location.column,
            evidence: f.evidence,
          },
          `${f.location.file}:${f.location.line}:${f.location.column}`,
        );
      }
      return out.findings;
    },
  };
}

function diffMessage(diff: PackDiff): string {
  return `Compared with the previous published release: ${diff.added.length} rules added, ${diff.removed.length} removed, ${diff.changed.length} changed, ${diff.renamed.length} renamed, ${diff.unchanged} unchanged.`;
}

/** Findings of one analyzer, numbered per artifact so their ids are stable between runs. */
export class FindingList {
  readonly findings: PipelineFinding[] = [];
  private readonly counts = new Map<string, number>();

  constructor(private readonly analyzer: string = RULES_ANALYZER) {}

  push(
    severity: PipelineFinding["severity"],
    artifact: string,
    message: string,
    evidence: Record<string, unknown>,
    path?: string,
  ): void {
    const n = (this.counts.get(artifact) ?? 0) + 1;
    this.counts.set(artifact, n);
    this.findings.push({
      id: `${this.analyzer}/${artifact}/${n}`,
      severity,
      analyzer: this.analyzer,
      location: path === undefined ? { artifact } : { artifact, path },
      message,
      evidence,
    });
  }
}

/** The artifacts as one pack, or undefined (with a critical finding) when it is refused. */
function readReleasePack(
  artifacts: readonly ReleaseArtifactFile[],
  options: RulesAnalyzerOptions,
  out: FindingList,
  name: string,
): { pack: RulePack; artifactOf: (file: string) => string } | undefined {
  const members: PackMember[] = [];
  const origin = new Map<string, string>();
  for (const artifact of artifacts) {
    try {
      for (const m of readArchiveOrFile(artifact.name, readFileSync(artifact.path))) {
        // Two artifacts holding the same path: the later one is kept under its artifact's name.
        const path = origin.has(m.path) ? `${artifact.name}/${m.path}` : m.path;
        origin.set(path, artifact.name);
        members.push({ path, bytes: m.bytes });
      }
    } catch (err) {
      if (!isCrosscheckError(err)) throw err;
      out.push(
        "critical",
        artifact.name,
        `The rules artifact ${artifact.name} is refused: ${err.message}`,
        { code: err.code },
      );
      return undefined;
    }
  }
  const pack = parsePack(members, { name, externals: options.externals });
  const all = artifacts.length === 1 ? (artifacts[0] as ReleaseArtifactFile).name : "*";
  return { pack, artifactOf: (file) => origin.get(file) ?? all };
}

/** A store the previous release is looked up in (the release service's, structurally). */
export interface PublishedReleases {
  release(envelopeSha256: string): Promise<{ envelope: string; status: string } | undefined>;
  latestPublished(
    channel: string,
  ): Promise<{ envelope: string; envelopeSha256: string } | undefined>;
}

/**
 * The artifacts of the release a new one names as `previous` when that one is published, else of
 * the channel's newest published release; undefined for the channel's first release.
 */
export function publishedPredecessor(
  store: PublishedReleases,
  artifacts: { path(sha256: string): string },
): PreviousArtifacts {
  return async (release) => {
    let envelope: string | undefined;
    if (release.previous) {
      const row = await store.release(release.previous.envelopeSha256);
      if (row?.status === "published") envelope = row.envelope;
    }
    if (envelope === undefined) envelope = (await store.latestPublished(release.channel))?.envelope;
    if (envelope === undefined) return undefined;
    const predicate = openRelease(parseEnvelope(envelope), []).predicate;
    if (predicate.version === release.version) return undefined;
    return predicate.artifacts.map((a) => ({
      name: a.name,
      sha256: a.sha256,
      path: artifacts.path(a.sha256),
    }));
  };
}
