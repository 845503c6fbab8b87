/**
 * Every hyperparameter a sweep may set, as plain JSON-friendly data: the
 * schema (spec.ts), the expansion (expand.ts) and the dashboard form all read
 * these tables. The methods and their hyperparameters come from the engine's
 * TF-free method registry (`@peft-lab/engine/methods`: each method's
 * `peft/<method>/declaration.ts`), so a new method or hyperparameter is
 * declared there once; the training parameters live here.
 */
import {
  METHOD_NAMES as REGISTERED_METHODS,
  describeRule as describeValueRule,
  isValidValue as isValidParamValue,
  methodRecord,
  sweepParameters,
  type MethodName as RegisteredMethodName,
  type SweepParamDefinition,
  type SweepParamKind,
  type SweepValue,
} from '@peft-lab/engine/methods';

/** Every registered method, in registry order (full, lora, adapter, prefix, prompt, …). */
export const METHOD_NAMES = REGISTERED_METHODS;
export type MethodName = RegisteredMethodName;

/** int/float: numbers; bool; enum: one of `options`; string: free text; string-list: a list of names. */
export type ParamKind = SweepParamKind;

/** A concrete hyperparameter value as a trial carries it. */
export type HyperValue = SweepValue;

/** One hyperparameter as a spec sees it: name, kind, bounds, default, help, conditions. */
export type ParamDefinition = SweepParamDefinition;

/** Each method's searchable hyperparameters, in the spec's names (from its declaration). */
export const METHOD_HYPERPARAMETERS: Readonly<Record<MethodName, readonly ParamDefinition[]>> = methodRecord(sweepParameters);

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

/** One sentence per method for the form (its declaration's summary). */
export const METHOD_DESCRIPTIONS: Readonly<Record<MethodName, string>> = methodRecord((d) => d.summary);

export function findParam(defs: readonly ParamDefinition[], name: string): ParamDefinition | undefined {
  return defs.find((d) => d.name === name);
}

/** Human rule for one value of `def`, e.g. "must be an integer ≥ 1", "must be a number in [0, 1)" (the registry's, so the CLI words it the same). */
export const describeRule: (def: ParamDefinition) => string = describeValueRule;

/** Whether one concrete value satisfies `def` (numbers: kind, bounds; `asInt` forces integrality, for int-typed ranges of float params). */
export const isValidValue: (def: ParamDefinition, v: unknown, asInt?: boolean) => boolean = isValidParamValue;
