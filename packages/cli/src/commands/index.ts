import type { Command } from 'commander';

/** Every sub-command registers itself here: one import, one entry. */
export const commands: ((program: Command) => void)[] = [];
