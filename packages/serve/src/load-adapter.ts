/**
 * Reading a PEFT-format adapter directory (adapter_config.json + adapter_model.safetensors) onto
 * a served model: the method is picked by `peft_type` from the method declarations' save
 * formats, and the method's registered loader in the engine reads it (`peft/<method>/adapter-io.ts`:
 * LoRA / DoRA, (IA)³, bottleneck adapters, prefix and prompt tuning), checking tensor names and shapes.
 *
 * Before any tensor is read, the config is checked against the served model (its task type, its
 * base model name, prefix/prompt token sizes): an adapter for another base is refused with the
 * reason; shapes the engine rejects while loading are refused the same way.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import {
  METHOD_DECLARATIONS, registeredPeftMethod, SafetensorsFile, CLASSIFIER_MODULE_NAMES,
  type HeadKind, type MethodName, type registerAttachment,
} from '@peft-lab/engine';
import { isPeftLabError } from '@peft-lab/errors';
import { AdapterFormatError, AdapterMismatchError } from './errors.js';

type TransformerModel = Parameters<typeof registerAttachment>[0];
type PeftAttachment = ReturnType<typeof registerAttachment>;

/** peft's task_type → the head a served model needs. */
const HEAD_OF_TASK_TYPE: Record<string, HeadKind> = { CAUSAL_LM: 'causal-lm', SEQ_CLS: 'sequence-classification', TOKEN_CLS: 'token-classification' };

/** What an adapter directory says about itself, read without touching a model. */
export interface AdapterDirInfo {
  dir: string;
  method: MethodName;
  peftType: string;
  head: HeadKind;
  /** Labels of the saved classification head (its first dimension), when the adapter saves one. */
  numLabels?: number;
  /** Virtual tokens the method prepends to the input (prompt tuning): they take positions. */
  virtualTokens: number;
  baseModelNameOrPath: string | null;
  config: Record<string, any>;
}

/**
 * Reads `dir`'s adapter_config.json and the saved tensors' headers.
 * @throws AdapterFormatError (422) when a file is missing, the JSON is broken or no registered method saves this peft_type.
 */
export function readAdapterDir(name: string, dir: string): AdapterDirInfo {
  const configPath = join(dir, 'adapter_config.json');
  const weightsPath = join(dir, 'adapter_model.safetensors');
  if (!existsSync(configPath)) throw new AdapterFormatError(name, `${dir}: adapter_config.json is missing (a PEFT adapter directory holds adapter_config.json and adapter_model.safetensors)`);
  if (!existsSync(weightsPath)) throw new AdapterFormatError(name, `${dir}: adapter_model.safetensors is missing`);
  let config: Record<string, any>;
  try {
    config = JSON.parse(readFileSync(configPath, 'utf8'));
  } catch (err) {
    throw new AdapterFormatError(name, `${configPath} is not valid JSON (${(err as Error).message})`);
  }
  const peftType = config.peft_type;
  const decl = METHOD_DECLARATIONS.find((d) => d.saveFormat !== 'full checkpoint' && d.saveFormat.peftType === peftType);
  if (!decl) {
    const known = METHOD_DECLARATIONS.flatMap((d) => (d.saveFormat === 'full checkpoint' ? [] : [d.saveFormat.peftType]));
    throw new AdapterFormatError(name, `peft_type=${JSON.stringify(peftType)} is not a method this server loads (${known.join(', ')})`);
  }
  const taskType = config.task_type ?? 'CAUSAL_LM';
  const head = HEAD_OF_TASK_TYPE[taskType];
  if (!head) throw new AdapterFormatError(name, `task_type=${JSON.stringify(taskType)}: served task types are ${Object.keys(HEAD_OF_TASK_TYPE).join(', ')}`);
  let numLabels: number | undefined;
  if (head !== 'causal-lm') {
    let file: SafetensorsFile;
    try {
      file = SafetensorsFile.read(weightsPath);
    } catch (err) {
      throw new AdapterFormatError(name, `${weightsPath}: ${(err as Error).message}`);
    }
    // The saved classifier's weight is [numLabels, in] (nn.Linear layout); RoBERTa's is classifier.out_proj.
    const classifier = [...file.entries.keys()].find((k) => CLASSIFIER_MODULE_NAMES.some((n) => k.endsWith(`${n}.weight`) || k.endsWith(`${n}.out_proj.weight`)));
    if (classifier) numLabels = file.entries.get(classifier)!.shape[0];
  }
  const virtualTokens = decl.name === 'prompt' ? Number(config.num_virtual_tokens ?? 0) : 0;
  return { dir, method: decl.name, peftType, head, numLabels, virtualTokens, baseModelNameOrPath: config.base_model_name_or_path ?? null, config };
}

/** What the served model is known as: an adapter naming any of these (or their last path part) is for it. */
export function baseModelAliases(name: string, dir: string, hfConfig: Record<string, unknown>): Set<string> {
  const out = new Set<string>([name, dir, basename(dir)]);
  if (typeof hfConfig._name_or_path === 'string' && hfConfig._name_or_path) out.add(hfConfig._name_or_path);
  for (const a of [...out]) out.add(basename(a));
  return out;
}

/**
 * The config checks that need no tensor: base model name, and the sizes prefix / prompt tuning
 * record (token_dim, num_layers).
 * @throws AdapterMismatchError (422)
 */
export function checkAdapterFitsBase(name: string, info: AdapterDirInfo, model: TransformerModel, aliases: Set<string>): void {
  const b = info.baseModelNameOrPath;
  if (b && !aliases.has(b) && !aliases.has(basename(b))) {
    throw new AdapterMismatchError(name, `adapter_config.json base_model_name_or_path=${JSON.stringify(b)}, the server runs ${[...aliases].map((a) => JSON.stringify(a)).slice(0, 3).join(' / ')}`);
  }
  const c = model.config;
  if (info.config.token_dim != null && info.config.token_dim !== c.dModel) throw new AdapterMismatchError(name, `token_dim=${info.config.token_dim}, the served model's hidden size is ${c.dModel}`);
  if (info.method === 'prefix' && info.config.num_layers != null && info.config.num_layers !== c.numLayers) throw new AdapterMismatchError(name, `num_layers=${info.config.num_layers}, the served model has ${c.numLayers} layers`);
}

/**
 * Loads the adapter in `info.dir` onto `model` as `adapterName`, leaving the model's active
 * adapter as it was (the server switches per batch).
 * @throws AdapterMismatchError (422) for shapes or module names the model does not have, AdapterFormatError (422) for unreadable files.
 */
export function loadAdapterOnto(model: TransformerModel, info: AdapterDirInfo, adapterName: string): PeftAttachment {
  const active = model.hooks;
  try {
    const load = registeredPeftMethod(info.method)?.load;
    if (!load) throw new AdapterFormatError(adapterName, `method ${info.method} has no adapter loader in this engine`);
    return load(model, info.dir, adapterName);
  } catch (err) {
    if (err instanceof AdapterMismatchError || err instanceof AdapterFormatError) throw err;
    const code = isPeftLabError(err) ? (err as { code: string }).code : '';
    // Shapes or modules the served model does not have: the adapter is for another base.
    if (code === 'WEIGHT_SHAPE' || code === 'PEFT_CONFIG' || code === 'CHECKPOINT_FORMAT') throw new AdapterMismatchError(adapterName, (err as Error).message, { cause: err });
    if (code === 'UNSUPPORTED_CONFIG') throw new AdapterFormatError(adapterName, (err as Error).message, { cause: err });
    throw err;
  } finally {
    model.hooks = active;
  }
}
