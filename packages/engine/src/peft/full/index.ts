/**
 * Full fine-tuning: every base weight is trainable; what a task stores is the
 * whole checkpoint. No hooks: the plain forward pass is the method.
 */
import * as tf from '@tensorflow/tfjs';
import { safetensorsFileSize } from '../../hf/safetensors.js';
import type { PeftAttachment, TransformerModel } from '../../types.js';
import { registerPeftMethod } from '../base.js';

export function createFullFinetuneAttachment(model: TransformerModel, _config: unknown = {}, adapterName = 'default'): PeftAttachment {
  const trainable = new Map<string, tf.Variable>(model.weights);
  for (const v of trainable.values()) v.trainable = true;
  return {
    method: 'full',
    adapterName,
    config: {},
    hooks: {},
    trainable,
    storedBytes: () => safetensorsFileSize(new Map([...model.weights].map(([k, v]) => [k, v.shape]))),
    dispose() {
      // The weights belong to the model: only give back the trainable flag.
      for (const v of trainable.values()) if (!v.isDisposed) v.trainable = false;
      if (model.hooks === this.hooks) model.hooks = null;
      trainable.clear();
    },
  };
}

registerPeftMethod({ name: 'full', create: createFullFinetuneAttachment });
