/**
 * The one finding model every review of vendor content speaks (YARA rule packs and ClamAV
 * signature databases alike): one `Finding` per rule or signature and concern, with a severity,
 * where it is, a sentence a reviewer can check against the source, and the decoded evidence. A
 * finding's id is stable across runs and formatting changes: category + rule + a hash of its
 * evidence, so a reviewer's notes on a finding survive the next release.
 *
 * Severities are the release pipeline's, so a review maps onto it without translation.
 * `critical` is reserved for what breaks trust in the content as a whole (a database whose
 * signature does not verify); a rule or signature on its own is at most `high`.
 */

export type Severity = "critical" | "high" | "medium" | "low" | "info";

export type Category =
  // Shared by both reviews.
  | "document-hunting"
  | "targeting"
  | "over-broad"
  // YARA.
  | "personal-data"
  | "suppression"
  | "slow"
  | "hygiene"
  // Signature databases.
  | "silencing"
  | "bytecode"
  | "integrity"
  | "header";

/** Where a finding is: a file of the pack or database, a 1-based line and column. */
export interface FindingLocation {
  file: string;
  line: number;
  column: number;
}

export interface Finding {
  id: string;
  severity: Severity;
  category: Category;
  /** `file:name` of the rule or signature; for something outside any rule, the file alone. */
  rule: string;
  location: FindingLocation;
  message: string;
  /** What raised it, decoded to readable text. */
  evidence: string[];
}

/** Least to most severe. */
export const SEVERITIES: readonly Severity[] = ["info", "low", "medium", "high", "critical"];

/**
 * Severity from a 0–3 level (clamped): 0 info, 1 low, 2 medium, 3 high. Levels computed from
 * what a rule looks for never reach `critical`; that one is always chosen explicitly.
 */
export function severityOf(level: number): Severity {
  return SEVERITIES[Math.max(0, Math.min(3, level))] as Severity;
}

export function levelOf(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** 64 bits of FNV-1a (two 32-bit lanes) as 16 hex digits: stable, fast, not cryptographic. */
export function stableHash(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x9e3779b9;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193 + 0x2a);
  }
  return (a >>> 0).toString(16).padStart(8, "0") + (b >>> 0).toString(16).padStart(8, "0");
}

export function makeFinding(
  category: Category,
  severity: Severity,
  rule: string,
  loc: FindingLocation,
  message: string,
  evidence: string[],
): Finding {
  const id = `${category}:${rule}:${stableHash(evidence.join("\n"))}`;
  return {
    id,
    severity,
    category,
    rule,
    location: { file: loc.file, line: loc.line, column: loc.column },
    message,
    evidence,
  };
}

/** Most severe first, then by file, line and category: the order reports list findings in. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    levelOf(b.severity) - levelOf(a.severity) ||
    compareText(a.location.file, b.location.file) ||
    a.location.line - b.location.line ||
    compareText(a.category, b.category) ||
    compareText(a.id, b.id)
  );
}

/** Counts per severity, every severity present. */
export function countBySeverity(findings: readonly Finding[]): Record<Severity, number> {
  const count: Record<Severity, number> = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
  for (const f of findings) count[f.severity]++;
  return count;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
