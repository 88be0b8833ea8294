export { type CollectorOptions, CosignatureCollector } from "./collector.js";
export {
  inconsistencyEvidence,
  parseSplitViewEvidence,
  SPLIT_VIEW_EVIDENCE_TYPE,
  type SplitViewEvidence,
  sameSizeEvidence,
  signedByLog,
  verifySplitViewEvidence,
} from "./evidence.js";
export { witnessRoutes } from "./http.js";
export {
  type AddCheckpointRequest,
  formatAddCheckpoint,
  parseAddCheckpoint,
  parseTlogSize,
  TLOG_SIZE_CONTENT_TYPE,
} from "./protocol.js";
export {
  type CosignedState,
  type EvidenceRecord,
  MAX_EVIDENCE_PER_LOG,
  WitnessStore,
} from "./store.js";
export { Witness, type WitnessOptions, type WitnessResponse } from "./witness.js";
