export { countParams, type ParamCounts } from './params.js';
export { PeakMemorySampler } from './memory.js';
export { measureForwardLatency, measureInferenceLatency, median, type InferenceLatency, type LatencyOptions } from './latency.js';
