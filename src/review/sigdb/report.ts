/**
 * The signature database review: two databases in (or one, for a first release), their diff and
 * the findings out, rendered as text for a terminal, JSON for machines, and one self-contained
 * HTML page (inline CSS, no script, a Content-Security-Policy that loads nothing).
 *
 * Everything taken from a database (signature names and lines, file names, header fields) is
 * untrusted: HTML-escaped in the page, control characters made visible in the text.
 */
import { countBySeverity, type Finding } from "../finding.js";
import {
  escapeHtml,
  findingsTableHtml,
  findingsText,
  htmlHead,
  oneLine,
  terminalSafe,
} from "../report-render.js";
import type { ContainerVerification } from "./container.js";
import type { SignatureDatabase } from "./database.js";
import { diffDatabases, isEmptyDiff, type SigdbDiff } from "./diff.js";
import { analyzeDatabase } from "./findings/index.js";
import type { LineIssue } from "./model.js";

export const SIGDB_REVIEW_TYPE = "https://crosscheck.dev/report/sigdb-review/v1";

export interface DatabaseSummary {
  name: string;
  source: SignatureDatabase["source"];
  header?: {
    version: number;
    signatures: number;
    functionalityLevel: number;
    builder: string;
    buildTime: string;
  };
  verification?: ContainerVerification;
  /** The `.info` index's DSIG. */
  index?: "valid" | "invalid" | "absent";
  cdiff?: { name: string; version: number; signature: string; commands: number };
  files: number;
  signatures: number;
  byKind: Record<string, number>;
  issues: LineIssue[];
}

export interface SigdbReview {
  type: typeof SIGDB_REVIEW_TYPE;
  old: DatabaseSummary | null;
  new: DatabaseSummary;
  diff: SigdbDiff | null;
  /** Most severe first. */
  findings: Finding[];
}

export function summarize(db: SignatureDatabase): DatabaseSummary {
  const byKind: Record<string, number> = {};
  for (const s of db.signatures) byKind[s.kind] = (byKind[s.kind] ?? 0) + 1;
  return {
    name: db.name,
    source: db.source,
    ...(db.header
      ? {
          header: {
            version: db.header.version,
            signatures: db.header.signatures,
            functionalityLevel: db.header.functionalityLevel,
            builder: db.header.builder,
            buildTime: db.header.buildTime,
          },
        }
      : {}),
    ...(db.verification ? { verification: db.verification } : {}),
    ...(db.info ? { index: db.info.signature } : {}),
    ...(db.cdiff
      ? {
          cdiff: {
            name: db.cdiff.name,
            version: db.cdiff.version,
            signature: db.cdiff.signature,
            commands: db.cdiff.commands,
          },
        }
      : {}),
    files: db.files.length,
    signatures: db.signatures.length,
    byKind,
    issues: db.issues,
  };
}

/** Diffs `next` against `old` (when given) and runs the findings over `next`. */
export function reviewDatabases(
  old: SignatureDatabase | undefined,
  next: SignatureDatabase,
): SigdbReview {
  const diff = old ? diffDatabases(old, next) : null;
  const findings = analyzeDatabase(next, {
    ...(old ? { previous: old } : {}),
    ...(diff ? { diff } : {}),
  });
  return {
    type: SIGDB_REVIEW_TYPE,
    old: old ? summarize(old) : null,
    new: summarize(next),
    diff,
    findings,
  };
}

export function diffSummaryLine(d: SigdbDiff): string {
  return `${d.added.length} added, ${d.removed.length} removed, ${d.changed.length} changed, ${d.unchanged} unchanged`;
}

function verificationText(s: DatabaseSummary): string {
  const parts: string[] = [];
  if (s.verification) {
    parts.push(`MD5 ${s.verification.md5}`);
    parts.push(
      s.verification.signature === "valid"
        ? `signature valid (${s.verification.key})`
        : `signature ${s.verification.signature}`,
    );
  }
  if (s.index) parts.push(`index DSIG ${s.index}`);
  if (s.cdiff)
    parts.push(
      `from ${s.cdiff.name} (signature ${s.cdiff.signature}, ${s.cdiff.commands} commands)`,
    );
  return parts.join(", ");
}

function summaryLine(label: string, s: DatabaseSummary): string {
  const h = s.header;
  const kinds = Object.entries(s.byKind)
    .sort()
    .map(([k, n]) => `${n} ${k}`)
    .join(", ");
  return [
    `${label} ${s.name} (${s.source}): ${s.signatures} signatures in ${s.files} files${kinds ? ` (${kinds})` : ""}`,
    ...(h
      ? [
          `    header: version ${h.version}, ${h.signatures} signatures, functionality level ${h.functionalityLevel}, built ${h.buildTime} by ${h.builder}`,
        ]
      : []),
    ...(verificationText(s) ? [`    ${verificationText(s)}`] : []),
    ...(s.issues.length ? [`    ${s.issues.length} line issues`] : []),
  ].join("\n");
}

/** Longest list printed per diff section in text; JSON always has everything. */
const TEXT_LIST = 500;

export function renderText(review: SigdbReview): string {
  const out: string[] = [];
  if (review.old) out.push(summaryLine("old", review.old));
  out.push(summaryLine("new", review.new));
  for (const [label, s] of [
    ["old", review.old],
    ["new", review.new],
  ] as const) {
    if (!s || s.issues.length === 0) continue;
    out.push("", `Line issues in the ${label} database:`);
    for (const i of s.issues.slice(0, TEXT_LIST)) out.push(`  ${i.message} (${i.code})`);
    if (s.issues.length > TEXT_LIST)
      out.push(`  … and ${s.issues.length - TEXT_LIST} more (see --json)`);
  }
  const d = review.diff;
  if (d) {
    out.push("", `Diff: ${diffSummaryLine(d)}`);
    if (isEmptyDiff(d)) out.push("  no signature changed.");
    const list = <T>(items: T[], line: (x: T) => string) => {
      for (const x of items.slice(0, TEXT_LIST)) out.push(line(x));
      if (items.length > TEXT_LIST)
        out.push(`  … and ${items.length - TEXT_LIST} more (see --json)`);
    };
    list(d.added, (a) => `  + ${a.name}  (${a.file}:${a.line})  ${oneLine(a.text)}`);
    list(d.removed, (r) => `  - ${r.name}  (${r.file}:${r.line})  ${oneLine(r.text)}`);
    list(d.changed, (c) =>
      [
        `  * ${c.name}  (${c.file}:${c.line})`,
        ...c.old.map((t) => `      was: ${oneLine(t)}`),
        ...c.new.map((t) => `      now: ${oneLine(t)}`),
      ].join("\n"),
    );
    const f = d.files;
    if (f.added.length || f.removed.length || f.changed.length) {
      out.push(
        `  files: ${[...f.added.map((n) => `+${n}`), ...f.removed.map((n) => `-${n}`), ...f.changed.map((n) => `*${n}`)].join(" ")}`,
      );
    }
  }
  const count = countBySeverity(review.findings);
  out.push(
    "",
    `Findings: ${count.critical} critical, ${count.high} high, ${count.medium} medium, ${count.low} low, ${count.info} info`,
  );
  out.push(...findingsText(review.findings, (f) => `${f.location.file}:${f.location.line}`));
  return `${terminalSafe(out.join("\n"))}\n`;
}

export function renderJson(review: SigdbReview): string {
  return `${JSON.stringify(review, null, 2)}\n`;
}

const CSS = `
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1b1b1b}
h1{font-size:1.4rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
pre,code{font:12px/1.4 ui-monospace,monospace;white-space:pre-wrap;word-break:break-all}
pre{background:#f6f6f6;padding:.4rem;margin:.2rem 0}
.sev{font-weight:600;padding:0 .4rem;border-radius:3px}
.critical{background:#5c0011;color:#fff}.high{background:#b00020;color:#fff}.medium{background:#e07b00;color:#fff}.low{background:#2c6bb5;color:#fff}.info{background:#777;color:#fff}
.add{color:#0a6b24}.del{color:#b00020}.muted{color:#666}
`;

/** Longest list in the page per diff section: a browser should still open it. */
const HTML_LIST = 5000;

export function renderHtml(review: SigdbReview): string {
  const h = escapeHtml;
  const parts: string[] = [];
  const title = `Signature database review: ${review.new.name}`;
  parts.push(
    ...htmlHead(title, CSS),
    "<table><tr><th></th><th>database</th><th>version</th><th>signatures (header)</th><th>signatures read</th><th>files</th><th>verification</th><th>line issues</th></tr>",
  );
  const row = (label: string, s: DatabaseSummary) =>
    `<tr><th>${label}</th><td><code>${h(s.name)}</code> (${h(s.source)})</td><td>${s.header?.version ?? ""}</td><td>${s.header?.signatures ?? ""}</td><td>${s.signatures}</td><td>${s.files}</td><td>${h(verificationText(s))}</td><td>${s.issues.length}</td></tr>`;
  if (review.old) parts.push(row("old", review.old));
  parts.push(row("new", review.new), "</table>");
  for (const [label, s] of [
    ["old", review.old],
    ["new", review.new],
  ] as const) {
    if (!s || s.issues.length === 0) continue;
    parts.push(`<h2>Line issues in the ${label} database</h2><ul>`);
    for (const i of s.issues.slice(0, HTML_LIST))
      parts.push(`<li><code>${h(i.message)}</code> (${h(i.code)})</li>`);
    parts.push("</ul>");
  }
  const d = review.diff;
  if (d) {
    parts.push(`<h2>Diff</h2><p>${h(diffSummaryLine(d))}</p><ul>`);
    for (const a of d.added.slice(0, HTML_LIST)) {
      parts.push(
        `<li class="add">added <code>${h(a.name)}</code> <span class="muted">${h(a.file)}:${a.line}</span><pre>${h(a.text)}</pre></li>`,
      );
    }
    for (const r of d.removed.slice(0, HTML_LIST)) {
      parts.push(
        `<li class="del">removed <code>${h(r.name)}</code> <span class="muted">${h(r.file)}:${r.line}</span><pre>${h(r.text)}</pre></li>`,
      );
    }
    for (const c of d.changed.slice(0, HTML_LIST)) {
      parts.push(
        `<li>changed <code>${h(c.name)}</code> <span class="muted">${h(c.file)}:${c.line}</span>${c.old.map((t) => `<pre class="del">${h(t)}</pre>`).join("")}${c.new.map((t) => `<pre class="add">${h(t)}</pre>`).join("")}</li>`,
      );
    }
    parts.push("</ul>");
  }
  const count = countBySeverity(review.findings);
  parts.push(
    `<h2>Findings</h2><p>${count.critical} critical, ${count.high} high, ${count.medium} medium, ${count.low} low, ${count.info} info</p>`,
  );
  parts.push(
    ...findingsTableHtml(
      review.findings,
      "signature",
      (f) => `${h(f.location.file)}:${f.location.line}`,
    ),
  );
  parts.push("</body></html>\n");
  return parts.join("\n");
}
