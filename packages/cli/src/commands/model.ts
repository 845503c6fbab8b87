import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { CliInputError } from '../errors.js';

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
}
