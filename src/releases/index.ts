export {
  assembleBundle,
  type BundleLog,
  type BundleParts,
  logBundleParts,
  proveBundle,
} from "./bundle.js";
