/** LoRA (Hu et al. 2021), as peft's `LoraConfig` (camelCased). TF-free: see ../method-declaration.ts. */
import { defineMethod } from '../method-declaration.js';

export const LORA = defineMethod({
  name: 'lora',
  label: 'LoRA',
  shortLabel: 'LoRA',
  summary: 'LoRA: low-rank B·A beside chosen weight matrices.',
  color: '#0072B2',
  defaultLr: 5e-4,
  hyperparameters: [
    { name: 'r', kind: 'int', min: 1, default: 8, help: 'Rank of the low-rank update B·A.', sweep: { chart: true } },
    // peft's lora_alpha default (8): one default for attachPeft, `peft-lab train` and sweeps.
    { name: 'alpha', kind: 'float', min: 0, minExclusive: true, default: 8, help: 'Scaling numerator: the update is scaled by alpha/r (alpha/√r with rsLoRA).', sweep: true },
    { name: 'dropout', kind: 'float', min: 0, max: 1, maxExclusive: true, default: 0, help: 'Dropout on the LoRA branch input during training.', sweep: true },
    {
      name: 'targetModules',
      kind: 'string-list',
      // no default here: the engine picks peft's per-family default (DEFAULT_TARGET_MODULES: GPT-2 c_attn, BERT query+value, Llama q_proj+v_proj)
      help: "Linear modules that get LoRA, by the model's short names (c_attn, c_fc for GPT-2; query, value for BERT; q_proj, v_proj for Llama) or a dotted suffix; absent = the model family's default. The engine rejects names the model lacks.",
      sweep: true,
    },
    { name: 'useRslora', kind: 'bool', default: false, help: 'Rank-stabilised scaling alpha/√r instead of alpha/r.', sweep: true },
    { name: 'useDora', kind: 'bool', default: false, help: "DoRA (peft's use_dora): a learned magnitude per output unit of each target, the update's direction from LoRA (a few more parameters: one per output unit).", sweep: true },
    { name: 'fanInFanOut', kind: 'bool', help: "peft's flag for weights stored [in, out]; only changes adapter_config.json, and is forced per family as peft does (true for GPT-2)." },
    { name: 'modulesToSave', kind: 'string-list', help: "Head modules trained as copies and saved with the adapter (peft's modules_to_save); default: classifier / score for classification heads, none for causal LM." },
    { name: 'seed', kind: 'int', default: 0, help: 'Seed of the kaiming-uniform init of A.' },
    { name: 'baseModelNameOrPath', kind: 'string', nullable: true, default: null, help: 'Recorded as base_model_name_or_path in adapter_config.json.' },
  ],
  saveFormat: { peftType: 'LORA' },
});
