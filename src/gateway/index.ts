/**
 * The telemetry audit gateway (issue 7): what an endpoint product sends home passes here first.
 * Records are checked against the reviewed data dictionary, personal data is found and redacted
 * per tenant policy, samples are classified by content, everything accepted is spooled durably
 * and forwarded only to the tenant's region, and every decision lands in a public audit log.
 */
export {
  BATCH_ENTRY_TYPE,
  DELIVERY_ENTRY_TYPE,
  decisionLeaf,
  decisionsRoot,
} from "./audit.js";
export {
  ACTIONS,
  type Action,
  DEFAULT_LIMITS,
  type GatewayConfig,
  type GatewayConfigDocument,
  parseGatewayConfig,
} from "./config.js";
export { demoVendorRoutes } from "./demo-vendor.js";
export {
  type DictionarySource,
  fileDictionarySource,
  remoteDictionarySource,
  serviceDictionarySource,
} from "./dictionary-source.js";
export {
  type GatewayOptions,
  type IngestResult,
  type SampleResult,
  TelemetryGateway,
} from "./gateway.js";
export {
  type GatewayRoutesOptions,
  gatewayRoutes,
  type Identity,
  type PublishedDictionary,
  type PublishedField,
  type StatisticsReport,
} from "./http.js";
export { type InputRecord, processBatch, type TenantRuntime } from "./pipeline.js";
export { TenantPolicy } from "./redaction-policy.js";
export {
  type Counts,
  type GatewayStatistics,
  type GatewayStore,
  NO_EVENT_TYPE,
  openGatewayStore,
  UNDECLARED_EVENT_TYPE,
} from "./storage/index.js";
export { loadTenantSecret, type TenantKeys, tenantKeys } from "./tenant-keys.js";
