import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { CliInputError } from '../errors.js';
import { readModelDir } from '../model-dir.js';
import { positiveInt } from '../paths.js';
import { printTable } from '../table.js';

const HEADS = ['causal-lm', 'sequence-classification', 'token-classification'] as const;

export function register(program: Command): void {
  const model = program.command('model').description('inspect models');
  model
    .command('logits')
    .description("token ids and logits of a text under a local Hugging Face model (optionally with a PEFT LoRA adapter)")
    .requiredOption('--model <dir>', 'Hugging Face checkpoint directory')
    .option('--adapter <dir>', 'PEFT LoRA adapter directory')
    .requiredOption('--text <text>', 'input text')
    .option('--json', 'print { input_ids, logits } as JSON (the default output)')
    .option('--backend <name>', 'auto | tensorflow | wasm | cpu', 'cpu')
    .action(async (o) => {
      if (!existsSync(o.model)) throw new CliInputError('--model', o.model, 'no such directory');
      if (o.adapter && !existsSync(o.adapter)) throw new CliInputError('--adapter', o.adapter, 'no such directory');
      const { modelLogits, selectBackend } = await import('@peft-lab/engine');
      await selectBackend({ prefer: o.backend, log: () => {} });
      const r = await modelLogits({ modelDir: o.model, adapterDir: o.adapter, text: o.text });
      console.log(JSON.stringify(r));
    });

  model
    .command('inspect')
    .description("a local Hugging Face model's type, size and shape, and the memory training it would take with each method (estimated from config.json; nothing is loaded)")
    .argument('<dir>', 'Hugging Face checkpoint directory (config.json)')
    .option('--batch <n>', 'training batch size', '8')
    .option('--seq <n>', 'tokens per example (the truncation length)', '128')
    .option('--head <head>', `${HEADS.join(' | ')} (default: the checkpoint's own)`)
    .option('--labels <n>', 'classification heads: number of labels (default: the checkpoint\'s, else 2)')
    .option('--gradient-checkpointing', 'estimate with activation checkpointing per layer')
    .option('--no-checkpoints', 'leave out the checkpoint copies a worker trial makes (as peft-lab train, which writes none)')
    .option('--json', 'machine-readable output')
    .action(async (dir: string, o) => {
      const batchSize = positiveInt('--batch', o.batch, 8);
      const seqLen = positiveInt('--seq', o.seq, 128);
      if (o.head !== undefined && !(HEADS as readonly string[]).includes(o.head)) throw new CliInputError('--head', o.head, `must be one of ${HEADS.join(', ')}`);
      const { raw, config, head: savedHead } = await readModelDir('DIR', dir);
      // Trials truncate to the model's positions as well.
      const seq = Math.min(seqLen, config.maxPositions);
      const head = (o.head ?? savedHead) as (typeof HEADS)[number];
      if (head !== 'causal-lm') config.numLabels = positiveInt('--labels', o.labels, config.numLabels ?? 2);
      const { estimateTrainingMemory, availableMemory, formatBytes, MEMORY_METHODS, MEMORY_LIMIT_ENV, DEFAULT_TARGET_MODULES } = await import('@peft-lab/engine');
      let estimates;
      try {
        estimates = MEMORY_METHODS.map((method) => estimateTrainingMemory({
          config, head, method, batchSize, seqLen: seq, gradientCheckpointing: o.gradientCheckpointing === true, checkpoints: o.checkpoints !== false,
        }));
      } catch (err) {
        // e.g. a head this family has no class for (BERT has no causal-LM head).
        if ((err as { code?: string }).code === 'UNSUPPORTED_CONFIG') throw new CliInputError(o.head ? '--head' : 'DIR', o.head ?? dir, (err as Error).message);
        throw err;
      }
      const available = availableMemory();
      const shape = {
        numLayers: config.numLayers, dModel: config.dModel, numHeads: config.numHeads, numKvHeads: config.numKvHeads,
        ffnDim: config.ffnDim, vocabSize: config.vocabSize, maxPositions: config.maxPositions,
      };
      const { parameterCount } = estimates[0];
      if (o.json) {
        console.log(JSON.stringify({
          model: dir, modelType: raw.model_type, family: config.family, head, ...(head !== 'causal-lm' ? { numLabels: config.numLabels } : {}),
          parameterCount, ...shape, batchSize, seqLen: seq, gradientCheckpointing: o.gradientCheckpointing === true, checkpoints: o.checkpoints !== false,
          available, methods: Object.fromEntries(estimates.map((e) => [e.method, { trainableParams: e.trainableParams, bytes: e.bytes, fits: e.bytes.total <= available.bytes }])),
        }, null, 2));
        return;
      }
      const n = (x: number) => x.toLocaleString('en-US');
      console.log(`${dir}: ${raw.model_type} (${head}), ${n(parameterCount)} parameters (${(parameterCount / 1e6).toFixed(1)} M)`);
      console.log(`layers ${shape.numLayers}, d_model ${shape.dModel}, heads ${shape.numHeads}${shape.numKvHeads !== shape.numHeads ? ` (kv ${shape.numKvHeads})` : ''}, ffn ${shape.ffnDim}, vocab ${n(shape.vocabSize)}, max positions ${n(shape.maxPositions)}`);
      console.log(`estimated training memory at batch ${batchSize} × ${seq} tokens${seq < seqLen ? ` (--seq ${seqLen} capped at the model's positions)` : ''}${o.gradientCheckpointing ? ', gradient checkpointing' : ''} (float32, AdamW):`);
      printTable(
        ['method', 'trainable params', 'weights', 'added params', 'grads + AdamW', 'activations', 'checkpoint', 'runtime', 'total', 'fits'],
        estimates.map((e) => [
          e.method, n(e.trainableParams), formatBytes(e.bytes.weights), formatBytes(e.bytes.trainableParams), formatBytes(e.bytes.gradientsAndOptimizer),
          formatBytes(e.bytes.activations), formatBytes(e.bytes.checkpoint), formatBytes(e.bytes.runtime), formatBytes(e.bytes.total), e.bytes.total <= available.bytes ? 'yes' : 'no',
        ]),
      );
      console.log(`methods at their defaults (LoRA r 8 on ${DEFAULT_TARGET_MODULES[config.family].join(', ')}, adapters dModel/16, prefix 10, prompt 20 tokens); checkpoint: the copies a worker trial makes while writing one${o.checkpoints === false ? ' (left out)' : ''}`);
      console.log(`available: ${formatBytes(available.bytes)} (${available.source}; ${MEMORY_LIMIT_ENV} overrides it)`);
    });
}
