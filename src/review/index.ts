/**
 * Analyzers that read what a vendor ships before reviewers sign it. `rules/`: YARA — the parser
 * and printer (browser-safe), findings, the semantic diff of two packs, reports, pack loading
 * (Node: files and archives) and the pipeline analyzer for the `rules` channel.
 */

export {
  DICTIONARY_ANALYZER,
  type DictionaryAnalyzerOptions,
  dictionaryAnalyzer,
} from "./dictionary/analyzer.js";
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
  escapeHtml,
  RULES_REVIEW_TYPE,
  type RulesReview,
  renderHtml,
  renderJson,
  renderText,
  reviewRulePacks,
} from "./rules/report.js";
