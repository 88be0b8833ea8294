export {
  decodeLogsRequest,
  encodeLogsResponse,
  encodeOtlpStatus,
  type OtlpDecodeLimits,
  type OtlpEncoding,
  type OtlpLogRecord,
  otlpEncodingOf,
} from "./logs.js";
export { toGatewayRecord } from "./record.js";
