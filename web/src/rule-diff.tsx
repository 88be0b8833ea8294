/**
 * The rule diff of a `rules` release against the channel's previous published one, as the rules
 * analyzer computed it (the `diff` evidence of its summary finding, src/review/rules/diff.ts):
 * added rules with their source, removed and renamed ones, and for changed rules the strings,
 * condition and metadata before and after. Highlighted, and text only (see yara-highlight.tsx).
 */

import { getBytes, type ReleaseSummary } from "./api.js";
import { useAsync } from "./router.js";
import { ruleExcerpt, Yara } from "./yara-highlight.js";

interface RuleRef {
  name: string;
  file: string;
  line: number;
}

export interface PackDiff {
  old: { rules: number };
  new: { rules: number };
  added: RuleRef[];
  removed: RuleRef[];
  changed: {
    name: string;
    old: RuleRef;
    new: RuleRef;
    parts: string[];
    strings?: {
      added: string[];
      removed: string[];
      changed: { id: string; old: string; new: string }[];
    };
    condition?: { old: string; new: string };
    meta?: {
      added: { key: string; value: string }[];
      removed: { key: string; value: string }[];
      changed: { key: string; old: string; new: string }[];
    };
    tags?: { added: string[]; removed: string[] };
  }[];
  renamed: { old: RuleRef; new: RuleRef; parts: string[] }[];
  unchanged: number;
}

/** The diff in a report's findings, if its rules analyzer made one. */
export function diffOf(findings: { evidence?: Record<string, unknown> }[]): PackDiff | undefined {
  for (const f of findings) {
    const diff = f.evidence?.diff as PackDiff | undefined;
    if (diff && Array.isArray(diff.added) && Array.isArray(diff.changed)) return diff;
  }
  return undefined;
}

/** Lines of a before/after pair, marked like a unified diff. */
function Change({ old, next }: { old?: string; next?: string }) {
  return (
    <>
      {old !== undefined && (
        <div className="diff-line diff-removed">
          <span aria-hidden="true">- </span>
          <span className="visually-hidden">removed: </span>
          <Yara source={old} />
        </div>
      )}
      {next !== undefined && (
        <div className="diff-line diff-added">
          <span aria-hidden="true">+ </span>
          <span className="visually-hidden">added: </span>
          <Yara source={next} />
        </div>
      )}
    </>
  );
}

export function RuleDiff({ diff, release }: { diff: PackDiff; release: ReleaseSummary }) {
  // Added rules are shown with their source when the artifact is a plain rule file.
  const [texts] = useAsync(async () => {
    const byName = new Map<string, string>();
    for (const a of release.artifacts) {
      if (a.size > 1024 * 1024) continue;
      try {
        byName.set(
          a.name,
          new TextDecoder("utf-8", { fatal: true }).decode(
            await getBytes(`/api/v1/artifacts/${a.sha256}`),
          ),
        );
      } catch {
        // an archive or a binary file: names only
      }
    }
    return byName;
  }, release.envelopeSha256);
  const sources = texts.state === "done" ? texts.value : new Map<string, string>();
  return (
    <section aria-labelledby="diff-heading" data-testid="rule-diff">
      <h2 id="diff-heading">Rule changes against the previous release</h2>
      <p>
        {diff.old.rules} rules before, {diff.new.rules} now: {diff.added.length} added,{" "}
        {diff.removed.length} removed, {diff.changed.length} changed, {diff.renamed.length} renamed,{" "}
        {diff.unchanged} unchanged.
      </p>
      {diff.added.map((r) => {
        const source = sources.get(r.file);
        return (
          <details key={`added-${r.file}-${r.name}`} className="rule-change" open>
            <summary>
              Added <code>{r.name}</code> ({r.file}:{r.line})
            </summary>
            {source !== undefined && (
              <pre className="yara diff-added-block">
                <Yara source={ruleExcerpt(source, r.line)} />
              </pre>
            )}
          </details>
        );
      })}
      {diff.removed.map((r) => (
        <p key={`removed-${r.file}-${r.name}`} className="rule-change">
          Removed <code>{r.name}</code> (was {r.file}:{r.line})
        </p>
      ))}
      {diff.renamed.map((r) => (
        <p key={`renamed-${r.new.file}-${r.new.name}`} className="rule-change">
          Renamed <code>{r.old.name}</code> → <code>{r.new.name}</code>
          {r.parts.length > 0 ? ` (also changed: ${r.parts.join(", ")})` : ""}
        </p>
      ))}
      {diff.changed.map((c) => (
        <details key={`changed-${c.new.file}-${c.name}`} className="rule-change" open>
          <summary>
            Changed <code>{c.name}</code> ({c.new.file}:{c.new.line}): {c.parts.join(", ")}
          </summary>
          <pre className="yara">
            {c.strings?.removed.map((s) => (
              <Change key={`s-${s}`} old={s} />
            ))}
            {c.strings?.added.map((s) => (
              <Change key={`s+${s}`} next={s} />
            ))}
            {c.strings?.changed.map((s) => (
              <Change key={`s~${s.id}`} old={s.old} next={s.new} />
            ))}
            {c.condition && <Change old={c.condition.old} next={c.condition.new} />}
            {c.meta?.removed.map((m) => (
              <Change key={`m-${m.key}`} old={`${m.key} = ${m.value}`} />
            ))}
            {c.meta?.added.map((m) => (
              <Change key={`m+${m.key}`} next={`${m.key} = ${m.value}`} />
            ))}
            {c.meta?.changed.map((m) => (
              <Change key={`m~${m.key}`} old={`${m.key} = ${m.old}`} next={`${m.key} = ${m.new}`} />
            ))}
            {c.tags && (
              <Change
                old={c.tags.removed.length ? `tags: ${c.tags.removed.join(" ")}` : undefined}
                next={c.tags.added.length ? `tags: ${c.tags.added.join(" ")}` : undefined}
              />
            )}
          </pre>
        </details>
      ))}
    </section>
  );
}
