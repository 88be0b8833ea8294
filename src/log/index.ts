export { type AuditOptions, type AuditReport, auditLog, openCheckpoint } from "./audit.js";
export { type BulkAppendOptions, bulkAppend } from "./bulk-append.js";
export { type AddResponse, LogClient, type LogClientOptions, readLimited } from "./client.js";
export {
  type CheckpointHistoryRoutesOptions,
  checkpointHistoryRoutes,
  checkpointView,
} from "./history-http.js";
export { type LogRoutesOptions, logRoutes } from "./http.js";
export { DEFAULT_LEASE_MS, type Fence } from "./leader-lease.js";
export {
  prefixRoot,
  proveConsistency,
  proveInclusion,
  readLeafHash,
  readNodeHashes,
  type TileSource,
} from "./proofs.js";
export { type ReplicaOptions, replicaName } from "./replica.js";
export { type AddResult, checkEntry, emptyTreeState } from "./sequencer.js";
export type {
  CheckpointPage,
  LogStorage,
  PublishedCheckpoint,
  TreeState,
} from "./storage/storage.js";
export { type OpenLogOptions, openLogStorage, TransparencyLog } from "./transparency-log.js";
