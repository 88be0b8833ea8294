/**
 * ClamAV signature database review (issue 9): containers (CVD/CLD/CUD) read and verified as
 * `sigtool --info` does, `.cdiff` updates applied as freshclam does, every signature file type
 * parsed (malformed lines reported with file:line and a stable code, the rest still read), the
 * diff of two versions by signature name and content, and findings in the shared review model —
 * document hunting through the shared keyword engine, document targeting, over-broad signatures,
 * silencing, bytecode, integrity and header sanity; YARA files inside go through the rules
 * analyzer. `analyzer.ts` is the release pipeline's analyzer of the `sigdb` channel.
 */
export {
  SIGDB_ANALYZER,
  SIGDB_ANALYZER_VERSION,
  type SigdbAnalyzerOptions,
  sigdbAnalyzer,
} from "./analyzer.js";
export { applyCdiff, type Cdiff, readCdiff } from "./cdiff.js";
export {
  type Container,
  type ContainerHeader,
  type ContainerVerification,
  parseHeader,
  readContainer,
} from "./container.js";
export { countedAt, listedNames, loadedCount } from "./counting.js";
export {
  applyCdiffToDatabase,
  type DatabaseFile,
  databaseFromFiles,
  databaseMembers,
  openDatabase,
  openDatabaseWithFiles,
  type ReadOptions,
  readDatabase,
  readUpdatedDatabase,
  type SignatureDatabase,
} from "./database.js";
export { diffDatabases, isEmptyDiff, type SigdbDiff } from "./diff.js";
export {
  CLAMAV_KEYS,
  type ClamavKeys,
  decodeSignatureNumber,
  type RsaPublicKey,
  verifyMd5Signature,
  verifySha256Signature,
} from "./dsig.js";
export { analyzeDatabase } from "./findings/index.js";
export { CURRENT_FL } from "./formats/body.js";
export { parseHexSignature } from "./hexsig.js";
export { DEFAULT_SIGDB_LIMITS, type SigdbLimits } from "./limits.js";
export { parseLogic } from "./logic.js";
export type * from "./model.js";
export {
  type DatabaseSummary,
  renderHtml as renderSigdbHtml,
  renderJson as renderSigdbJson,
  renderText as renderSigdbText,
  reviewDatabases,
  SIGDB_REVIEW_TYPE,
  type SigdbReview,
} from "./report.js";
