export { type Backoff, backoffDelay, parseRetryAfter } from "./backoff.js";
export { Forwarder, type ForwarderOptions } from "./forwarder.js";
export {
  checkRegions,
  type Endpoint,
  endpointsByRegion,
  type RegionEndpoints,
} from "./residency.js";
export { postPinned, type ResolvedAddress, resolveHost, type UpstreamAnswer } from "./send.js";
