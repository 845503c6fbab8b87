#!/usr/bin/env tsx
/**
 * `peft-lab` — the one command-line entry. Each sub-command lives in
 * `commands/<name>.ts` and exports `register(program)`.
 *
 * Exit codes: 0 ok, 2 bad input (validation, unknown ids), 1 any other failure.
 */
import { Command, CommanderError } from 'commander';
import { commands } from './commands/index.js';
import { exitCodeFor, describeError } from './exit-codes.js';

const program = new Command('peft-lab')
  .description('PEFT Lab: sweeps over parameter-efficient fine-tuning methods')
  .showHelpAfterError()
  .exitOverride();

for (const register of commands) register(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // --help and --version arrive here too, with exit code 0.
    process.exit(err.exitCode === 0 ? 0 : 2);
  }
  console.error(`peft-lab: ${describeError(err)}`);
  process.exit(exitCodeFor(err));
}
