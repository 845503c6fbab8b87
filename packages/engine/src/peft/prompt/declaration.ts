/** Prompt tuning (Lester et al. 2021): a soft prompt [L, dModel] before the input embeddings. TF-free: see ../method-declaration.ts. */
import { defineMethod } from '../method-declaration.js';

/** Analytical trainable parameter count: L · dModel (plus any saved heads: `modulesToSaveParamCount`). */
export function promptParamCount(numVirtualTokens: number, dModel: number): number {
  return numVirtualTokens * dModel;
}

export const PROMPT = defineMethod({
  name: 'prompt',
  label: 'Prompt tuning',
  shortLabel: 'Prompt',
  summary: 'Prompt tuning: trainable soft-prompt vectors before the input embeddings.',
  color: '#CC79A7',
  defaultLr: 3e-2,
  hyperparameters: [
    // peft: num_virtual_tokens
    { name: 'numVirtualTokens', kind: 'int', min: 1, default: 20, help: 'Number of soft-prompt vectors prepended to the input embeddings.', sweep: { name: 'promptLength', chart: true } },
    {
      name: 'init', kind: 'enum', options: ['random', 'sampled-vocab', 'text'], default: 'random',
      help: 'random: uniform in [-0.5, 0.5]; sampled-vocab: rows of the token embedding drawn with the seed; text: embeddings of initTokenIds (repeated / cut to the length).',
      sweep: { values: { random: 'random', vocab: 'sampled-vocab', text: 'text' }, help: 'random; vocab: embeddings of sampled vocabulary tokens; text: embeddings of initText.' },
    },
    {
      name: 'initTokenIds', kind: 'int-list', min: 0, appliesWhen: { param: 'init', equals: 'text' },
      help: 'Token ids whose embeddings initialise the prompt (required when init is text; the caller tokenizes).',
      sweep: { name: 'initText', kind: 'string', tokenize: true, help: 'Text whose token embeddings initialise the prompt (required when init is text).' },
    },
    { name: 'seed', kind: 'int', default: 0, help: 'Seed of the init.' },
    { name: 'modulesToSave', kind: 'string-list', help: "Head modules trained as copies and saved with the prompt (peft's modules_to_save for SEQ_CLS / TOKEN_CLS); default: classification heads, none for causal LM." },
  ],
  trainableParams: (m, c) => promptParamCount(c.numVirtualTokens as number, m.dModel),
  saveFormat: { peftType: 'PROMPT_TUNING' },
});
