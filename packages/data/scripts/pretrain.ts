// Pretrains the built-in base model into packages/data/builtin-model/ (or --out DIR).
// Usage (from the repository root):
//   npx tsx packages/data/scripts/pretrain.ts [--steps N|auto] [--seed N] [--backend auto|tensorflow|wasm|cpu] [--out DIR] [--max-minutes M]
//   … --init-from packages/data/builtin-model   # continue from the committed weights (recorded as continuedFrom)
//   npx tsx packages/data/scripts/pretrain.ts --probe   # ms/step of candidate sizes (random tokens), JSON
import { parseArgs } from 'node:util';
import { selectBackend } from '@peft-lab/engine';
import { builtinHfConfig, type BuiltinModelSize } from '../src/pretrain/builtin-config.js';
import { medianStepMs, pretrainBuiltinModel } from '../src/pretrain/pretrain-builtin-model.js';

const { values } = parseArgs({
  options: {
    steps: { type: 'string' }, seed: { type: 'string' }, backend: { type: 'string' }, out: { type: 'string' },
    'max-minutes': { type: 'string' }, lr: { type: 'string' }, 'init-from': { type: 'string' }, 'warmup-steps': { type: 'string' }, probe: { type: 'boolean' },
  },
});

async function probe(): Promise<void> {
  const backend = await selectBackend({ prefer: (values.backend as 'auto' | undefined) ?? 'auto' });
  const candidates: BuiltinModelSize[] = [
    { dModel: 192, numLayers: 4, numHeads: 4, seqLen: 128 },
    { dModel: 256, numLayers: 4, numHeads: 4, seqLen: 128 },
  ];
  const rows = [];
  for (const size of candidates) {
    const data = Array.from({ length: 64 }, (_, i) => ({ inputIds: Array.from({ length: size.seqLen }, (_, t) => (i * 7919 + t * 104729) % 4096) }));
    const { msPerStep, params } = await medianStepMs(builtinHfConfig(size), data, { batchSize: 16, lr: 1e-3, seed: 1, modelSeed: 1, steps: 13 });
    rows.push({ ...size, params, medianMsPerStep: Math.round(msPerStep) });
  }
  console.log(JSON.stringify({ backend: backend.name, batchSize: 16, rows }));
}

if (values.probe) await probe();
else {
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  await pretrainBuiltinModel({
    steps: values.steps === 'auto' ? 'auto' : num(values.steps), seed: num(values.seed), lr: num(values.lr),
    backend: values.backend as 'auto' | undefined, outDir: values.out, maxMinutes: num(values['max-minutes']),
    initFrom: values['init-from'], warmupSteps: num(values['warmup-steps']),
    command: `npx tsx packages/data/scripts/pretrain.ts ${process.argv.slice(2).join(' ')}`.trim(),
  });
}
