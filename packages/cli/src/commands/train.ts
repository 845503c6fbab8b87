import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { METHOD_NAMES, isMethodName, type MethodName } from '@peft-lab/engine/methods';
import { CliInputError } from '../errors.js';
import { asCliError } from '../exit-codes.js';
import { checkMethodSettings } from '../method-settings.js';
import { readModelDir } from '../model-dir.js';
import { positiveInt } from '../paths.js';
import { methodSettings, trainSettings } from '../train-settings.js';

/** Every registered method (the engine's TF-free registry: this import keeps `--help` quick). */
const METHODS = METHOD_NAMES;

export function register(program: Command): void {
  program
    .command('train')
    .description('train one method on one task outside any sweep; writes the adapter (or full model) and summary.json')
    .requiredOption('--model <dir>', 'a local Hugging Face checkpoint directory, or builtin')
    .requiredOption('--task <file|name>', 'a JSONL file ({"text", "label"?} per line) or a built-in task name')
    .requiredOption('--method <method>', METHODS.join(' | '))
    .option('--set <key=value>', 'a method or training setting (repeatable): r=8, alpha=16, and every training parameter of a sweep (lr, batchSize, maxSeqLen, maxSteps | epochs, evalEvery, warmupRatio, weightDecay, gradClip, pooling, gradientCheckpointing) …', collect, [])
    .option('--steps <n>', 'optimizer steps (or --set maxSteps=N / epochs=N)', '100')
    .requiredOption('--out <dir>', 'output directory')
    .option('--max-examples <n>', 'built-in tasks: examples per split', '2000')
    .option('--backend <name>', 'auto | tensorflow | wasm | cpu')
    .action(async (o, cmd: Command) => {
      if (!isMethodName(o.method)) throw new CliInputError('--method', o.method, `must be one of ${METHODS.join(', ')}`);
      const method = o.method;
      const pairs: Record<string, string> = {};
      for (const pair of o.set as string[]) {
        const i = pair.indexOf('=');
        if (i <= 0) throw new CliInputError('--set', pair, 'must be key=value');
        pairs[pair.slice(0, i)] = pair.slice(i + 1);
      }
      const { BUILTIN_MODEL_DIR, builtinModelAvailable, isBuiltinTask, listTasks, loadTask } = await import('@peft-lab/data');
      const { runTrainCommand, parseJsonlTask, parseSetValue, selectBackend, splitExamples } = await import('@peft-lab/engine');
      const settings = trainSettings(pairs, parseSetValue);
      // The method's settings against its declaration (names, kinds, ranges), before any model loads.
      checkMethodSettings(method, methodSettings(settings.set), parseSetValue);
      const stepsGiven = cmd.getOptionValueSource('steps') === 'cli';
      if (stepsGiven && (settings.maxSteps !== undefined || settings.epochs !== undefined)) {
        throw new CliInputError('--steps', o.steps, `give --steps or --set ${settings.maxSteps !== undefined ? 'maxSteps' : 'epochs'}, not both`);
      }
      // `builtin` is the pretrained base shipped in packages/data (the engine alone cannot see it).
      const model = o.model === 'builtin' && builtinModelAvailable() ? BUILTIN_MODEL_DIR : (o.model as string);
      await selectBackend({ prefer: o.backend });
      let taskFile = o.task as string;
      let tmp: string | null = null;
      if (!existsSync(taskFile)) {
        if (!isBuiltinTask(taskFile)) throw new CliInputError('--task', taskFile, `is neither a file nor a built-in task (${listTasks().map((t) => t.name).join(', ')})`);
        // The engine's train command reads JSONL; a built-in task is written out as such.
        const { info, splits } = loadTask(taskFile, { maxExamples: positiveInt('--max-examples', o.maxExamples, 2000) });
        if (info.kind === 'token-classification') throw new CliInputError('--task', taskFile, 'token-classification tasks need a sweep (the JSONL train format holds text + label only)');
        tmp = mkdtempSync(join(tmpdir(), 'peft-lab-train-'));
        taskFile = join(tmp, `${info.name}.jsonl`);
        const rows = [...splits.train, ...splits.validation] as { text: string; label?: string }[];
        writeFileSync(taskFile, rows.map((e) => JSON.stringify(info.kind === 'causal-lm' ? { text: e.text } : { text: e.text, label: e.label })).join('\n'));
      }
      try {
        let steps = settings.maxSteps ?? positiveInt('--steps', o.steps, 100);
        if (settings.epochs !== undefined) {
          // As many steps as `epochs` passes over the training split (runTrainCommand's split and batch size).
          const { examples } = parseJsonlTask(readFileSync(taskFile, 'utf8'), () => [], { file: taskFile });
          const num = (k: string, d: number) => { const v = settings.set[k] === undefined ? d : parseSetValue(settings.set[k]); return typeof v === 'number' ? v : d; };
          const train = splitExamples(examples, num('evalFraction', 0.1), num('seed', 0)).train.length;
          steps = Math.max(1, Math.ceil((settings.epochs * train) / num('batchSize', 8)));
        }
        // Before the engine loads the checkpoint: a model that cannot fit fails here, naming itself, not by an OOM kill.
        if (model !== 'builtin') await checkMemoryBeforeTraining(model, taskFile, method, settings.set);
        await runTrainCommand({ model, task: taskFile, method, set: settings.set, steps, out: o.out });
      } catch (err) {
        // The engine checks method settings with zod: name them as the --set keys they came from.
        throw asCliError(err, '--set ');
      } finally {
        if (tmp) rmSync(tmp, { recursive: true, force: true });
      }
    });
}

/**
 * The memory estimate of this run (the head from the task file, batchSize / maxLength /
 * gradientCheckpointing and the method's settings from --set, runTrainCommand's defaults
 * otherwise; no checkpoints are written) against the memory available: throws
 * InsufficientMemoryError (exit 1) when it does not fit. `set`: runTrainCommand's names (trainSettings).
 */
async function checkMemoryBeforeTraining(modelDir: string, taskFile: string, method: MethodName, set: Record<string, string>): Promise<void> {
  const { config } = await readModelDir('--model', modelDir);
  const { parseJsonlTask, parseSetValue, estimateTrainingMemory, checkTrainingMemory } = await import('@peft-lab/engine');
  // Only the task kind and label count matter here: no tokenizer is needed.
  const task = parseJsonlTask(readFileSync(taskFile, 'utf8'), () => [], { file: taskFile });
  if (task.task !== 'causal-lm') config.numLabels = task.labelNames.length;
  const methodConfig = Object.fromEntries(Object.entries(methodSettings(set)).map(([k, v]) => [k, parseSetValue(v)]));
  const estimate = estimateTrainingMemory({
    config, head: task.task, method, methodConfig,
    batchSize: positiveInt('--set batchSize', set.batchSize, 8),
    seqLen: Math.min(positiveInt('--set maxLength', set.maxLength, 128), config.maxPositions),
    gradientCheckpointing: parseSetValue(set.gradientCheckpointing ?? 'false') === true,
    checkpoints: false,
  });
  checkTrainingMemory(estimate, { model: modelDir });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
