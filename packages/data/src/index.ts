export * from './errors.js';
export * from './types.js';
export { listTasks, loadTask, isBuiltinTask } from './tasks/registry.js';
export { describeTask, countLabels } from './tasks/describe-task.js';
export { COARSE_TAGS, BROWN_TO_COARSE, brownToCoarse, type CoarseTag } from './tasks/pos-tagset.js';
export { pretrainCorpus, type PretrainDocument } from './pretrain-corpus.js';
export { sha256Hex } from './hash.js';
export {
  importDataset,
  importDatasetOptionsSchema,
  MAX_DATASET_BYTES,
  type ImportDatasetOptions,
  type ImportedDataset,
} from './import/import-dataset.js';
