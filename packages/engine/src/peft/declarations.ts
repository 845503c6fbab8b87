/**
 * The method registry: every PEFT method's declaration, in display order. This module is the
 * package's TF-free entry `@peft-lab/engine/methods` (package.json "exports"): sweeps, the report,
 * the dashboard, the worker's sweep mapping and the CLI's `--set` checks read it, so it and
 * everything it imports must stay free of @tensorflow/* (only `peft/<method>/declaration.ts`
 * files and `method-declaration.ts`; `method-registry.test.ts` walks the imports).
 *
 * Adding a method: its folder `peft/<name>/` (declaration.ts, config.ts, layer.ts, index.ts),
 * one line in METHOD_DECLARATIONS below, one import in `peft/methods.ts` (its runtime).
 */
import { ADAPTER } from './adapter/declaration.js';
import { FULL } from './full/declaration.js';
import { IA3 } from './ia3/declaration.js';
import { LORA } from './lora/declaration.js';
import type { MethodDeclaration } from './method-declaration.js';
import { PREFIX } from './prefix/declaration.js';
import { PROMPT } from './prompt/declaration.js';

export const METHOD_DECLARATIONS = [
  FULL,
  LORA,
  ADAPTER,
  PREFIX,
  PROMPT,
  IA3,
] as const;

export type MethodName = (typeof METHOD_DECLARATIONS)[number]['name'];

/** Every registered method's name, in registry order (a non-empty tuple, for z.enum). */
export const METHOD_NAMES = METHOD_DECLARATIONS.map((d) => d.name) as unknown as readonly [MethodName, ...MethodName[]];

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && (METHOD_NAMES as readonly string[]).includes(name);
}

/** @throws RangeError for a name the registry lacks, listing the registered ones. */
export function methodDeclaration(name: string): MethodDeclaration<MethodName> {
  const d = METHOD_DECLARATIONS.find((x) => x.name === name);
  if (!d) throw new RangeError(`method ${JSON.stringify(name)}: expected one of ${METHOD_NAMES.join(', ')}`);
  return d;
}

/** `{ [method]: f(declaration) }` over the registry, e.g. `methodRecord((d) => d.color)`. */
export function methodRecord<T>(f: (d: MethodDeclaration<MethodName>) => T): Record<MethodName, T> {
  return Object.fromEntries(METHOD_DECLARATIONS.map((d) => [d.name, f(d)])) as Record<MethodName, T>;
}

/**
 * The methods whose adapters fold into the base weights (their attachments implement `merge`):
 * what a merged Hugging Face checkpoint can be made of (`hf/merged-checkpoint.ts`). DoRA is LoRA
 * with `use_dora`. The others change the forward pass itself (peft has no merge for them either).
 */
export const MERGEABLE_METHODS: readonly MethodName[] = ['lora', 'ia3'];

export function isMergeableMethod(name: string): boolean {
  return (MERGEABLE_METHODS as readonly string[]).includes(name);
}

export * from './method-declaration.js';
