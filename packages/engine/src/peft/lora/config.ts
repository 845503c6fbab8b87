/** LoRA configuration (peft's `LoraConfig`, camelCased); defaults from the declaration (`declaration.ts`). */
import { z } from 'zod';
import type { ModelFamily } from '../../types.js';
import { configDefault } from '../method-declaration.js';
import { LORA } from './declaration.js';

const d = <T extends number | boolean | string | null>(name: string) => configDefault<T>(LORA, name);

export const LoraConfigSchema = z
  .object({
    /** Rank of the update ΔW = B·A. */
    r: z.number().int().min(1).default(d<number>('r')),
    /** Scale numerator: scaling = alpha / r (or alpha / √r with useRslora). */
    alpha: z.number().positive().default(d<number>('alpha')),
    /** Dropout on the LoRA branch's input during training. */
    dropout: z.number().min(0).lt(1).default(d<number>('dropout')),
    /**
     * Modules to adapt, by short name (`c_attn`, `q_proj`, `query`…) or a longer
     * dotted suffix (`attn.c_proj`); matched like peft (equal, or ends with `.name`).
     * Defaults to `DEFAULT_TARGET_MODULES` of the model's family. A name matching no linear module
     * of the model is a PeftConfigError listing the family's module names.
     */
    targetModules: z.array(z.string().min(1)).min(1).optional(),
    /** Rank-stabilised scaling alpha/√r (Kalajdzievski 2023). */
    useRslora: z.boolean().default(d<boolean>('useRslora')),
    /**
     * DoRA (Liu et al. 2024; peft's `use_dora`): a learned magnitude per output unit of each target,
     * the update's direction from LoRA (`dora.ts`). Saved as `lora_magnitude_vector`.
     */
    useDora: z.boolean().default(d<boolean>('useDora')),
    /**
     * peft's flag for weights stored [in, out] (GPT-2 Conv1D). It only changes
     * the saved adapter_config.json: forced true for GPT-2, false elsewhere, as peft does.
     */
    fanInFanOut: z.boolean().optional(),
    /**
     * Head modules trained (as copies) and saved with the adapter, matched like peft's
     * modules_to_save (a module path ending with the name; the whole module). Defaults to peft's
     * `['classifier', 'score']` for classification heads (RoBERTa: classifier.dense + out_proj;
     * DistilBERT: pre_classifier + classifier) and none for causal LM; `[]` freezes the head.
     */
    modulesToSave: z.array(z.string().min(1)).optional(),
    /** Seed for the kaiming-uniform init of A. */
    seed: z.number().int().default(d<number>('seed')),
    /** Recorded as base_model_name_or_path in adapter_config.json. */
    baseModelNameOrPath: z.string().nullable().default(d<string | null>('baseModelNameOrPath')),
  })
  .strict();

export type LoraConfigInput = z.input<typeof LoraConfigSchema>;
export type LoraConfig = z.output<typeof LoraConfigSchema>;

/**
 * LoRA targets when the config names none: peft 0.21's
 * `TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING` for every family it lists (the test
 * `lora-targets.test.ts` compares them with the installed peft). peft has no entry for phi3 and
 * distilbert (it asks for target_modules); ours are the attention's query + value there too:
 * Phi-3's fused `qkv_proj` (q, k and v in one module) and DistilBERT's `q_lin` + `v_lin`. Saved
 * adapters always list their targets, so peft loads them either way.
 */
export const DEFAULT_TARGET_MODULES: Record<ModelFamily, string[]> = {
  gpt2: ['c_attn'],
  bert: ['query', 'value'],
  llama: ['q_proj', 'v_proj'],
  qwen2: ['q_proj', 'v_proj'],
  qwen3: ['q_proj', 'v_proj'],
  mistral: ['q_proj', 'v_proj'],
  gemma: ['q_proj', 'v_proj'],
  phi3: ['qkv_proj'], // not in peft's mapping
  roberta: ['query', 'value'],
  distilbert: ['q_lin', 'v_lin'], // not in peft's mapping
};

/** Families whose model keeps some of Llama's projections fused: a Llama name targets the fused module. */
export const FUSED_TARGET_HINTS: Partial<Record<ModelFamily, Record<string, string>>> = {
  phi3: { q_proj: 'qkv_proj', k_proj: 'qkv_proj', v_proj: 'qkv_proj', gate_proj: 'gate_up_proj', up_proj: 'gate_up_proj' },
};
