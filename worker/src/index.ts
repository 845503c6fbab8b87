// @peft-lab/worker: claims trials from the queue and runs them with the engine.
export { runWorker, type RunWorkerOptions, type WorkerRunSummary } from './run-worker.js';
export { runTrial, summarize, measurementsOf, type TrialOutcome, type RunTrialContext } from './run-trial.js';
export { prepareTrial, type PreparedTrial, type Objective } from './prepare-trial.js';
export { methodConfig, trainingParams, methodHyperparameters, type TrialTrainingParams } from './method-config.js';
export { importAndRegisterDataset, loadResolvedTask } from './resolve.js';
export { registerBaseModel, validateBaseModelName, BASE_MODEL_NAME, type RegisterBaseModelOptions, type RegisteredBaseModel } from './base-models.js';
export { ProgressBoard, formatLine, type ProgressMode, type TrialProgress } from './progress.js';
export { createLogger, silentLogger, type Logger } from './logger.js';
export { workerEnv, childEnv, EnvironmentError, type WorkerEnv } from './env.js';
export { Backoff, isConnectionError, untilConnected } from './backoff.js';
export * from './errors.js';
