import { existsSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import type { BaseModel } from '@peft-lab/db';
import { CliInputError } from '../errors.js';
import { readModelDir } from '../model-dir.js';
import { positiveInt } from '../paths.js';
import { printTable } from '../table.js';

// Prisma, the worker and TensorFlow.js load inside the actions, so `--help` is instant.
const withDatabase: typeof import('../database.js').withDatabase = async (o, fn) => (await import('../database.js')).withDatabase(o, fn);

const HEADS = ['causal-lm', 'sequence-classification', 'token-classification'] as const;
/** = BASE_MODEL_NAME of @peft-lab/worker (not imported: it loads the engine). A registered name never holds a '/'. */
const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** 133888 → "0.13 M", 124439808 → "124.4 M", 7241732096 → "7.24 B". */
export function formatParams(n: number | bigint | null | undefined): string {
  if (n === null || n === undefined) return '—';
  const v = Number(n);
  if (v >= 1e9) return `${(v / 1e9).toFixed(2)} B`;
  return `${(v / 1e6).toFixed(v < 1e7 ? 2 : 1)} M`;
}

/** A BaseModel row as JSON (BigInt columns as numbers). */
function modelJson(m: BaseModel) {
  return {
    id: m.id, name: m.name, family: m.family, source: m.source, parameterCount: m.parameterCount === null ? null : Number(m.parameterCount),
    dtype: m.dtype, bytesOnDisk: m.bytesOnDisk === null ? null : Number(m.bytesOnDisk), location: m.location, host: m.host, createdAt: m.createdAt,
  };
}

export function register(program: Command): void {
  const model = program.command('model').description('register, list and inspect base models');

  model
    .command('add')
    .description("check a local Hugging Face checkpoint directory (config.json, the safetensors headers against the config — no weight is read —, tokenizer.json) and register it as a base model sweeps can name")
    .argument('<dir>', 'Hugging Face checkpoint directory (config.json, model.safetensors or a sharded index, tokenizer.json)')
    .option('--name <name>', "what sweeps call it (default: the directory's name)")
    .option('--force', 'replace a model of the same name registered for another directory or host')
    .option('--json', 'print the registered model as JSON')
    .option('--data-dir <dir>', 'PEFT Lab home (embedded PostgreSQL) when DATABASE_URL is unset')
    .action(async (dir: string, o) => {
      if (!existsSync(dir)) throw new CliInputError('DIR', dir, 'no such directory');
      if (!statSync(dir).isDirectory()) throw new CliInputError('DIR', dir, 'is not a directory (a Hugging Face model directory holds config.json, model.safetensors and tokenizer.json)');
      const abs = resolve(dir);
      const name: string = o.name ?? basename(abs);
      const rule = "must start with a letter or digit and hold only letters, digits, '.', '_' and '-' (at most 128)";
      if (o.name !== undefined && name === 'builtin') throw new CliInputError('--name', name, 'reserved for the packaged model; choose another name');
      if (o.name !== undefined && !MODEL_NAME.test(name)) throw new CliInputError('--name', name, rule);
      if (o.name === undefined && (name === 'builtin' || !MODEL_NAME.test(name))) throw new CliInputError('DIR', dir, `its name ${JSON.stringify(name)} cannot name a base model (${name === 'builtin' ? 'reserved' : rule}); pass --name`);
      // Before the database: a bad checkpoint fails fast and nothing is written.
      const { checkHfCheckpoint, formatBytes } = await import('@peft-lab/engine');
      const check = checkHfCheckpoint(abs); // CheckpointValidationError (exit 2) names the file and tensor
      const { registerBaseModel } = await import('@peft-lab/worker');
      await withDatabase(o, async ({ db }) => {
        const r = await registerBaseModel(db, { dir: abs, name, force: o.force === true, check });
        const m = r.model;
        if (o.json) {
          console.log(JSON.stringify({
            action: r.action, ...modelJson(m), modelType: check.modelType, head: check.head, missingHeadTensors: check.missingHeadTensors,
            previous: r.action === 'replaced' && r.previous ? { location: r.previous.location, host: r.previous.host } : null,
          }, null, 2));
          return;
        }
        const was = r.action === 'replaced' && r.previous ? ` (was ${r.previous.location}${r.previous.host ? ` on host ${r.previous.host}` : ''})` : '';
        console.log(`${r.action === 'created' ? 'registered' : r.action} ${m.name}${was}: ${check.modelType} (${check.family}, ${check.head}), ${check.parameterCount.toLocaleString('en-US')} parameters (${formatParams(check.parameterCount)}), ${check.dtype}, ${formatBytes(check.bytesOnDisk)} on disk`);
        console.log(`  ${m.location} on host ${m.host}`);
        if (check.missingHeadTensors.length) console.log(`  note: no ${check.missingHeadTensors.join(', ')} in the checkpoint (head weights: they start random when trained)`);
      });
    });

  model
    .command('list')
    .description('registered base models: name, family, parameters, dtype on disk, path and the host it is on')
    .option('--json', 'machine-readable output')
    .option('--data-dir <dir>', 'PEFT Lab home (embedded PostgreSQL) when DATABASE_URL is unset')
    .action(async (o) => {
      const { listBaseModels } = await import('@peft-lab/db');
      await withDatabase(o, async ({ db }) => {
        const rows = await listBaseModels(db);
        if (o.json) return void console.log(JSON.stringify(rows.map(modelJson), null, 2));
        if (!rows.length) return void console.log('no registered base models (register one with `peft-lab model add DIR`; `builtin` needs none)');
        printTable(['name', 'family', 'params', 'dtype', 'path', 'host'], rows.map((m) => [
          m.name, m.family, formatParams(m.parameterCount), m.dtype ?? '—', m.source === 'builtin' ? `(built-in) ${m.location}` : m.location, m.host ?? '—',
        ]));
      });
    });
  model
    .command('logits')
    .description("token ids and logits of a text under a local Hugging Face model (optionally with a PEFT LoRA adapter)")
    .requiredOption('--model <dir>', 'Hugging Face checkpoint directory, or builtin (the packaged model)')
    .option('--adapter <dir>', 'PEFT LoRA adapter directory')
    .requiredOption('--text <text>', 'input text')
    .option('--json', 'print { input_ids, logits } as JSON (the default output)')
    .option('--backend <name>', 'auto | tensorflow | wasm | cpu', 'cpu')
    .action(async (o) => {
      // `builtin` is the pretrained base shipped in packages/data, as for `train --model builtin`.
      if (o.model === 'builtin') {
        const { BUILTIN_MODEL_DIR, builtinModelAvailable } = await import('@peft-lab/data/catalog');
        if (!builtinModelAvailable()) throw new CliInputError('--model', o.model, `the built-in model has no weights yet (${BUILTIN_MODEL_DIR} lacks model.safetensors: run \`peft-lab pretrain\`)`);
        o.model = BUILTIN_MODEL_DIR;
      }
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
    .argument('<model>', 'Hugging Face checkpoint directory (config.json), or the name of a registered base model')
    .option('--batch <n>', 'training batch size', '8')
    .option('--seq <n>', 'tokens per example (the truncation length)', '128')
    .option('--head <head>', `${HEADS.join(' | ')} (default: the checkpoint's own)`)
    .option('--labels <n>', 'classification heads: number of labels (default: the checkpoint\'s, else 2)')
    .option('--gradient-checkpointing', 'estimate with activation checkpointing per layer')
    .option('--no-checkpoints', 'leave out the checkpoint copies a worker trial makes (as peft-lab train, which writes none)')
    .option('--json', 'machine-readable output')
    .option('--data-dir <dir>', 'PEFT Lab home (embedded PostgreSQL) when DATABASE_URL is unset (for a registered name)')
    .action(async (target: string, o) => {
      const batchSize = positiveInt('--batch', o.batch, 8);
      const seqLen = positiveInt('--seq', o.seq, 128);
      if (o.head !== undefined && !(HEADS as readonly string[]).includes(o.head)) throw new CliInputError('--head', o.head, `must be one of ${HEADS.join(', ')}`);
      // A path that exists is a directory; otherwise a name (no '/') is looked up in the registry.
      let dir = target;
      let registered: BaseModel | null = null;
      if (target === 'builtin' && !existsSync(target)) dir = (await import('@peft-lab/data/catalog')).BUILTIN_MODEL_DIR;
      else if (!existsSync(target) && MODEL_NAME.test(target)) {
        const { getBaseModel } = await import('@peft-lab/db');
        registered = await withDatabase(o, async ({ db }) => getBaseModel(db, target).catch((err) => {
          if ((err as { code?: string }).code === 'NOT_FOUND') throw new CliInputError('MODEL', target, 'no such directory, and no base model of that name is registered (see `peft-lab model list`)');
          throw err;
        }));
        if (registered.source === 'builtin') dir = (await import('@peft-lab/data')).BUILTIN_MODEL_DIR;
        else {
          dir = registered.location;
          if (!existsSync(dir)) throw new CliInputError('MODEL', target, `registered at ${dir}${registered.host ? ` on host ${registered.host}` : ''}, but ${dir} does not exist on host ${hostname()}`);
        }
      }
      const { raw, config, head: savedHead } = await readModelDir('DIR', dir);
      // Trials truncate to the model's positions as well.
      const seq = Math.min(seqLen, config.maxPositions);
      const head = (o.head ?? savedHead) as (typeof HEADS)[number];
      if (head !== 'causal-lm') config.numLabels = positiveInt('--labels', o.labels, config.numLabels ?? 2);
      const { estimateTrainingMemory, availableMemory, checkHfCheckpoint, formatBytes, MEMORY_METHODS, MEMORY_LIMIT_ENV, DEFAULT_TARGET_MODULES } = await import('@peft-lab/engine');
      // dtype and size on disk from the safetensors headers (no weight read); the estimate needs config.json alone.
      let disk: { dtype: string; bytesOnDisk: number } | null = null;
      let checkpointProblem: string | null = null;
      try {
        disk = checkHfCheckpoint(dir);
      } catch (err) {
        if (!(err instanceof Error && 'code' in err)) throw err;
        checkpointProblem = err.message;
      }
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
          model: dir, ...(registered ? { registered: modelJson(registered) } : {}),
          modelType: raw.model_type, family: config.family, head, ...(head !== 'causal-lm' ? { numLabels: config.numLabels } : {}),
          parameterCount, dtype: disk?.dtype ?? null, bytesOnDisk: disk?.bytesOnDisk ?? null, checkpointProblem, ...shape, batchSize, seqLen: seq, gradientCheckpointing: o.gradientCheckpointing === true, checkpoints: o.checkpoints !== false,
          available, methods: Object.fromEntries(estimates.map((e) => [e.method, { trainableParams: e.trainableParams, bytes: e.bytes, fits: e.bytes.total <= available.bytes }])),
        }, null, 2));
        return;
      }
      const n = (x: number) => x.toLocaleString('en-US');
      const label = registered ? `${registered.name} (${dir}${registered.host ? ` on host ${registered.host}` : ''})` : dir;
      console.log(`${label}: ${raw.model_type} (${head}), ${n(parameterCount)} parameters (${(parameterCount / 1e6).toFixed(1)} M)`);
      console.log(`family ${config.family}, ${disk ? `dtype on disk ${disk.dtype}, ${formatBytes(disk.bytesOnDisk)} on disk` : `checkpoint not loadable: ${checkpointProblem}`}`);
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
