// Starting points for the new-sweep form. Each is a complete spec the form and
// the YAML editor load as-is (the user adjusts from there).

export interface Preset { id: string; label: string; help: string; spec: Record<string, unknown> }

export function presets(task: string, baseModel: string): Preset[] {
  return [
    {
      id: 'lora-rank',
      label: 'LoRA rank sweep vs full FT',
      help: 'LoRA at r = 1…16 on the attention projection, 3 seeds, against a full fine-tuning baseline.',
      spec: {
        name: 'lora-rank-sweep', baseModel, task,
        methods: [{ method: 'lora', space: { r: [1, 2, 4, 8, 16], alpha: 16 } }],
        training: { lr: 5e-4, maxSteps: 200, batchSize: 16, evalEvery: 50 },
        seeds: 3, strategy: { type: 'grid' }, baseline: 'full',
      },
    },
    {
      id: 'matched-budget',
      label: 'All methods at a matched parameter budget',
      help: 'LoRA, adapters, prefix and prompt tuning each sized to roughly the same number of trainable parameters, plus full FT.',
      spec: {
        name: 'all-methods-matched-budget', baseModel, task,
        methods: [
          { method: 'lora', space: { r: 4, alpha: 8 } },
          { method: 'adapter', space: { bottleneck: 8, placement: 'pfeiffer' } },
          { method: 'prefix', space: { prefixLength: 16, reparameterize: false } },
          { method: 'prompt', space: { promptLength: 32, init: 'vocab' } },
        ],
        training: { lr: 1e-3, maxSteps: 200, batchSize: 16, evalEvery: 50 },
        seeds: 3, strategy: { type: 'grid' }, baseline: 'full',
      },
    },
    {
      id: 'quick',
      label: 'Quick check (one LoRA trial + full FT, few steps)',
      help: 'Two short trials to see that everything runs.',
      spec: {
        name: 'quick-check', baseModel, task,
        methods: [{ method: 'lora', space: { r: 4 } }],
        training: { lr: 1e-3, maxSteps: 20, batchSize: 8, evalEvery: 10 },
        seeds: 1, strategy: { type: 'grid' }, baseline: 'full',
      },
    },
  ];
}
