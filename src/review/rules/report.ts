/**
 * The rules review: two packs in, their semantic diff and the findings out, rendered as text for
 * a terminal, JSON for machines, and one self-contained HTML page (inline CSS, no script, no
 * external resource; a Content-Security-Policy that forbids loading anything).
 *
 * Everything taken from a rule pack (names, strings, meta, conditions, file names, messages
 * quoting them) is untrusted: HTML-escaped in the page, control characters made visible in the
 * text, so a rule cannot inject markup or terminal escape sequences into the report.
 */

import {
  escapeHtml,
  findingsTableHtml,
  findingsText,
  htmlHead,
  oneLine,
  terminalSafe,
} from "../report-render.js";
import { diffRules, isEmptyDiff, type PackDiff } from "./diff.js";
import { analyzeRules } from "./findings/index.js";
import { countBySeverity, type Finding, levelOf } from "./findings/model.js";
import type { PackError, RulePack } from "./pack.js";

export const RULES_REVIEW_TYPE = "https://crosscheck.dev/report/rules-review/v1";

export interface PackSummary {
  name: string;
  files: number;
  indexes: number;
  rules: number;
  errors: PackError[];
}

export interface RulesReview {
  type: typeof RULES_REVIEW_TYPE;
  old: PackSummary | null;
  new: PackSummary;
  /** Null when there is no old pack to compare with. */
  diff: PackDiff | null;
  /** Most severe first. */
  findings: Finding[];
}

export function packSummary(pack: RulePack): PackSummary {
  return {
    name: pack.name,
    files: pack.files.length,
    indexes: pack.indexes.length,
    rules: pack.rules.length,
    errors: pack.errors,
  };
}

/** Diffs `next` against `old` (when given) and runs the findings over `next`. */
export function reviewRulePacks(old: RulePack | undefined, next: RulePack): RulesReview {
  const diff = old
    ? diffRules(
        { rules: old.rules, source: (f) => old.sources.get(f) },
        { rules: next.rules, source: (f) => next.sources.get(f) },
      )
    : null;
  const findings = analyzeRules(next.ruleFiles, {
    previous: old?.ruleFiles,
    sources: next.sources,
  });
  return {
    type: RULES_REVIEW_TYPE,
    old: old ? packSummary(old) : null,
    new: packSummary(next),
    diff,
    findings: sortFindings(findings),
  };
}

export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      levelOf(b.severity) - levelOf(a.severity) ||
      (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0) ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}

export { countBySeverity };

// ---------------------------------------------------------------------------------------------
// Text

const indent = (text: string, by: string) =>
  text
    .split("\n")
    .map((l) => by + l)
    .join("\n");

export function diffSummaryLine(diff: PackDiff): string {
  return `${diff.added.length} added, ${diff.removed.length} removed, ${diff.changed.length} changed, ${diff.renamed.length} renamed, ${diff.unchanged} unchanged`;
}

export function renderText(review: RulesReview): string {
  const out: string[] = [];
  const pack = (label: string, p: PackSummary) =>
    `${label} ${p.name}: ${p.rules} rules in ${p.files} files${p.indexes ? ` (+${p.indexes} index files)` : ""}${p.errors.length ? `, ${p.errors.length} files refused` : ""}`;
  if (review.old) out.push(pack("old", review.old));
  out.push(pack("new", review.new));
  for (const [label, p] of [
    ["old", review.old],
    ["new", review.new],
  ] as const) {
    if (!p || p.errors.length === 0) continue;
    out.push("", `Files the ${label} pack's parser refused:`);
    for (const e of p.errors) out.push(`  ${e.message} (${e.code})`);
  }
  const diff = review.diff;
  if (diff) {
    out.push("", `Diff: ${diffSummaryLine(diff)}`);
    if (isEmptyDiff(diff)) out.push("  no rule changed.");
    for (const r of diff.added) out.push(`  + ${r.name}  (${r.file}:${r.line})`);
    for (const r of diff.removed) out.push(`  - ${r.name}  (${r.file}:${r.line})`);
    for (const r of diff.renamed) {
      const also = r.parts.length ? `; ${r.parts.join(", ")} also changed` : "";
      out.push(`  ~ ${r.old.name} -> ${r.new.name}  renamed, same strings and condition${also}`);
    }
    for (const c of diff.changed) {
      out.push(`  * ${c.name}  (${c.new.file}:${c.new.line}): ${c.parts.join(", ")}`);
      if (c.strings) {
        for (const id of c.strings.added) out.push(`      string ${id} added`);
        for (const id of c.strings.removed) out.push(`      string ${id} removed`);
        for (const s of c.strings.changed) {
          out.push(`      string ${s.id}: ${oneLine(s.old)}  ->  ${oneLine(s.new)}`);
        }
      }
      if (c.condition) {
        out.push("      condition was:", indent(c.condition.old, "        "));
        out.push("      condition now:", indent(c.condition.new, "        "));
      }
      if (c.meta) {
        for (const m of c.meta.added) out.push(`      meta ${m.key} added: ${m.value}`);
        for (const m of c.meta.removed) out.push(`      meta ${m.key} removed: ${m.value}`);
        for (const m of c.meta.changed) out.push(`      meta ${m.key}: ${m.old} -> ${m.new}`);
      }
      if (c.tags) {
        if (c.tags.added.length) out.push(`      tags added: ${c.tags.added.join(" ")}`);
        if (c.tags.removed.length) out.push(`      tags removed: ${c.tags.removed.join(" ")}`);
      }
      if (c.flags) out.push(`      flags: ${c.flags.old} -> ${c.flags.new}`);
    }
    if (diff.moved.length) out.push(`  (${diff.moved.length} rules moved to another file)`);
  }
  const count = countBySeverity(review.findings);
  out.push(
    "",
    `Findings: ${count.high} high, ${count.medium} medium, ${count.low} low, ${count.info} info`,
  );
  out.push(
    ...findingsText(
      review.findings,
      (f) => `${f.location.file}:${f.location.line}:${f.location.column}`,
    ),
  );
  return `${terminalSafe(out.join("\n"))}\n`;
}

// ---------------------------------------------------------------------------------------------
// JSON

export function renderJson(review: RulesReview): string {
  return `${JSON.stringify(review, null, 2)}\n`;
}

// ---------------------------------------------------------------------------------------------
// HTML

const CSS = `
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#1b1b1b}
h1{font-size:1.4rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
pre,code{font:12px/1.4 ui-monospace,monospace;white-space:pre-wrap;word-break:break-all}
pre{background:#f6f6f6;padding:.4rem;margin:.2rem 0}
.sev{font-weight:600;padding:0 .4rem;border-radius:3px}
.high{background:#b00020;color:#fff}.medium{background:#e07b00;color:#fff}.low{background:#2c6bb5;color:#fff}.info{background:#777;color:#fff}
.add{color:#0a6b24}.del{color:#b00020}.muted{color:#666}
`;

export function renderHtml(review: RulesReview): string {
  const h = escapeHtml;
  const parts: string[] = [];
  const title = `Rules review: ${review.new.name}`;
  parts.push(...htmlHead(title, CSS));
  const packRow = (label: string, p: PackSummary) =>
    `<tr><th>${label}</th><td><code>${h(p.name)}</code></td><td>${p.rules}</td><td>${p.files}</td><td>${p.errors.length}</td></tr>`;
  parts.push(
    "<table><tr><th></th><th>pack</th><th>rules</th><th>files</th><th>files refused</th></tr>",
    review.old ? packRow("old", review.old) : "",
    packRow("new", review.new),
    "</table>",
  );
  for (const [label, p] of [
    ["old", review.old],
    ["new", review.new],
  ] as const) {
    if (!p || p.errors.length === 0) continue;
    parts.push(`<h2>Files the ${label} pack's parser refused</h2><ul>`);
    for (const e of p.errors) parts.push(`<li><code>${h(e.message)}</code> (${h(e.code)})</li>`);
    parts.push("</ul>");
  }
  const diff = review.diff;
  if (diff) {
    parts.push(`<h2>Diff</h2><p>${h(diffSummaryLine(diff))}</p>`);
    const where = (r: { file: string; line: number }) =>
      `<span class="muted">${h(r.file)}:${r.line}</span>`;
    if (diff.added.length || diff.removed.length || diff.renamed.length) {
      parts.push("<ul>");
      for (const r of diff.added) {
        parts.push(`<li class="add">added <code>${h(r.name)}</code> ${where(r)}</li>`);
      }
      for (const r of diff.removed) {
        parts.push(`<li class="del">removed <code>${h(r.name)}</code> ${where(r)}</li>`);
      }
      for (const r of diff.renamed) {
        const also = r.parts.length ? `; ${h(r.parts.join(", "))} also changed` : "";
        parts.push(
          `<li>renamed <code>${h(r.old.name)}</code> → <code>${h(r.new.name)}</code> (same strings and condition${also}) ${where(r.new)}</li>`,
        );
      }
      parts.push("</ul>");
    }
    for (const c of diff.changed) {
      parts.push(`<h3><code>${h(c.name)}</code> ${where(c.new)}: ${h(c.parts.join(", "))}</h3>`);
      if (c.strings) {
        parts.push("<table><tr><th>string</th><th>before</th><th>after</th></tr>");
        for (const id of c.strings.added) {
          parts.push(`<tr><td><code>${h(id)}</code></td><td></td><td class="add">added</td></tr>`);
        }
        for (const id of c.strings.removed) {
          parts.push(
            `<tr><td><code>${h(id)}</code></td><td class="del">removed</td><td></td></tr>`,
          );
        }
        for (const s of c.strings.changed) {
          parts.push(
            `<tr><td><code>${h(s.id)}</code></td><td><pre>${h(s.old)}</pre></td><td><pre>${h(s.new)}</pre></td></tr>`,
          );
        }
        parts.push("</table>");
      }
      if (c.condition) {
        parts.push(
          `<table><tr><th>condition before</th><th>condition after</th></tr><tr><td><pre>${h(c.condition.old)}</pre></td><td><pre>${h(c.condition.new)}</pre></td></tr></table>`,
        );
      }
      if (c.meta) {
        parts.push("<ul>");
        for (const m of c.meta.added) {
          parts.push(`<li class="add">meta <code>${h(m.key)}</code> added: ${h(m.value)}</li>`);
        }
        for (const m of c.meta.removed) {
          parts.push(`<li class="del">meta <code>${h(m.key)}</code> removed: ${h(m.value)}</li>`);
        }
        for (const m of c.meta.changed) {
          parts.push(`<li>meta <code>${h(m.key)}</code>: ${h(m.old)} → ${h(m.new)}</li>`);
        }
        parts.push("</ul>");
      }
      if (c.tags) {
        parts.push(
          `<p>tags added: <code>${h(c.tags.added.join(" "))}</code>; removed: <code>${h(c.tags.removed.join(" "))}</code></p>`,
        );
      }
      if (c.flags) parts.push(`<p>flags: ${h(c.flags.old)} → ${h(c.flags.new)}</p>`);
    }
  }
  const count = countBySeverity(review.findings);
  parts.push(
    `<h2>Findings</h2><p>${count.high} high, ${count.medium} medium, ${count.low} low, ${count.info} info</p>`,
  );
  parts.push(
    ...findingsTableHtml(
      review.findings,
      "rule",
      (f) => `${h(f.location.file)}:${f.location.line}:${f.location.column}`,
    ),
  );
  parts.push("</body></html>\n");
  return parts.filter(Boolean).join("\n");
}
