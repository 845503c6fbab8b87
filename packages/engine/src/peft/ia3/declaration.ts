/**
 * (IA)³ (Liu et al. 2022), as peft's `IA3Config` (camelCased). TF-free: see ../method-declaration.ts.
 * The trainable count depends on the targets' shapes (`ia3ParamCount`), so no formula here.
 */
import { defineMethod } from '../method-declaration.js';

export const IA3 = defineMethod({
  name: 'ia3',
  label: '(IA)³',
  shortLabel: '(IA)³',
  summary: '(IA)³: learned vectors rescaling the outputs of chosen modules (the inputs of feed-forward ones).',
  color: '#D55E00',
  defaultLr: 3e-3,
  // A sweep may search the targets and which of them are feed-forward; left out, the per-family defaults (peft's mapping).
  hyperparameters: [
    {
      name: 'targetModules',
      kind: 'string-list',
      help: "Modules that get a scaling vector, by the model's short names (c_attn, mlp.c_proj for GPT-2; key, value, output.dense for BERT; k_proj or q_proj, v_proj, down_proj for Llama-shaped models) or a dotted suffix; absent = the model family's default (peft's mapping).",
      sweep: true,
    },
    {
      name: 'feedforwardModules',
      kind: 'string-list',
      help: 'The targets treated as feed-forward modules: their vector scales the input instead of the output (matched as a suffix of the module path); a subset of targetModules; absent = the family default (GPT-2 mlp.c_proj, BERT output.dense, Llama down_proj).',
      sweep: true,
    },
    { name: 'modulesToSave', kind: 'string-list', help: "Head modules trained as copies and saved with the adapter (peft's modules_to_save); default: classification heads, none for causal LM." },
    { name: 'baseModelNameOrPath', kind: 'string', nullable: true, default: null, help: 'Recorded as base_model_name_or_path in adapter_config.json.' },
  ],
  saveFormat: { peftType: 'IA3' },
});
