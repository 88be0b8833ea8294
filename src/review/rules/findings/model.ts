/**
 * What the rule review reports: one `Finding` per rule and concern, with a severity, where it is,
 * a sentence a reviewer can check against the rule text, and the decoded evidence. A finding's id
 * is stable across runs and formatting changes: category + rule + a hash of its evidence.
 */
import type { Loc, Rule } from "../ast.js";

export type Severity = "high" | "medium" | "low" | "info";

export type Category =
  | "document-hunting"
  | "targeting"
  | "personal-data"
  | "over-broad"
  | "suppression"
  | "slow"
  | "hygiene";

export interface Finding {
  id: string;
  severity: Severity;
  category: Category;
  /** `namespace/file:name`; for a comment outside any rule, the file alone. */
  rule: string;
  location: { file: string; line: number; column: number };
  message: string;
  /** The strings and condition fragments that raised it, decoded to readable text. */
  evidence: string[];
}

export const SEVERITIES: readonly Severity[] = ["info", "low", "medium", "high"];

/** Severity from a 0–3 level (clamped): 0 info, 1 low, 2 medium, 3 high. */
export function severityOf(level: number): Severity {
  return SEVERITIES[Math.max(0, Math.min(3, level))] as Severity;
}

export function levelOf(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

export function ruleRef(rule: Rule): string {
  return `${rule.loc.file}:${rule.name}`;
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
  loc: Pick<Loc, "file" | "line" | "column">,
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
