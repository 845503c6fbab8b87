import { describe, expect, it } from 'vitest';
import { describeSpecForm } from './form-description.js';
import { adapterSpaceSchema, fullSpaceSchema, loraSpaceSchema, prefixSpaceSchema, promptSpaceSchema, trainingSpaceSchema } from './spec.js';
import { METHOD_HYPERPARAMETERS, TRAINING_PARAMETERS } from './hyperparameters.js';

describe('describeSpecForm', () => {
  it('is plain JSON', () => {
    const d = describeSpecForm();
    expect(JSON.parse(JSON.stringify(d))).toEqual(d);
    expect(d.methods.find((m) => m.method === 'lora')!.hyperparameters.find((p) => p.name === 'r')).toMatchObject({ kind: 'int', default: 8, rule: 'must be an integer ≥ 1' });
  });
  it('lists exactly the keys each schema accepts', () => {
    const keys = (s: { shape: Record<string, unknown> }) => Object.keys(s.shape);
    expect(keys(loraSpaceSchema)).toEqual(METHOD_HYPERPARAMETERS.lora.map((p) => p.name));
    expect(keys(adapterSpaceSchema)).toEqual(METHOD_HYPERPARAMETERS.adapter.map((p) => p.name));
    expect(keys(prefixSpaceSchema)).toEqual(METHOD_HYPERPARAMETERS.prefix.map((p) => p.name));
    expect(keys(promptSpaceSchema)).toEqual(METHOD_HYPERPARAMETERS.prompt.map((p) => p.name));
    expect(keys(fullSpaceSchema)).toEqual([]);
    expect(keys(trainingSpaceSchema)).toEqual(TRAINING_PARAMETERS.map((p) => p.name));
  });
});
