export { countParams, type ParamCounts } from './params.js';
export { PeakMemorySampler } from './memory.js';
export {
  measureForwardLatency, measureInferenceLatency, median, quantile, interleavedTimings, perRoundRatio,
  type InferenceLatency, type LatencyOptions, type LatencyRatio, type TimedVariant, type InterleavedTimes,
} from './latency.js';
export { languageModelLoss, languageModelLossWith, measureForgetting, noLanguageModelHead, type Forgetting, type ForgettingSampleInput } from './forgetting.js';
export { estimateTrainingMemory, MEMORY_METHODS, RUNTIME_OVERHEAD_BYTES, type TrainingMemoryOptions, type TrainingMemoryEstimate, type TrainingMemoryBytes } from './memory-estimate.js';
export { checkTrainingMemory, availableMemory, cgroupMemoryLimit, formatBytes, InsufficientMemoryError, MemoryLimitConfigError, MEMORY_LIMIT_ENV, type AvailableMemory } from './memory-check.js';
