import { z } from 'zod';

/**
 * Bottleneck adapters (Houlsby et al. 2019; Pfeiffer et al. 2020).
 * Size the bottleneck with `bottleneck` (hidden units) or `reductionFactor`
 * (dModel / factor), not both; with neither, reductionFactor 16 (the
 * `adapters` library default).
 */
export const AdapterConfigSchema = z
  .object({
    /** houlsby: after attention and after the FFN; pfeiffer: after the FFN only. */
    placement: z.enum(['houlsby', 'pfeiffer']).default('pfeiffer'),
    bottleneck: z.number().int().positive().optional(),
    reductionFactor: z.number().positive().optional(),
    nonLinearity: z.enum(['relu', 'gelu', 'tanh', 'swish']).default('relu'),
    /** Std of the up-projection init; 0 = exact identity at start (the default). */
    upInitStd: z.number().nonnegative().default(0),
    /** Std of the down-projection init (near-identity needs it small). */
    downInitStd: z.number().positive().default(0.02),
    seed: z.number().int().default(0),
    /**
     * Head modules trained (as copies) and saved beside the adapters, as LoRA's (peft's
     * modules_to_save): classification heads by default, none for causal LM; `[]` freezes the head.
     */
    modulesToSave: z.array(z.string().min(1)).optional(),
  })
  .refine((c) => !(c.bottleneck !== undefined && c.reductionFactor !== undefined), {
    message: 'give exactly one of bottleneck and reductionFactor, not both',
    path: ['bottleneck'],
  });

export type AdapterConfigInput = z.input<typeof AdapterConfigSchema>;
export type AdapterConfig = z.output<typeof AdapterConfigSchema>;

/** Hidden units of the bottleneck for a model width. */
export function bottleneckSize(c: AdapterConfig, dModel: number): number {
  if (c.bottleneck !== undefined) return c.bottleneck;
  return Math.max(1, Math.floor(dModel / (c.reductionFactor ?? 16)));
}
