import { describe, expect, it } from 'vitest';
import { METHOD_DECLARATIONS, configDefault } from '@peft-lab/engine/methods';
import { checkMethodSettings } from './method-settings.js';
import { methodSettings } from './train-settings.js';

/** What the engine's parseSetValue does (JSON, else a comma list, else the string). */
const parse = (raw: string): unknown => {
  try {
    return JSON.parse(raw);
  } catch {
    return raw.includes(',') ? raw.split(',').map((s) => s.trim()) : raw;
  }
};
const check = (method: Parameters<typeof checkMethodSettings>[0], set: Record<string, string>) => () => checkMethodSettings(method, methodSettings(set), parse);

describe('peft-lab train --set: method settings from the declaration', () => {
  it('accepts declared settings within their rules; training keys are not method settings', () => {
    expect(check('lora', { r: '8', alpha: '16', dropout: '0.1', targetModules: 'c_attn,c_fc', useRslora: 'true', lr: '1e-3', seed: '3', maxSeqLen: '64' })).not.toThrow();
    expect(check('prefix', { numVirtualTokens: '4', prefixProjection: 'true', encoderHiddenSize: '8' })).not.toThrow();
    expect(check('prompt', { init: 'sampled-vocab', initTokenIds: '[1,2]' })).not.toThrow();
    expect(check('lora', { baseModelNameOrPath: 'null' })).not.toThrow();
  });

  it("names an unknown setting and the method's own", () => {
    expect(check('prefix', { r: '8' })).toThrow("--set r: not a known setting (neither a training parameter nor one of prefix's; its settings: numVirtualTokens, prefixProjection, encoderHiddenSize, initStd, modulesToSave) (got 8)");
    expect(check('prefix', { prefixLength: '8' })).toThrow("--set prefixLength: not a known setting (neither a training parameter nor one of prefix's; prefixLength is a sweep spec's name: here it is numVirtualTokens;");
    expect(check('full', { r: '8' })).toThrow("--set r: not a known setting (neither a training parameter nor one of full's; full takes no method settings) (got 8)");
  });

  it('says the rule a value breaks, one line per bad pair', () => {
    expect(check('lora', { r: '0' })).toThrow('--set r: must be an integer ≥ 1 (got 0)');
    expect(check('lora', { alpha: 'x' })).toThrow('--set alpha: must be a number > 0 (got x)');
    expect(check('lora', { targetModules: 'c_attn' })).toThrow('--set targetModules: must be a non-empty list of distinct module names (a comma-separated list');
    expect(check('adapter', { placement: 'middle', bottleneck: '0' })).toThrow('--set placement: must be one of houlsby, pfeiffer (got middle)\n--set bottleneck: must be an integer ≥ 1 (got 0)');
  });

  it('accepts every declared default of every registered method', () => {
    for (const d of METHOD_DECLARATIONS) {
      const set = Object.fromEntries(d.hyperparameters.filter((p) => p.default !== undefined).map((p) => [p.name, JSON.stringify(configDefault(d, p.name))]));
      expect(check(d.name, set), d.name).not.toThrow();
    }
  });
});
