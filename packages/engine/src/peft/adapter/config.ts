import { z } from 'zod';
import { configDefault } from '../method-declaration.js';
import { ADAPTER } from './declaration.js';

export { bottleneckSize } from './declaration.js';
const d = <T extends number | string>(name: string) => configDefault<T>(ADAPTER, name);

/**
 * Bottleneck adapters (Houlsby et al. 2019; Pfeiffer et al. 2020).
 * Size the bottleneck with `bottleneck` (hidden units) or `reductionFactor`
 * (dModel / factor), not both; with neither, reductionFactor 16 (the
 * `adapters` library default). Defaults from the declaration (`declaration.ts`).
 */
export const AdapterConfigSchema = z
  .object({
    /** houlsby: after attention and after the FFN; pfeiffer: after the FFN only. */
    placement: z.enum(['houlsby', 'pfeiffer']).default(d<'houlsby' | 'pfeiffer'>('placement')),
    bottleneck: z.number().int().positive().optional(),
    /** Without bottleneck: 16 (the declared default, applied by bottleneckSize: a schema default would clash with bottleneck). */
    reductionFactor: z.number().positive().optional(),
    nonLinearity: z.enum(['relu', 'gelu', 'tanh', 'swish']).default(d<'relu' | 'gelu' | 'tanh' | 'swish'>('nonLinearity')),
    /** Std of the up-projection init; 0 = exact identity at start (the default). */
    upInitStd: z.number().nonnegative().default(d<number>('upInitStd')),
    /** Std of the down-projection init (near-identity needs it small). */
    downInitStd: z.number().positive().default(d<number>('downInitStd')),
    seed: z.number().int().default(d<number>('seed')),
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
