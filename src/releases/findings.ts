/**
 * The analyzer interface and the findings report model. An analyzer looks at one release's
 * artifacts and returns findings; the service runs each as a job and keeps each report as JSON
 * with its SHA-256. A release's report combines its analyzers' reports; reviewers sign its digest
 * (`findings.reportSha256` of their verdict), so a verdict names exactly the evidence it rests on.
 */
import type { ReleasePredicate } from "../attest/index.js";

export const FINDINGS_REPORT_TYPE = "https://crosscheck.dev/report/findings/v1";

export type Severity = "critical" | "high" | "medium" | "low" | "info";

export interface Finding {
  /** Stable within the report: `<analyzer>/<artifact>/<n>`. */
  id: string;
  severity: Severity;
  analyzer: string;
  /** Where: the artifact, and inside it an offset or a path when the analyzer knows one. */
  location: { artifact: string; offset?: number; path?: string };
  message: string;
  /** What backs the finding up (matched bytes, rule names, sizes, digests…), analyzer-specific. */
  evidence: Record<string, unknown>;
}

export interface ArtifactFile {
  name: string;
  /** The stored file, named by digest. */
  path: string;
  sha256: string;
}

export interface Analyzer {
  name: string;
  version: string;
  channels: readonly string[];
  analyze(release: ReleasePredicate, artifacts: readonly ArtifactFile[]): Promise<Finding[]>;
}

export interface FindingsReport {
  type: typeof FINDINGS_REPORT_TYPE;
  release: { envelopeSha256: string; channel: string; version: string };
  analyzers: { name: string; version: string }[];
  findings: Finding[];
}

export function countFindings(findings: readonly Finding[]): {
  critical: number;
  high: number;
  medium: number;
  low: number;
} {
  const count = { critical: 0, high: 0, medium: 0, low: 0 };
  for (const f of findings) if (f.severity !== "info") count[f.severity]++;
  return count;
}
