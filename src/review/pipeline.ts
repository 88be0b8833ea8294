/**
 * The shapes a release-pipeline analyzer receives and returns. They mirror the release service's
 * own types, declared here so reviews need not import the service (layers point one way); the
 * service registers each analyzer and the compiler checks the shapes match.
 */

export interface ReleaseArtifactFile {
  name: string;
  path: string;
  sha256: string;
}

export interface PipelineFinding {
  id: string;
  severity: "critical" | "high" | "medium" | "low" | "info";
  analyzer: string;
  location: { artifact: string; offset?: number; path?: string };
  message: string;
  evidence: Record<string, unknown>;
}
