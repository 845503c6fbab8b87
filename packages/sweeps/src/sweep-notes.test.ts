import { describe, expect, it } from 'vitest';
import { parseSweepSpec } from './spec.js';
import { sweepNotes } from './sweep-notes.js';

const spec = (extra: Record<string, unknown>, methods: unknown[] = [{ method: 'lora' }, { method: 'prefix' }, { method: 'prompt' }]) =>
  parseSweepSpec(JSON.stringify({ name: 'n', task: 'spam', training: { maxSteps: 5, lr: { min: 1e-5, max: 1e-2, scale: 'log' } }, methods, ...extra }), 'json');

describe('sweepNotes', () => {
  it('says when a tpe budget is all initial design (the full baseline, prefix and prompt 7 each, LoRA searching 4 parameters 10: 31 trials)', () => {
    const lora = { method: 'lora', space: { r: { min: 2, max: 64 }, alpha: { min: 4, max: 128 }, dropout: [0, 0.1] } };
    const methods = [lora, { method: 'prefix' }, { method: 'prompt' }];
    const notes = sweepNotes(spec({ strategy: { type: 'tpe' }, budget: { maxTrials: 31 } }, methods));
    expect(notes).toEqual([expect.stringMatching(/^budget\.maxTrials: 31 trials with 4 method entries are all TPE's initial design \(7 \+ 10 \+ 7 \+ 7 = 31: .*raise maxTrials above 31/)]);
    expect(sweepNotes(spec({ strategy: { type: 'tpe' }, budget: { maxTrials: 32 } }, methods))).toEqual([]);
  });

  it('nothing to say for one method entry, several objectives, or random search', () => {
    expect(sweepNotes(spec({ baseline: 'none', strategy: { type: 'tpe' }, budget: { maxTrials: 12 } }, [{ method: 'lora' }]))).toEqual([]);
    const two = [{ metric: 'accuracy', direction: 'maximize' }, { metric: 'trainable_params', direction: 'minimize' }];
    expect(sweepNotes(spec({ objectives: two, strategy: { type: 'tpe' }, budget: { maxTrials: 12 } }))).toEqual([]);
    expect(sweepNotes(spec({ strategy: { type: 'random', count: 2 } }))).toEqual([]);
  });
});
