// The sweep → engine mapping per method (what the switch over methods did before the registry,
// now read from each method's declaration), and the training parameters' defaults.
import { describe, expect, it } from 'vitest';
import { METHODS, asMethod, methodConfig, methodHyperparameters } from './method-config.js';

const enc = (text: string) => [...text].map((c) => c.charCodeAt(0));

describe('methodConfig', () => {
  it('passes LoRA hyperparameters through under their own names, with the trial seed', () => {
    expect(methodConfig('lora', { r: 4, alpha: 8, dropout: 0.1, targetModules: ['c_attn'], useRslora: true }, 3, enc))
      .toEqual({ r: 4, alpha: 8, dropout: 0.1, targetModules: ['c_attn'], useRslora: true, seed: 3 });
    expect(methodConfig('lora', { r: 2, targetModules: null }, 0, enc)).toEqual({ r: 2, seed: 0 });
  });

  it('maps adapters: activation → nonLinearity, an explicit bottleneck wins over the defaulted reductionFactor', () => {
    expect(methodConfig('adapter', { bottleneck: 8, reductionFactor: 16, placement: 'houlsby', activation: 'gelu' }, 1, enc))
      .toEqual({ bottleneck: 8, placement: 'houlsby', nonLinearity: 'gelu', seed: 1 });
    expect(methodConfig('adapter', { reductionFactor: 4, placement: 'pfeiffer', activation: 'relu' }, 1, enc))
      .toEqual({ reductionFactor: 4, placement: 'pfeiffer', nonLinearity: 'relu', seed: 1 });
  });

  it('maps prefix tuning: prefixLength, reparameterize, reparamHidden (only with reparameterize)', () => {
    expect(methodConfig('prefix', { prefixLength: 8, reparameterize: true, reparamHidden: 64 }, 1, enc))
      .toEqual({ numVirtualTokens: 8, prefixProjection: true, encoderHiddenSize: 64, seed: 1 });
    expect(methodConfig('prefix', { prefixLength: 8, reparameterize: false, reparamHidden: 64 }, 1, enc))
      .toEqual({ numVirtualTokens: 8, prefixProjection: false, seed: 1 });
    // reparameterize absent: its default (false, peft's) applies, so reparamHidden is dropped.
    expect(methodConfig('prefix', { reparamHidden: 64 }, 1, enc)).toEqual({ seed: 1 });
    // reparamHidden absent where it applies: not required, the engine takes the model's hidden size.
    expect(methodConfig('prefix', { reparameterize: true }, 1, enc)).toEqual({ prefixProjection: true, seed: 1 });
  });

  it('maps prompt tuning: promptLength, init vocab → sampled-vocab, init text → the tokenized initText', () => {
    expect(methodConfig('prompt', { promptLength: 5, init: 'vocab' }, 2, enc)).toEqual({ numVirtualTokens: 5, init: 'sampled-vocab', seed: 2 });
    expect(methodConfig('prompt', { promptLength: 5, init: 'random', initText: 'ignored' }, 2, enc)).toEqual({ numVirtualTokens: 5, init: 'random', seed: 2 });
    expect(methodConfig('prompt', { promptLength: 5, init: 'text', initText: 'hi' }, 2, enc)).toEqual({ numVirtualTokens: 5, init: 'text', initTokenIds: [104, 105], seed: 2 });
    expect(() => methodConfig('prompt', { init: 'text' }, 2, enc)).toThrow('hyperparameters.initText = undefined: required when init is text');
    expect(() => methodConfig('prompt', { init: 'text', initText: '' }, 2, enc)).toThrow('hyperparameters.initText = "": required when init is text');
  });

  it('gives full fine-tuning (no hyperparameters, no seed) an empty config', () => {
    expect(methodConfig('full', {}, 5, enc)).toEqual({});
  });
});

describe('asMethod and methodHyperparameters', () => {
  it('accepts every registered method and names them for anything else', () => {
    for (const m of METHODS) expect(asMethod(m)).toBe(m);
    expect(() => asMethod('loraa')).toThrow(`method = "loraa": expected one of ${METHODS.join(', ')}`);
  });
  it('drops the bookkeeping keys a trial stores beside its hyperparameters', () => {
    expect(methodHyperparameters({ r: 4, training: { lr: 1 }, label: 'x', configKey: 'k', isBaseline: false })).toEqual({ r: 4 });
  });
});
