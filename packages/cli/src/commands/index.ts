import type { Command } from 'commander';
import { register as data } from './data.js';
import { register as exportCommand } from './export.js';
import { register as model } from './model.js';
import { register as pretrain } from './pretrain.js';
import { register as serve } from './serve.js';
import { register as sweep } from './sweep.js';
import { register as train } from './train.js';
import { register as up } from './up.js';
import { register as worker } from './worker.js';

/** Every sub-command registers itself here: one import, one entry. */
export const commands: ((program: Command) => void)[] = [up, worker, sweep, exportCommand, train, model, data, pretrain, serve];
