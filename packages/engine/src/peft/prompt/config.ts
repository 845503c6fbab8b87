import { z } from 'zod';
import { configDefault } from '../method-declaration.js';
import { PROMPT } from './declaration.js';

const d = <T extends number | string>(name: string) => configDefault<T>(PROMPT, name);

/** Prompt tuning (Lester et al. 2021): a soft prompt [L, dModel] before the input embeddings. Defaults from the declaration (`declaration.ts`). */
export const PromptConfigSchema = z
  .object({
    /** Prompt length L (peft: num_virtual_tokens). */
    numVirtualTokens: z.number().int().positive().default(d<number>('numVirtualTokens')),
    /**
     * random: uniform in [-0.5, 0.5] (Lester et al.); sampled-vocab: rows of the
     * token embedding matrix drawn with the seed; text: embeddings of
     * `initTokenIds` (repeated/truncated to L), which the caller tokenises.
     */
    init: z.enum(['random', 'sampled-vocab', 'text']).default(d<'random' | 'sampled-vocab' | 'text'>('init')),
    initTokenIds: z.array(z.number().int().nonnegative()).optional(),
    seed: z.number().int().default(d<number>('seed')),
    /**
     * Head modules trained (as copies) and saved with the prompt, as peft does for SEQ_CLS /
     * TOKEN_CLS prompt tuning (modules_to_save): classification heads by default, none for causal LM;
     * `[]` freezes the head.
     */
    modulesToSave: z.array(z.string().min(1)).optional(),
  })
  .refine((c) => c.init !== 'text' || (c.initTokenIds?.length ?? 0) > 0, {
    message: 'init "text" needs initTokenIds (the tokenised init text)',
    path: ['initTokenIds'],
  });

export type PromptConfigInput = z.input<typeof PromptConfigSchema>;
export type PromptConfig = z.output<typeof PromptConfigSchema>;
