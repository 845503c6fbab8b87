// The catalog entry must stay free of TensorFlow: the dashboard's server build imports it
// (and @peft-lab/db does), and the engine's backend loader is what webpack warned about.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as catalog from './catalog.js';
import * as main from './index.js';

/** Every module reachable from `entry` by static imports / re-exports: relative files and bare package names. */
function importGraph(entry: string): { files: string[]; packages: Set<string> } {
  const files: string[] = [];
  const packages = new Set<string>();
  const todo = [entry];
  while (todo.length) {
    const file = todo.pop()!;
    if (files.includes(file)) continue;
    files.push(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gm)) {
      const spec = m[1] ?? m[2];
      if (spec.startsWith('.')) todo.push(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      else packages.add(spec);
    }
  }
  return { files, packages };
}

describe('@peft-lab/data/catalog', () => {
  it('reaches neither the engine nor TensorFlow.js', () => {
    const { files, packages } = importGraph(fileURLToPath(new URL('./catalog.ts', import.meta.url)));
    expect(files.length).toBeGreaterThan(3);
    for (const p of packages) expect(p, `catalog imports ${p}`).not.toMatch(/^@peft-lab\/engine|^@tensorflow\//);
    expect(files.some((f) => f.includes('/pretrain/pretrain-builtin-model'))).toBe(false);
  });

  it('gives the same catalog as the main entry', () => {
    expect(catalog.listTasks()).toEqual(main.listTasks());
    expect(catalog.isBuiltinTask('spam')).toBe(true);
    expect(catalog.isBuiltinTask('no-such-task')).toBe(false);
    expect(catalog.BUILTIN_MODEL_DIR).toBe(main.BUILTIN_MODEL_DIR);
    expect(catalog.builtinModelAvailable()).toBe(main.builtinModelAvailable());
  });
});
