/**
 * Rendering both reviews' reports share (YARA rules and ClamAV signature databases): making
 * untrusted text safe for a terminal or an HTML page, the page's head, and the findings listed
 * in text and as an HTML table. Each review keeps its own layout around these.
 */
import type { Finding } from "./finding.js";

/** Control characters (and DEL, C1, bidi overrides) shown as escapes: no terminal injection. */
export function terminalSafe(text: string): string {
  let out = "";
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const control =
      (c < 0x20 && c !== 0x09 && c !== 0x0a) ||
      (c >= 0x7f && c <= 0x9f) ||
      (c >= 0x202a && c <= 0x202e) ||
      (c >= 0x2066 && c <= 0x2069);
    if (!control) continue;
    out += `${text.slice(from, i)}\\u${c.toString(16).padStart(4, "0")}`;
    from = i + 1;
  }
  return from === 0 ? text : out + text.slice(from);
}

/** Flattens text to one line of at most `max` characters, for a terminal list. */
export function oneLine(text: string, max = 200): string {
  const flat = text.replace(/\s*\n\s*/g, " ");
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The findings in text, one entry each; `where` is how the review cites a location. */
export function findingsText(
  findings: readonly Finding[],
  where: (f: Finding) => string,
): string[] {
  const out: string[] = [];
  for (const f of findings) {
    out.push(`  [${f.severity}] ${f.category}  ${f.rule}  (${where(f)})`, `      ${f.message}`);
    for (const e of f.evidence) out.push(`      | ${oneLine(e)}`);
  }
  return out;
}

/**
 * The page up to and including its `<h1>`: inline CSS only, and a Content-Security-Policy that
 * loads nothing, since the page quotes untrusted text.
 */
export function htmlHead(title: string, css: string): string[] {
  const h = escapeHtml;
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<meta name="referrer" content="no-referrer">',
    `<title>${h(title)}</title><style>${css}</style></head><body>`,
    `<h1>${h(title)}</h1>`,
  ];
}

/**
 * The findings as an HTML table (nothing when there are none); `subject` heads the column of
 * what each finding is about, `where` is how the review cites a location (already escaped).
 */
export function findingsTableHtml(
  findings: readonly Finding[],
  subject: string,
  where: (f: Finding) => string,
): string[] {
  if (findings.length === 0) return [];
  const h = escapeHtml;
  const parts = [
    `<table><tr><th>severity</th><th>category</th><th>${subject}</th><th>finding</th></tr>`,
  ];
  for (const f of findings) {
    const evidence = f.evidence.map((e) => `<pre>${h(e)}</pre>`).join("");
    parts.push(
      `<tr><td><span class="sev ${h(f.severity)}">${h(f.severity)}</span></td><td>${h(f.category)}</td><td><code>${h(f.rule)}</code><br><span class="muted">${where(f)}</span></td><td>${h(f.message)}${evidence}</td></tr>`,
    );
  }
  parts.push("</table>");
  return parts;
}
