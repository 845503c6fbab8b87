// `peft-lab pretrain`: re-creates the built-in base model (packages/data/builtin-model)
// from the packaged corpora. The work is @peft-lab/data's pretrainBuiltinModel; this
// only turns flags into its options and names a bad flag.
import type { Command } from 'commander';
import { CliInputError } from '../errors.js';
import { positiveInt } from '../paths.js';

const BACKENDS = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;

export function register(program: Command): void {
  program
    .command('pretrain')
    .description('pretrain the built-in GPT-2 base model on Brown + State of the Union (Moby Dick and every task\'s held-out text excluded)')
    .option('--steps <n>', 'optimizer steps, or auto: as many as fit in --max-minutes at the measured speed (default: the data package\'s default)')
    .option('--seed <n>', 'random seed', '1')
    .option('--out <dir>', 'output directory (default: packages/data/builtin-model)')
    .option('--backend <name>', BACKENDS.join(' | '), 'auto')
    .option('--max-minutes <m>', 'stop (and still save) after this many minutes')
    .option('--init-from <dir>', 'continue from the weights in this Hugging Face directory')
    .action(async (o) => {
      if (!(BACKENDS as readonly string[]).includes(o.backend)) throw new CliInputError('--backend', o.backend, `must be one of ${BACKENDS.join(', ')}`);
      const maxMinutes = o.maxMinutes === undefined ? undefined : Number(o.maxMinutes);
      if (maxMinutes !== undefined && !(maxMinutes > 0)) throw new CliInputError('--max-minutes', o.maxMinutes, 'must be a number > 0');
      if (o.steps === 'auto' && maxMinutes === undefined) throw new CliInputError('--steps', o.steps, 'auto needs --max-minutes (the step count is fitted to it)');
      const seed = Number(o.seed);
      if (!Number.isInteger(seed) || seed < 0) throw new CliInputError('--seed', o.seed, 'must be an integer ≥ 0');
      const { pretrainBuiltinModel } = await import('@peft-lab/data');
      await pretrainBuiltinModel({
        steps: o.steps === undefined ? undefined : o.steps === 'auto' ? 'auto' as const : positiveInt('--steps', o.steps, 1),
        seed,
        backend: o.backend,
        outDir: o.out,
        maxMinutes,
        initFrom: o.initFrom,
        command: `peft-lab pretrain ${process.argv.slice(3).join(' ')}`.trim(),
      });
    });
}
