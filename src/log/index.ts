export { type AuditOptions, type AuditReport, auditLog, openCheckpoint } from "./audit.js";
export { type AddResponse, LogClient, type LogClientOptions, readLimited } from "./client.js";
export { type LogRoutesOptions, logRoutes } from "./http.js";
export {
  prefixRoot,
  proveConsistency,
  proveInclusion,
  readLeafHash,
  readNodeHashes,
  type TileSource,
} from "./proofs.js";
export { type AddResult, checkEntry, emptyTreeState } from "./sequencer.js";
export type { LogStorage, TreeState } from "./storage/storage.js";
export { type OpenLogOptions, TransparencyLog } from "./transparency-log.js";
