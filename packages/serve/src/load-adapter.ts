/**
 * Reading a PEFT-format adapter directory (adapter_config.json + adapter_model.safetensors) onto
 * a served model: the method is picked by `peft_type` from the method declarations' save
 * formats, and the registered loader runs where the method has one (LoRA / DoRA, (IA)³). The
 * methods without one (bottleneck adapters, prefix and prompt tuning) save their trainables as
 * held, so they are re-created from their adapter_config.json and the saved tensors assigned.
 *
 * Before any tensor is read, the config is checked against the served model (its task type, its
 * base model name, prefix/prompt token sizes): an adapter for another base is refused with the
 * reason; shapes the engine rejects while loading are refused the same way.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  METHOD_DECLARATIONS, registerAttachment, registeredPeftMethod, SafetensorsFile, CLASSIFIER_MODULE_NAMES,
  type HeadKind, type HostTensor, type MethodName,
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

/** Engine config of a method without a registered loader, from its own adapter_config.json (see each method's `adapterConfigJson`). */
function engineConfig(method: MethodName, json: Record<string, any>): Record<string, unknown> {
  // null: no head was saved, so none is created (a saved head's copy replaces the base's otherwise).
  const modulesToSave = json.modules_to_save ?? [];
  switch (method) {
    case 'adapter':
      return { placement: json.placement, bottleneck: json.bottleneck, nonLinearity: json.non_linearity, modulesToSave };
    case 'prefix':
      // Saved folded (`beforeSave`): the table only, whatever prefix_projection trained with.
      return { numVirtualTokens: json.num_virtual_tokens, prefixProjection: false, modulesToSave };
    case 'prompt':
      // The saved table replaces any init, so the cheapest one is used.
      return { numVirtualTokens: json.num_virtual_tokens, init: 'random', modulesToSave };
    default:
      throw new Error(`no adapter_config.json mapping for method ${method}`);
  }
}

/** Saved heads (`base_model.<module>.weight`) are stored [out, in]; the attachment holds them [in, out] like the base. */
const isSavedHeadWeight = (key: string, rank: number) => rank === 2 && key.startsWith('base_model.') && key.endsWith('.weight');

/** Creates `method` from its config and assigns the saved tensors to its trainables, checking each name and shape. */
function loadByAssignment(model: TransformerModel, info: AdapterDirInfo, adapterName: string): PeftAttachment {
  const impl = registeredPeftMethod(info.method);
  if (!impl) throw new AdapterFormatError(adapterName, `method ${info.method} is not registered in this engine`);
  const weightsPath = join(info.dir, 'adapter_model.safetensors');
  const file = SafetensorsFile.read(weightsPath);
  const attachment = impl.create(model, engineConfig(info.method, info.config), adapterName);
  try {
    const extra = [...file.entries.keys()].filter((k) => !attachment.trainable.has(k));
    if (extra.length) throw new AdapterMismatchError(adapterName, `${weightsPath} holds ${extra.slice(0, 3).join(', ')}${extra.length > 3 ? ', …' : ''}, which a ${info.method} adapter on this model does not have`);
    for (const [key, v] of attachment.trainable) {
      if (!file.entries.has(key)) throw new AdapterMismatchError(adapterName, `${weightsPath} has no ${key}`);
      const t: HostTensor = file.get(key);
      const want = isSavedHeadWeight(key, v.rank) ? [...v.shape].reverse() : v.shape;
      if (t.shape.length !== want.length || t.shape.some((n, i) => n !== want[i])) {
        throw new AdapterMismatchError(adapterName, `tensor ${key}: the served model needs [${want.join(', ')}], the adapter has [${t.shape.join(', ')}]`);
      }
      tf.tidy(() => {
        const value = tf.tensor(t.data, t.shape);
        v.assign(isSavedHeadWeight(key, v.rank) ? value.transpose() : value);
      });
    }
  } catch (err) {
    attachment.dispose();
    throw err;
  }
  return registerAttachment(model, attachment);
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
    return load ? load(model, info.dir, adapterName) : loadByAssignment(model, info, adapterName);
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
