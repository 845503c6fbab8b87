import { z } from 'zod';

/** Prefix tuning (Li & Liang 2021): trainable key/value prefixes in every attention layer. */
export const PrefixConfigSchema = z.object({
  /** Prefix length L (peft: num_virtual_tokens). */
  numVirtualTokens: z.number().int().positive().default(10),
  /** Train through the reparameterisation MLP (peft: prefix_projection); fold() removes it. */
  prefixProjection: z.boolean().default(false),
  /** Hidden size of the MLP (peft: encoder_hidden_size); default dModel. */
  encoderHiddenSize: z.number().int().positive().optional(),
  initStd: z.number().positive().default(0.02),
  seed: z.number().int().default(0),
  /**
   * Head modules trained (as copies) and saved with the prefix, as peft does for SEQ_CLS /
   * TOKEN_CLS prefix tuning (modules_to_save): classification heads by default, none for causal LM;
   * `[]` freezes the head.
   */
  modulesToSave: z.array(z.string().min(1)).optional(),
});

export type PrefixConfigInput = z.input<typeof PrefixConfigSchema>;
export type PrefixConfig = z.output<typeof PrefixConfigSchema>;
