export { AnalysisWorker } from "./analyze.js";
export { artifactInventory } from "./analyzers/artifact-inventory.js";
export { ArtifactStore, DEFAULT_MAX_ARTIFACT_SIZE } from "./artifacts.js";
export {
  assembleBundle,
  type BundleLog,
  type BundleParts,
  logBundleParts,
  proveBundle,
} from "./bundle.js";
export {
  type Analyzer,
  type ArtifactFile,
  countFindings,
  FINDINGS_REPORT_TYPE,
  type Finding,
  type FindingsReport,
  type Severity,
} from "./findings.js";
export { type ReleaseRoutesOptions, releaseRoutes } from "./http.js";
export { DEFAULT_ANALYZERS, ReleaseService, type ReleaseServiceOptions } from "./service.js";
export type { ReleaseRow, ReleaseStore, Role } from "./storage/index.js";
export { openReleaseStore } from "./storage/index.js";
