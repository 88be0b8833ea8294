/**
 * The monitor's public face: tail a log over its C2SP read API and check every checkpoint and
 * entry against a trust policy (`Monitor`), compare checkpoints endpoints gossip
 * (`compareCheckpoints`), and the alerts and state they use. No HTTP server, no SQL: the log is
 * read through `LogClient` (fetch).
 */
export {
  ALERT_CODES,
  type Alert,
  type AlertCode,
  type AlertSeverity,
  formatAlert,
} from "./alerts.js";
export { artifactsKey } from "./checks.js";
export { type CompareOptions, type CompareResult, compareCheckpoints } from "./compare.js";
export { Monitor, type MonitorOptions, type PollResult } from "./monitor.js";
export {
  emptyMonitorState,
  MAX_RELEASES,
  MAX_VERDICTS,
  MONITOR_STATE_TYPE,
  type MonitorState,
  parseMonitorState,
  serializeMonitorState,
} from "./state.js";
