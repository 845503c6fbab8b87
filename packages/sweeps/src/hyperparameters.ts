/**
 * Every hyperparameter a sweep may set, as plain JSON-friendly data: the
 * schema (spec.ts), the expansion (expand.ts) and the dashboard form all read
 * these tables, so a new hyperparameter is added here once.
 */

export const METHOD_NAMES = ['full', 'lora', 'adapter', 'prefix', 'prompt'] as const;
export type MethodName = (typeof METHOD_NAMES)[number];

/** int/float: numbers; bool; enum: one of `options`; string: free text; string-list: a list of names. */
export type ParamKind = 'int' | 'float' | 'bool' | 'enum' | 'string' | 'string-list';

/** A concrete hyperparameter value as a trial carries it. */
export type HyperValue = number | string | boolean | string[];

export interface ParamDefinition {
  readonly name: string;
  readonly kind: ParamKind;
  readonly help: string;
  /** Used when the spec leaves the parameter out; absent = the parameter is simply not set. */
  readonly default?: HyperValue;
  readonly min?: number;
  readonly minExclusive?: boolean;
  readonly max?: number;
  readonly maxExclusive?: boolean;
  /** enum only */
  readonly options?: readonly string[];
  /** The parameter only means something when another one has this value (dropped from trials otherwise). */
  readonly appliesWhen?: { readonly param: string; readonly equals: string | boolean };
  /** At most one of the two may be given; this one's default is used only when neither is. */
  readonly exclusiveWith?: string;
}

export const METHOD_HYPERPARAMETERS: Readonly<Record<MethodName, readonly ParamDefinition[]>> = {
  full: [],
  lora: [
    { name: 'r', kind: 'int', min: 1, default: 8, help: 'Rank of the low-rank update B·A.' },
    { name: 'alpha', kind: 'float', min: 0, minExclusive: true, default: 16, help: 'Scaling numerator: the update is scaled by alpha/r (alpha/√r with rsLoRA).' },
    { name: 'dropout', kind: 'float', min: 0, max: 1, maxExclusive: true, default: 0, help: 'Dropout on the LoRA branch input during training.' },
    {
      name: 'targetModules',
      kind: 'string-list',
      // no default here: the engine picks peft's per-family default (GPT-2 c_attn, BERT query+value, Llama q_proj+v_proj)
      help: "Linear modules that get LoRA, by the model's short names (c_attn, c_fc for GPT-2; query, value for BERT; q_proj, v_proj for Llama) or a dotted suffix; absent = the model family's default. The engine rejects names the model lacks.",
    },
    { name: 'useRslora', kind: 'bool', default: false, help: 'Rank-stabilised scaling alpha/√r instead of alpha/r.' },
  ],
  adapter: [
    { name: 'bottleneck', kind: 'int', min: 1, exclusiveWith: 'reductionFactor', help: 'Bottleneck width of each adapter (give this or reductionFactor).' },
    { name: 'reductionFactor', kind: 'int', min: 1, default: 16, exclusiveWith: 'bottleneck', help: 'Bottleneck = hidden size / reductionFactor (give this or bottleneck).' },
    { name: 'placement', kind: 'enum', options: ['houlsby', 'pfeiffer'], default: 'houlsby', help: 'houlsby: after attention and after the FFN; pfeiffer: after the FFN only.' },
    { name: 'activation', kind: 'enum', options: ['relu', 'gelu', 'tanh', 'swish'], default: 'relu', help: 'Non-linearity between the down- and up-projection.' },
  ],
  prefix: [
    { name: 'prefixLength', kind: 'int', min: 1, default: 20, help: 'Number of trainable key/value vectors prepended in every attention layer.' },
    { name: 'reparameterize', kind: 'bool', default: true, help: 'Train the prefix through an MLP (folded away after training).' },
    { name: 'reparamHidden', kind: 'int', min: 1, default: 512, appliesWhen: { param: 'reparameterize', equals: true }, help: 'Hidden size of the reparameterisation MLP.' },
  ],
  prompt: [
    { name: 'promptLength', kind: 'int', min: 1, default: 20, help: 'Number of soft-prompt vectors prepended to the input embeddings.' },
    { name: 'init', kind: 'enum', options: ['random', 'vocab', 'text'], default: 'random', help: 'random; vocab: embeddings of sampled vocabulary tokens; text: embeddings of initText.' },
    { name: 'initText', kind: 'string', appliesWhen: { param: 'init', equals: 'text' }, help: 'Text whose token embeddings initialise the prompt (required when init is text).' },
  ],
};

/** Training parameters shared by every method; each may also be searched. Exactly one of epochs / maxSteps. */
export const TRAINING_PARAMETERS: readonly ParamDefinition[] = [
  { name: 'lr', kind: 'float', min: 0, minExclusive: true, default: 5e-4, help: 'Peak learning rate (AdamW).' },
  { name: 'epochs', kind: 'int', min: 1, exclusiveWith: 'maxSteps', help: 'Passes over the training split (give this or maxSteps).' },
  { name: 'maxSteps', kind: 'int', min: 1, exclusiveWith: 'epochs', help: 'Optimiser steps (give this or epochs).' },
  { name: 'batchSize', kind: 'int', min: 1, default: 16, help: 'Examples per optimiser step.' },
  { name: 'evalEvery', kind: 'int', min: 1, default: 50, help: 'Evaluate on the held-out split every this many steps (early stopping reads these).' },
  { name: 'warmupRatio', kind: 'float', min: 0, max: 1, maxExclusive: true, default: 0, help: 'Share of steps with linear learning-rate warm-up.' },
  { name: 'weightDecay', kind: 'float', min: 0, default: 0, help: 'Decoupled weight decay.' },
  { name: 'gradClip', kind: 'float', min: 0, default: 1, help: 'Global gradient-norm clip; 0 turns clipping off.' },
  { name: 'maxSeqLen', kind: 'int', min: 1, default: 128, help: 'Inputs are truncated to this many tokens.' },
  { name: 'gradientCheckpointing', kind: 'bool', default: false, help: 'Activation checkpointing per transformer layer: each layer keeps only its input and is recomputed in the backward pass — much less activation memory for about a third more compute per step.' },
  { name: 'pooling', kind: 'enum', options: ['last', 'mean'], default: 'last', help: "Sequence classification with a decoder (GPT-2, Llama): last scores the last token, as transformers does; mean scores the mean over all tokens (often better on truncated text). Other tasks ignore it." },
];

export const TRAINING_PARAMETER_NAMES: readonly string[] = TRAINING_PARAMETERS.map((p) => p.name);

/** Training parameters a method entry may override (the training length stays one for the whole sweep, for a fair comparison). */
export const TRAINING_OVERRIDE_NAMES: readonly string[] = TRAINING_PARAMETER_NAMES.filter((n) => n !== 'epochs' && n !== 'maxSteps');

export const METHOD_DESCRIPTIONS: Readonly<Record<MethodName, string>> = {
  full: 'Full fine-tuning: every weight trains (the baseline).',
  lora: 'LoRA: low-rank B·A beside chosen weight matrices.',
  adapter: 'Adapter tuning: bottleneck modules inserted in each layer.',
  prefix: 'Prefix tuning: trainable key/value vectors in every attention layer.',
  prompt: 'Prompt tuning: trainable soft-prompt vectors before the input embeddings.',
};

export function findParam(defs: readonly ParamDefinition[], name: string): ParamDefinition | undefined {
  return defs.find((d) => d.name === name);
}

/** Human rule for one value of `def`, e.g. "must be an integer ≥ 1", "must be a number in [0, 1)". */
export function describeRule(def: ParamDefinition): string {
  switch (def.kind) {
    case 'bool':
      return 'must be true or false';
    case 'enum':
      return `must be one of ${(def.options ?? []).join(', ')}`;
    case 'string':
      return 'must be a non-empty string';
    case 'string-list':
      return 'must be a non-empty list of distinct module names';
    case 'int':
    case 'float': {
      const what = def.kind === 'int' ? 'an integer' : 'a number';
      const { min, max } = def;
      if (min !== undefined && max !== undefined) {
        return `must be ${what} in ${def.minExclusive ? '(' : '['}${min}, ${max}${def.maxExclusive ? ')' : ']'}`;
      }
      if (min !== undefined) return `must be ${what} ${def.minExclusive ? '>' : '≥'} ${min}`;
      if (max !== undefined) return `must be ${what} ${def.maxExclusive ? '<' : '≤'} ${max}`;
      return `must be ${what}`;
    }
  }
}

/** Whether one concrete value satisfies `def` (numbers: kind, bounds; `asInt` forces integrality, for int-typed ranges of float params). */
export function isValidValue(def: ParamDefinition, v: unknown, asInt = false): boolean {
  switch (def.kind) {
    case 'bool':
      return typeof v === 'boolean';
    case 'enum':
      return typeof v === 'string' && (def.options ?? []).includes(v);
    case 'string':
      return typeof v === 'string' && v.trim().length > 0;
    case 'string-list':
      return (
        Array.isArray(v) &&
        v.length > 0 &&
        v.every((s) => typeof s === 'string' && /^[A-Za-z0-9_.*-]+$/.test(s)) &&
        new Set(v).size === v.length
      );
    case 'int':
    case 'float': {
      if (typeof v !== 'number' || !Number.isFinite(v)) return false;
      if ((def.kind === 'int' || asInt) && !Number.isInteger(v)) return false;
      if (def.min !== undefined && (def.minExclusive ? v <= def.min : v < def.min)) return false;
      if (def.max !== undefined && (def.maxExclusive ? v >= def.max : v > def.max)) return false;
      return true;
    }
  }
}
