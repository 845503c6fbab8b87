/**
 * @peft-lab/data/catalog — what a sweep can name, without TensorFlow: the built-in task
 * catalog (names, kinds, metrics, labels, sizes), the task and metric types, this
 * package's errors and where the built-in model lives. The dashboard and @peft-lab/db
 * import only this; the main entry adds loading, tokenizers and pretraining (the engine).
 */
export * from './errors.js';
export * from './types.js';
export { listTasks, isBuiltinTask } from './tasks/registry.js';
export { BUILTIN_MODEL_DIR } from './builtin-model-dir.js';
export { builtinModelAvailable, BUILTIN_MODEL_FILES } from './pretrain/builtin-model.js';
