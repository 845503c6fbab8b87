#!/usr/bin/env node
// `peft-lab` as npm installs it (`npx peft-lab …` after `npm install` / `npm ci`): the CLI is
// TypeScript, so this registers tsx's loader in this process and runs src/main.ts. One
// process: signals (Ctrl-C on `peft-lab up`, SIGTERM to a worker) reach the CLI itself.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
