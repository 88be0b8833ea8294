/**
 * Analyzers that read what a vendor ships before reviewers sign it. `rules/`: YARA — the parser
 * and printer (browser-safe), findings, the semantic diff of two packs, reports, pack loading
 * (Node: files and archives) and the pipeline analyzer for the `rules` channel. `sigdb/`: ClamAV
 * signature databases — containers, cdiffs, every signature format, the diff, findings, reports
 * and the pipeline analyzer for the `sigdb` channel. Both speak one finding model (`finding.ts`)
 * and read patterns through one keyword and encoding engine (`keywords/`).
 */

export {
  DICTIONARY_ANALYZER,
  type DictionaryAnalyzerOptions,
  dictionaryAnalyzer,
} from "./dictionary/analyzer.js";
export {
  compareFindings,
  countBySeverity,
  type FindingLocation,
  levelOf,
  makeFinding,
  severityOf,
} from "./finding.js";
export * as keywords from "./keywords/index.js";
export { escapeHtml } from "./report-render.js";
export { publishedPredecessor, RULES_ANALYZER, rulesAnalyzer } from "./rules/analyzer.js";
export {
  diffRules,
  isEmptyDiff,
  type PackDiff,
  type RuleChange,
  type RuleRename,
} from "./rules/diff.js";
export {
  type AnalyzeOptions,
  analyzeRules,
  type Category,
  type Finding,
  SEVERITIES,
  type Severity,
} from "./rules/findings/index.js";
export * from "./rules/index.js";
export {
  DEFAULT_PACK_LIMITS,
  loadRulePack,
  type PackLimits,
  parsePack,
  type RulePack,
} from "./rules/pack.js";
export {
  RULES_REVIEW_TYPE,
  type RulesReview,
  renderHtml,
  renderJson,
  renderText,
  reviewRulePacks,
} from "./rules/report.js";
export {
  analyzeDatabase,
  CLAMAV_KEYS,
  diffDatabases,
  listedNames,
  loadedCount,
  openDatabase,
  readDatabase,
  readUpdatedDatabase,
  renderSigdbHtml,
  renderSigdbJson,
  renderSigdbText,
  reviewDatabases,
  SIGDB_ANALYZER,
  SIGDB_REVIEW_TYPE,
  type SigdbDiff,
  type SigdbReview,
  type SignatureDatabase,
  sigdbAnalyzer,
} from "./sigdb/index.js";
