/** (IA)³ configuration (peft's `IA3Config`, camelCased); defaults from the declaration (`declaration.ts`). */
import { z } from 'zod';
import type { ModelFamily } from '../../types.js';
import { configDefault } from '../method-declaration.js';
import { IA3 } from './declaration.js';

export const Ia3ConfigSchema = z
  .object({
    /**
     * Modules that get a learned scaling vector, by short name (`k_proj`, `c_attn`…) or dotted
     * suffix (`output.dense`, `mlp.c_proj`); matched like peft (equal, or ends with `.name`).
     * Defaults to `DEFAULT_IA3_TARGET_MODULES` of the model's family.
     */
    targetModules: z.array(z.string().min(1)).min(1).optional(),
    /**
     * The targets treated as feed-forward modules (the paper's FFN vector): their vector scales
     * the module's input (`(x ⊙ l)·W + b`) instead of its output (`(x·W + b) ⊙ l`). Matched as peft
     * does (the module path ends with the name, a plain string suffix). Defaults to
     * `DEFAULT_IA3_FEEDFORWARD_MODULES` of the family; must be a subset of `targetModules` when
     * both are given (peft's check).
     */
    feedforwardModules: z.array(z.string().min(1)).optional(),
    /**
     * Head modules trained (as copies) and saved with the adapter (peft's modules_to_save, see
     * `peft/modules-to-save.ts`): classification heads by default, none for causal LM; `[]` freezes the head.
     */
    modulesToSave: z.array(z.string().min(1)).optional(),
    /** Recorded as base_model_name_or_path in adapter_config.json. */
    baseModelNameOrPath: z.string().nullable().default(configDefault<string | null>(IA3, 'baseModelNameOrPath')),
  })
  .strict();

export type Ia3ConfigInput = z.input<typeof Ia3ConfigSchema>;
export type Ia3Config = z.output<typeof Ia3ConfigSchema>;

/**
 * (IA)³ targets when the config names none: peft 0.21's
 * `TRANSFORMERS_MODELS_TO_IA3_TARGET_MODULES_MAPPING` for every family it lists (`ia3.test.ts`
 * compares with the installed peft). peft has no entry for phi3 and distilbert; ours follow the
 * same pattern there (keys + values + the FFN's down projection; Phi-3 keeps q, k, v fused in
 * `qkv_proj`, so its vector scales all three).
 */
export const DEFAULT_IA3_TARGET_MODULES: Record<ModelFamily, string[]> = {
  gpt2: ['c_attn', 'mlp.c_proj'],
  bert: ['key', 'value', 'output.dense'],
  llama: ['k_proj', 'v_proj', 'down_proj'],
  qwen2: ['q_proj', 'v_proj', 'down_proj'],
  qwen3: ['q_proj', 'v_proj', 'down_proj'],
  mistral: ['k_proj', 'v_proj', 'down_proj'],
  gemma: ['q_proj', 'v_proj', 'down_proj'],
  phi3: ['qkv_proj', 'down_proj'], // not in peft's mapping
  roberta: ['key', 'value', 'output.dense'],
  distilbert: ['k_lin', 'v_lin', 'lin2'], // not in peft's mapping
};

/**
 * peft 0.21's `TRANSFORMERS_MODELS_TO_IA3_FEEDFORWARD_MODULES_MAPPING` (phi3, distilbert: ours).
 * BERT's / RoBERTa's `output.dense` also matches `attention.output.dense` (peft's suffix match):
 * both output projections scale their inputs, as in peft.
 */
export const DEFAULT_IA3_FEEDFORWARD_MODULES: Record<ModelFamily, string[]> = {
  gpt2: ['mlp.c_proj'],
  bert: ['output.dense'],
  llama: ['down_proj'],
  qwen2: ['down_proj'],
  qwen3: ['down_proj'],
  mistral: ['down_proj'],
  gemma: ['down_proj'],
  phi3: ['down_proj'], // not in peft's mapping
  roberta: ['output.dense'],
  distilbert: ['lin2'], // not in peft's mapping
};
