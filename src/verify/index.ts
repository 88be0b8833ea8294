export {
  BUNDLE_MEDIA_TYPE,
  type Bundle,
  BundleSchema,
  type LoggedEnvelope,
  MAX_BUNDLE_REBUILDS,
  MAX_BUNDLE_SIZE,
  parseBundle,
  serializeBundle,
} from "./bundle.js";
export {
  EMPTY_STATE,
  type EndpointState,
  EndpointStateSchema,
  parseEndpointState,
} from "./state.js";
export { type VerifiedRelease, type VerifyReleaseInput, verifyRelease } from "./verify-release.js";
