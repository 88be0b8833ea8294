/**
 * The release pipeline's analyzer for the `dictionary` channel: the telemetry data dictionary the
 * gateway enforces. It parses and compiles the release's dictionary exactly as the gateway will,
 * compares it with the channel's previous published dictionary (or with nothing, for the first),
 * and reports what a reviewer must weigh before the vendor may collect more:
 *
 *   - `high`   the dictionary does not parse or compile, or the gateway would refuse the release
 *              (not exactly one artifact, version differing from the release's);
 *   - `high`   a new `highly_sensitive` field, or a field raised to `highly_sensitive`;
 *   - `medium` a new free-text field, a field turned into free text, any other sensitivity raise,
 *              retention raised beyond a year, the dictionary renamed;
 *   - `low`    a new `web_activity` field, other type changes, retention raised, sensitivity
 *              lowered (a claim to check: the data did not change, its label did);
 *   - `info`   the diff itself: events and fields added, removed and changed.
 *
 * Like the rules analyzer, the pipeline's types are restated structurally (review does not import
 * the release service); the service registers this object as one of its analyzers.
 */
import { readFileSync, statSync } from "node:fs";
import type { ReleasePredicate } from "../../attest/index.js";
import {
  compileDictionary,
  type Dictionary,
  type DictionaryDiff,
  type DiffField,
  diffDictionaries,
  type FieldChange,
  MAX_DICTIONARY_SIZE,
  parseDictionary,
  sensitivityRank,
} from "../../dictionary/index.js";
import { isCrosscheckError } from "../../errors/index.js";
import {
  FindingList,
  type PipelineFinding,
  type PreviousArtifacts,
  type ReleaseArtifactFile,
} from "../rules/analyzer.js";

export const DICTIONARY_ANALYZER = "telemetry-dictionary";
export const DICTIONARY_ANALYZER_VERSION = "0.1.0";
/** Retention beyond this many days is worth a reviewer's question. */
export const LONG_RETENTION_DAYS = 365;

export interface DictionaryAnalyzerOptions {
  previous?: PreviousArtifacts;
}

type Severity = PipelineFinding["severity"];

export function dictionaryAnalyzer(options: DictionaryAnalyzerOptions = {}) {
  return {
    name: DICTIONARY_ANALYZER,
    version: DICTIONARY_ANALYZER_VERSION,
    channels: ["dictionary"] as const,
    async analyze(
      release: ReleasePredicate,
      artifacts: readonly ReleaseArtifactFile[],
    ): Promise<PipelineFinding[]> {
      const out = new FindingList(DICTIONARY_ANALYZER);
      if (artifacts.length !== 1) {
        out.push(
          "high",
          "*",
          `A dictionary release holds exactly one dictionary file; this one holds ${artifacts.length}, and the gateway refuses it.`,
          { artifacts: artifacts.map((a) => a.name) },
        );
        return out.findings;
      }
      const artifact = artifacts[0] as ReleaseArtifactFile;
      const read = readDictionary(artifact);
      if ("error" in read) {
        out.push(
          "high",
          artifact.name,
          `The dictionary ${artifact.name} is refused, as the gateway would refuse it: ${read.error.message}`,
          { code: read.error.code },
        );
        return out.findings;
      }
      const next = read.dictionary;
      if (next.version !== release.version) {
        out.push(
          "high",
          artifact.name,
          `The dictionary says version ${next.version}, but the release is version ${release.version}; the gateway refuses a dictionary whose version differs from its release's.`,
          { dictionaryVersion: next.version, releaseVersion: release.version },
        );
      }

      let old: Dictionary | undefined;
      const previous = await options.previous?.(release);
      if (previous && previous.length === 1) {
        // A previous dictionary that cannot be read only costs the diff, not a finding here.
        const prev = readDictionary(previous[0] as ReleaseArtifactFile);
        if ("dictionary" in prev) old = prev.dictionary;
      }
      if (old && old.name !== next.name) {
        out.push(
          "medium",
          artifact.name,
          `The dictionary is renamed from ${old.name} to ${next.name}: check it describes the same product.`,
          { from: old.name, to: next.name },
        );
      }
      const diff = diffDictionaries(old ?? emptyLike(next), next);
      out.push("info", artifact.name, summary(next, diff, old !== undefined), { diff });
      for (const field of diff.fieldsAdded) {
        const judged = judgeAdded(field);
        if (judged)
          out.push(judged.severity, artifact.name, judged.message, { field }, where(field));
      }
      for (const change of diff.fieldsChanged) {
        for (const judged of judgeChange(change)) {
          out.push(judged.severity, artifact.name, judged.message, { change }, where(change));
        }
      }
      return out.findings;
    },
  };
}

function readDictionary(
  artifact: ReleaseArtifactFile,
): { dictionary: Dictionary } | { error: { code: string; message: string } } {
  try {
    const size = statSync(artifact.path).size;
    if (size > MAX_DICTIONARY_SIZE) {
      return {
        error: {
          code: "E_DICTIONARY_INVALID",
          message: `it is ${size} bytes, more than the ${MAX_DICTIONARY_SIZE} a dictionary may be.`,
        },
      };
    }
    const text = new TextDecoder("utf-8", { fatal: true }).decode(readFileSync(artifact.path));
    const dictionary = parseDictionary(text);
    compileDictionary(dictionary);
    return { dictionary };
  } catch (err) {
    if (isCrosscheckError(err)) return { error: { code: err.code, message: err.message } };
    if (err instanceof TypeError) {
      return { error: { code: "E_DICTIONARY_INVALID", message: "it is not UTF-8 text." } };
    }
    throw err;
  }
}

/** A dictionary declaring nothing, for diffing the channel's first one: everything is new. */
function emptyLike(d: Dictionary): Dictionary {
  return { schema: d.schema, name: d.name, version: "0", common: [], events: [] };
}

function where(f: { event: string | null; field: string }): string {
  return `${f.event ?? "common"}/${f.field}`;
}

function describeField(f: { event: string | null; field: string }): string {
  return f.event === null ? `common field ${f.field}` : `field ${f.field} of ${f.event}`;
}

function judgeAdded(f: DiffField): { severity: Severity; message: string } | undefined {
  const reasons: string[] = [];
  let severity: Severity | undefined;
  if (f.sensitivity === "highly_sensitive") {
    severity = "high";
    reasons.push("it is highly sensitive");
  }
  if (f.type === "text" || f.items === "text") {
    severity ??= "medium";
    reasons.push("it is free text, which can carry anything");
  }
  if (f.sensitivity === "web_activity") {
    severity ??= "low";
    reasons.push("it records web activity");
  }
  if (!severity) return undefined;
  if (f.retentionDays > LONG_RETENTION_DAYS) reasons.push(`kept ${f.retentionDays} days`);
  return {
    severity,
    message: `New ${describeField(f)} (${f.items ? `array of ${f.items}` : f.type}, ${f.sensitivity}, ${f.retentionDays} days): ${reasons.join("; ")}. Purpose given: ${f.purpose}`,
  };
}

function judgeChange(c: FieldChange): { severity: Severity; message: string }[] {
  const out: { severity: Severity; message: string }[] = [];
  const name = describeField(c);
  if (c.sensitivity) {
    const up = sensitivityRank(c.sensitivity.to) - sensitivityRank(c.sensitivity.from);
    if (up > 0) {
      out.push({
        severity: c.sensitivity.to === "highly_sensitive" ? "high" : "medium",
        message: `The ${name} is raised from ${c.sensitivity.from} to ${c.sensitivity.to}. Purpose given: ${c.now.purpose}`,
      });
    } else {
      out.push({
        severity: "low",
        message: `The ${name} is lowered from ${c.sensitivity.from} to ${c.sensitivity.to}: check that the data really is less sensitive, not only its label.`,
      });
    }
  }
  if (c.type) {
    const free = c.type.to === "text" || c.type.to === "array of text";
    out.push({
      severity: free ? "medium" : "low",
      message: `The ${name} changes type from ${c.type.from} to ${c.type.to}${free ? ": it becomes free text, which can carry anything" : ""}.`,
    });
  }
  if (c.retentionDays && c.retentionDays.to > c.retentionDays.from) {
    out.push({
      severity: c.retentionDays.to > LONG_RETENTION_DAYS ? "medium" : "low",
      message: `The ${name} is kept longer: ${c.retentionDays.from} → ${c.retentionDays.to} days.`,
    });
  }
  return out;
}

function summary(next: Dictionary, diff: DictionaryDiff, hadPrevious: boolean): string {
  const fields = next.events.reduce((n, e) => n + e.fields.length, next.common.length);
  if (!hadPrevious) {
    return `No previous published dictionary to compare with: ${next.name} ${next.version} declares ${next.events.length} events, ${diff.fieldsAdded.length} fields (${fields} top-level), all new.`;
  }
  return `Compared with ${diff.from.name} ${diff.from.version}: ${diff.eventsAdded.length} events added, ${diff.eventsRemoved.length} removed; ${diff.fieldsAdded.length} fields added, ${diff.fieldsRemoved.length} removed, ${diff.fieldsChanged.length} changed.`;
}
