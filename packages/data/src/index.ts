export * from './errors.js';
export * from './types.js';
export { listTasks, loadTask, isBuiltinTask } from './tasks/registry.js';
export { describeTask, countLabels } from './tasks/describe-task.js';
export { COARSE_TAGS, BROWN_TO_COARSE, brownToCoarse, type CoarseTag } from './tasks/pos-tagset.js';
export { pretrainCorpus, type PretrainDocument } from './pretrain-corpus.js';
export { sha256Hex } from './hash.js';
export {
  importDataset,
  datasetColumns,
  importDatasetOptionsSchema,
  MAX_DATASET_BYTES,
  type ImportDatasetOptions,
  type ImportedDataset,
} from './import/import-dataset.js';
export { trainByteLevelBpe, type BpeModel, type BpeTrainingOptions } from './tokenizer/bpe-trainer.js';
export { ByteLevelBpeTokenizer, END_OF_TEXT, PAD, type TokenizerJson } from './tokenizer/byte-level-bpe-tokenizer.js';
export {
  BUILTIN_MODEL_DIR,
  BUILTIN_VOCAB_SIZE,
  BUILTIN_SPECIAL_TOKENS,
  loadBuiltinTokenizer,
  tokenizerFiles,
  trainBuiltinTokenizer,
  type TrainBuiltinTokenizerOptions,
} from './tokenizer/builtin-tokenizer.js';
export { pretrainBuiltinModel, heldOutPerplexity, pretrainOptionsSchema, type PretrainOptions, type PretrainingRecord } from './pretrain/pretrain-builtin-model.js';
export { builtinModelAvailable, BUILTIN_MODEL_FILES } from './pretrain/builtin-model.js';
export { BUILTIN_MODEL_SIZE, builtinHfConfig, type BuiltinModelSize } from './pretrain/builtin-config.js';
export { packCorpus, chunkTokens, isHeldOutDocument, type PackedCorpus } from './pretrain/packed-chunks.js';
export { forgettingSample, type ForgettingSample, type ForgettingSampleOptions } from './pretrain/forgetting-sample.js';
