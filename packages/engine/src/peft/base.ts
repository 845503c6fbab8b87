/**
 * The PEFT method registry, after peft's `register_peft_method`.
 *
 * What a method implements (LoRA, `peft/lora/`, is the model to copy):
 * - `declaration.ts` (TF-free): name, labels, colour, hyperparameters with defaults, save
 *   format (`method-declaration.ts`), listed once in `declarations.ts`;
 * - `config.ts`: a zod schema taking its defaults from the declaration; bad values fail naming the field.
 * - `layer.ts`: `create…Attachment(model, configInput, adapterName)` → `PeftAttachment`:
 *     - `hooks`: the `ModelHooks` it changes the forward pass with (LoRA: `linear`);
 *     - `trainable`: its variables keyed by their saved names (LoRA:
 *       `base_model.model.<module>.lora_A.weight`), the only ones the optimiser sees;
 *     - `storedBytes()`: what a task costs on disk;
 *     - optional `merge`/`unmerge` when it can fold into the base weights;
 *     - `dispose()` frees its variables (never the base weights).
 *   Base weights stay frozen (`trainable = false`) unless the method is `full`.
 * - `adapter-io.ts`: `load…Adapter(model, dir, adapterName)`, reading the directory it saves
 *   (`peft-adapter-dir.ts` does the files; `loadHeldAdapter` for trainables saved as held);
 * - `index.ts`: one `registerPeftMethod({ name, create, configSchema, load })` call, imported by `methods.ts`.
 *
 * A model can hold several attachments at once, keyed by adapter name; one is
 * active (`model.hooks`). `setActiveAdapter` switches, `detachPeft` removes.
 */
import type { z } from 'zod';
import { PeftConfigError } from '../errors.js';
import type { PeftAttachment, PeftMethodName, TransformerModel } from '../types.js';

export interface PeftMethod {
  name: PeftMethodName;
  /** Builds the method's state on `model` from an unvalidated config (the method's zod schema parses it). */
  create(model: TransformerModel, config: unknown, adapterName: string): PeftAttachment;
  /** The config's zod schema (`config.ts`; its defaults come from the declaration); absent when the method takes no config. */
  configSchema?: z.ZodType;
  /** Reads an adapter directory this method saved (LoRA: `loadLoraAdapter`; `<method>/adapter-io.ts`) and attaches it; absent for `full` (a checkpoint, not an adapter). */
  load?(model: TransformerModel, dir: string, adapterName: string): PeftAttachment;
}

const METHODS = new Map<PeftMethodName, PeftMethod>();
const ATTACHED = new WeakMap<TransformerModel, Map<string, PeftAttachment>>();

export function registerPeftMethod(method: PeftMethod): void {
  METHODS.set(method.name, method);
}

export function registeredPeftMethods(): PeftMethodName[] {
  return [...METHODS.keys()];
}

/** The registered implementation of `method`, or undefined. */
export function registeredPeftMethod(method: PeftMethodName): PeftMethod | undefined {
  return METHODS.get(method);
}

/**
 * Attaches `method` to `model` under `adapterName` and makes it the active one.
 * @example const lora = attachPeft(model, 'lora', { r: 8, targetModules: ['c_attn'] });
 * @throws PeftConfigError for an unregistered method or a taken adapter name.
 */
export function attachPeft(model: TransformerModel, method: PeftMethodName, config: unknown = {}, adapterName = 'default'): PeftAttachment {
  const impl = METHODS.get(method);
  if (!impl) throw new PeftConfigError(`method=${JSON.stringify(method)} is not registered (registered: ${registeredPeftMethods().join(', ') || 'none'}; import the engine index to register them)`);
  const attachment = impl.create(model, config, adapterName);
  const shared = [...attachment.trainable].find(([, v]) => model.borrowed?.has(v));
  if (shared) {
    attachment.dispose();
    throw new PeftConfigError(`method=${method} trains ${shared[0]}, a weight shared with other models through a frozen-weight cache: load the model without frozenWeights`);
  }
  return registerAttachment(model, attachment);
}

/** Records an attachment built outside `attachPeft` (e.g. `loadLoraAdapter`) and activates it. */
export function registerAttachment(model: TransformerModel, attachment: PeftAttachment): PeftAttachment {
  let byName = ATTACHED.get(model);
  if (!byName) ATTACHED.set(model, (byName = new Map()));
  if (byName.has(attachment.adapterName)) {
    attachment.dispose();
    throw new PeftConfigError(`adapterName=${JSON.stringify(attachment.adapterName)} is already attached to this model`);
  }
  byName.set(attachment.adapterName, attachment);
  model.hooks = attachment.hooks;
  return attachment;
}

export function attachedAdapters(model: TransformerModel): Map<string, PeftAttachment> {
  return ATTACHED.get(model) ?? new Map();
}

/** Makes adapter `name` the active one; `null` runs the plain base model. */
export function setActiveAdapter(model: TransformerModel, name: string | null): void {
  if (name === null) {
    model.hooks = null;
    return;
  }
  const a = ATTACHED.get(model)?.get(name);
  if (!a) throw new PeftConfigError(`adapterName=${JSON.stringify(name)} is not attached (attached: ${[...attachedAdapters(model).keys()].join(', ') || 'none'})`);
  model.hooks = a.hooks;
}

/** Removes and disposes adapter `name`; the model runs plain if it was active. */
export function detachPeft(model: TransformerModel, name: string): void {
  const byName = ATTACHED.get(model);
  const a = byName?.get(name);
  if (!a) return;
  if (model.hooks === a.hooks) model.hooks = null;
  byName!.delete(name);
  a.dispose();
}
