import { z } from 'zod';
import { configDefault } from '../method-declaration.js';
import { PREFIX } from './declaration.js';

const d = <T extends number | boolean>(name: string) => configDefault<T>(PREFIX, name);

/** Prefix tuning (Li & Liang 2021): trainable key/value prefixes in every attention layer. Defaults from the declaration (`declaration.ts`). */
export const PrefixConfigSchema = z.object({
  /** Prefix length L (peft: num_virtual_tokens). */
  numVirtualTokens: z.number().int().positive().default(d<number>('numVirtualTokens')),
  /** Train through the reparameterisation MLP (peft: prefix_projection); fold() removes it. */
  prefixProjection: z.boolean().default(d<boolean>('prefixProjection')),
  /** Hidden size of the MLP (peft: encoder_hidden_size); default dModel. */
  encoderHiddenSize: z.number().int().positive().optional(),
  initStd: z.number().positive().default(d<number>('initStd')),
  seed: z.number().int().default(d<number>('seed')),
  /**
   * Head modules trained (as copies) and saved with the prefix, as peft does for SEQ_CLS /
   * TOKEN_CLS prefix tuning (modules_to_save): classification heads by default, none for causal LM;
   * `[]` freezes the head.
   */
  modulesToSave: z.array(z.string().min(1)).optional(),
});

export type PrefixConfigInput = z.input<typeof PrefixConfigSchema>;
export type PrefixConfig = z.output<typeof PrefixConfigSchema>;
