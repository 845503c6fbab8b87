export * from './errors.js';
export { startServe, type StartServeOptions, type RunningServe } from './serve.js';
export { AdapterPool, ADAPTER_NAME, BASE_ADAPTER, type AdapterSource, type AdapterListing } from './adapter-pool.js';
export { ServedModel, type ServedModelOptions } from './served-model.js';
export { ServeStats, SampleRing } from './serve-stats.js';
export { PredictQueue } from './predict-queue.js';
export { predictBatch, type Prediction, type PredictOptions, type ClassificationPrediction, type TokenTagsPrediction, type NextTokenPrediction } from './predict.js';
export { readAdapterDir, loadAdapterOnto, checkAdapterFitsBase, baseModelAliases, type AdapterDirInfo } from './load-adapter.js';
export { serveApiHandler, listen, predictRequestSchema, loadAdapterRequestSchema, MAX_BODY_BYTES, type ServeApiOptions, type ArtifactResolver } from './http-server.js';
