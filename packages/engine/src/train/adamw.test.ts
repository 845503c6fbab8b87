import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdamW } from './adamw.js';
import { warmupLinearDecay } from './lr-schedule.js';

beforeAll(async () => { await tf.setBackend('cpu'); });

/** Reference AdamW for one scalar parameter, textbook form (bias-corrected moments, decoupled decay). */
function reference(p: number, gs: number[], lr: number, wd: number, scale = 1): number {
  let m = 0, v = 0;
  gs.forEach((g0, i) => {
    const g = g0 * scale, t = i + 1;
    m = 0.9 * m + 0.1 * g;
    v = 0.999 * v + 0.001 * g * g;
    const mh = m / (1 - 0.9 ** t), vh = v / (1 - 0.999 ** t);
    p = p - lr * (mh / (Math.sqrt(vh) + 1e-8)) - lr * wd * p;
  });
  return p;
}

describe('AdamW', () => {
  it('matches the textbook update, decaying matrices but not biases, with gradient scaling', () => {
    const w = tf.variable(tf.tensor2d([[1, -2]]));
    const b = tf.variable(tf.tensor1d([0.5]));
    const opt = new AdamW(new Map<string, tf.Variable>([['w', w], ['b', b]]), { weightDecay: 0.1 });
    const gw = [[0.3, -0.1], [0.2, 0.4], [-0.5, 0.1]], gb = [0.7, -0.2, 0.05];
    for (let i = 0; i < 3; i++) {
      tf.tidy(() => opt.apply(new Map<string, tf.Tensor>([['w', tf.tensor2d([gw[i]])], ['b', tf.tensor1d([gb[i]])]]), 0.01, 0.5));
    }
    const wv = w.dataSync(), bv = b.dataSync();
    expect(wv[0]).toBeCloseTo(reference(1, gw.map((g) => g[0]), 0.01, 0.1, 0.5), 6);
    expect(wv[1]).toBeCloseTo(reference(-2, gw.map((g) => g[1]), 0.01, 0.1, 0.5), 6);
    expect(bv[0]).toBeCloseTo(reference(0.5, gb, 0.01, 0, 0.5), 6);
    opt.dispose();
    tf.dispose([w, b]);
  });

  it('round-trips its moments per parameter and rejects a shape mismatch', async () => {
    const a = tf.variable(tf.ones([2, 3])), c = tf.variable(tf.ones([4]));
    const opt = new AdamW(new Map<string, tf.Variable>([['a', a], ['c', c]]));
    tf.tidy(() => opt.apply(new Map<string, tf.Tensor>([['a', tf.fill([2, 3], 2)], ['c', tf.fill([4], -1)]]), 0.1));
    const { m, v } = await opt.moments();
    expect(m.get('a')!.shape).toEqual([2, 3]);
    expect(m.get('a')!.data[0]).toBeCloseTo(0.2, 6);
    expect(v.get('c')!.data[3]).toBeCloseTo(0.001, 6);
    const opt2 = new AdamW(new Map<string, tf.Variable>([['a', a], ['c', c]]));
    opt2.restoreMoments(m, v);
    expect((await opt2.moments()).m.get('c')!.data).toEqual(m.get('c')!.data);
    const bad = new Map(m);
    bad.set('c', { shape: [5], data: new Float32Array(5) });
    expect(() => opt2.restoreMoments(bad, v)).toThrow(/adam_m "c"/);
    [opt, opt2].forEach((o) => o.dispose());
    tf.dispose([a, c]);
  });

  it('schedules warmup then linear decay to zero', () => {
    expect(warmupLinearDecay(0, 1, 4, 10)).toBeCloseTo(0.25);
    expect(warmupLinearDecay(3, 1, 4, 10)).toBeCloseTo(1);
    expect(warmupLinearDecay(4, 1, 4, 10)).toBeCloseTo(1);
    expect(warmupLinearDecay(7, 1, 4, 10)).toBeCloseTo(0.5);
    expect(warmupLinearDecay(10, 1, 4, 10)).toBe(0);
  });
});
