/** LoRA configuration (peft's `LoraConfig`, camelCased). */
import { z } from 'zod';
import type { ModelFamily } from '../../types.js';

export const LoraConfigSchema = z
  .object({
    /** Rank of the update ΔW = B·A. */
    r: z.number().int().min(1).default(8),
    /** Scale numerator: scaling = alpha / r (or alpha / √r with useRslora). */
    alpha: z.number().positive().default(8),
    /** Dropout on the LoRA branch's input during training. */
    dropout: z.number().min(0).lt(1).default(0),
    /**
     * Modules to adapt, by short name (`c_attn`, `q_proj`, `query`…) or a longer
     * dotted suffix (`attn.c_proj`); matched like peft (equal, or ends with `.name`).
     * Defaults to peft's per-family defaults (GPT-2 c_attn, BERT query+value, Llama q_proj+v_proj).
     */
    targetModules: z.array(z.string().min(1)).min(1).optional(),
    /** Rank-stabilised scaling alpha/√r (Kalajdzievski 2023). */
    useRslora: z.boolean().default(false),
    /**
     * peft's flag for weights stored [in, out] (GPT-2 Conv1D). It only changes
     * the saved adapter_config.json: forced true for GPT-2, false elsewhere, as peft does.
     */
    fanInFanOut: z.boolean().optional(),
    /**
     * Classification heads are trained and saved with the adapter (peft's
     * modules_to_save for SEQ_CLS/TOKEN_CLS); defaults to the model's head module.
     */
    modulesToSave: z.array(z.string().min(1)).optional(),
    /** Seed for the kaiming-uniform init of A. */
    seed: z.number().int().default(0),
    /** Recorded as base_model_name_or_path in adapter_config.json. */
    baseModelNameOrPath: z.string().nullable().default(null),
  })
  .strict();

export type LoraConfigInput = z.input<typeof LoraConfigSchema>;
export type LoraConfig = z.output<typeof LoraConfigSchema>;

export const DEFAULT_TARGET_MODULES: Record<ModelFamily, string[]> = {
  gpt2: ['c_attn'],
  bert: ['query', 'value'],
  llama: ['q_proj', 'v_proj'],
  // peft's defaults for these model types; peft has none for phi3 and distilbert (their attention's fused / own names).
  qwen2: ['q_proj', 'v_proj'],
  qwen3: ['q_proj', 'v_proj'],
  mistral: ['q_proj', 'v_proj'],
  gemma: ['q_proj', 'v_proj'],
  phi3: ['qkv_proj'],
  roberta: ['query', 'value'],
  distilbert: ['q_lin', 'v_lin'],
};
