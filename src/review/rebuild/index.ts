/**
 * Rebuilds (issue 10): the recipe format a product release carries, the sandboxed build of a
 * named commit, the comparison that explains a BAD (archive members, diffoscope), the rebuild
 * attestation a rebuilder signs, and the pipeline's `rebuild` analyzer. Node-only (it runs git and
 * builds); the predicate itself is in src/attest/rebuild.ts.
 */
export {
  REBUILD_ANALYZER,
  REBUILD_ANALYZER_VERSION,
  type RebuildAnalyzerOptions,
  rebuildAnalyzer,
  rebuildFindings,
} from "./analyzer.js";
export {
  type ArchiveListing,
  type ArchiveMember,
  ArchiveUnreadable,
  listArchive,
} from "./archive.js";
export { rebuildPredicate, rebuildResultStatement } from "./attestation.js";
export { compareArtifacts } from "./compare.js";
export { findDiffoscope } from "./diffoscope.js";
export {
  type RebuildProgress,
  type RebuildRequest,
  type RebuildResult,
  type RebuiltArtifact,
  rebuildRelease,
} from "./rebuild.js";
export { parseRecipe, RECIPE_FORMAT, type Recipe } from "./recipe.js";
export { namespaceSupport } from "./sandbox.js";
