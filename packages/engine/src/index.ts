export {};
export * from './errors.js';
export { SafetensorsFile, CheckpointReader, serializeSafetensors, writeSafetensors, type HostTensor } from './hf/safetensors.js';
export { loadTokenizer, tokenizerFromJson, saveTokenizer, type HfTokenizer } from './hf/tokenizer.js';
export { loadHfModel, saveHfModel, readHfConfig, hfStateDict, type LoadHfModelOptions, type LoadedHfModel } from './hf/model-io.js';
export { createModel, normalizeHfConfig, toHfConfig, headFromHfConfig, SUPPORTED_MODEL_TYPES } from './models/registry.js';
export { selectBackend, resolveBackendPreference, backendPreferenceSchema, BackendSelectionError, type BackendInfo, type BackendName, type BackendPreference, type SelectBackendOptions } from './backend.js';
