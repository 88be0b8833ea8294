export {
  type ClassifyLimits,
  classifySample,
  defaultSampleAction,
  type SampleKind,
  type SampleType,
} from "./classify.js";
export { type ReceivedSample, receiveSample } from "./receive.js";
