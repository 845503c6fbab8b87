import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { BackendSelectionError, resolveBackendPreference, selectBackend, type BackendInfo } from './backend.js';

const require = createRequire(import.meta.url);

/** Why native TF cannot load here (package or built addon missing), or undefined when it can. */
function nativeAbsentReason(): string | undefined {
  let pkgJson: string;
  try {
    pkgJson = require.resolve('@tensorflow/tfjs-node/package.json');
  } catch {
    return '@tensorflow/tfjs-node is not installed';
  }
  const pkgRequire = createRequire(pkgJson);
  const addon = (pkgRequire('@mapbox/node-pre-gyp') as { find(p: string): string }).find(pkgJson);
  return existsSync(addon) ? undefined : `tfjs-node addon not built (${addon}); run node scripts/setup-native-tf.mjs`;
}
const nativeAbsent = nativeAbsentReason();

/** Deterministic inputs: x [4, 8], w [8, 5], target one-hot rows [4, 5]. */
function inputs() {
  const x = Array.from({ length: 32 }, (_, i) => Math.sin(i * 0.7) * 1.5);
  const w = Array.from({ length: 40 }, (_, i) => Math.cos(i * 1.3) * 0.8);
  const target = [0, 3, 4, 1].flatMap((k) => Array.from({ length: 5 }, (_, j) => (j === k ? 1 : 0)));
  return { x, w, target };
}

/** Cross-entropy of softmax(x·w) and its gradient w.r.t. w, read back as plain numbers. */
function lossAndGrad(): { probs: number[]; loss: number; grad: number[] } {
  const { x, w, target } = inputs();
  const before = tf.memory().numTensors;
  const [probs, loss, grad]: tf.Tensor[] = tf.tidy(() => {
    const xs = tf.tensor2d(x, [4, 8]);
    const ws = tf.tensor2d(w, [8, 5]);
    const ts = tf.tensor2d(target, [4, 5]);
    const f = (weights: tf.Tensor) => tf.losses.softmaxCrossEntropy(ts, tf.matMul(xs, weights as tf.Tensor2D));
    const { value, grad: g } = tf.valueAndGrad(f)(ws);
    return [tf.softmax(tf.matMul(xs, ws)), value, g];
  });
  const out = { probs: Array.from(probs.dataSync()), loss: loss.dataSync()[0], grad: Array.from(grad.dataSync()) };
  tf.dispose([probs, loss, grad]);
  expect(tf.memory().numTensors).toBe(before);
  return out;
}

function expectClose(a: number[], b: number[], tol = 1e-5) {
  expect(a.length).toBe(b.length);
  const worst = Math.max(...a.map((v, i) => Math.abs(v - b[i])));
  expect(worst).toBeLessThan(tol);
}

async function computeOn(prefer: 'tensorflow' | 'wasm' | 'cpu'): Promise<{ info: BackendInfo; result: ReturnType<typeof lossAndGrad> }> {
  const info = await selectBackend({ prefer, strict: true });
  expect(tf.getBackend()).toBe(info.name);
  return { info, result: lossAndGrad() };
}

describe('resolveBackendPreference', () => {
  it('takes the option over PEFT_LAB_BACKEND, and that over auto', () => {
    expect(resolveBackendPreference('cpu', { PEFT_LAB_BACKEND: 'wasm' })).toBe('cpu');
    expect(resolveBackendPreference(undefined, { PEFT_LAB_BACKEND: ' WASM ' })).toBe('wasm');
    expect(resolveBackendPreference(undefined, {})).toBe('auto');
  });

  it('rejects an unknown backend, naming the variable and value', () => {
    expect(() => resolveBackendPreference(undefined, { PEFT_LAB_BACKEND: 'webgpu' })).toThrow(BackendSelectionError);
    expect(() => resolveBackendPreference(undefined, { PEFT_LAB_BACKEND: 'webgpu' })).toThrow(/PEFT_LAB_BACKEND="webgpu"/);
  });
});

describe('selectBackend', () => {
  it('there is exactly one tfjs-core, shared by tfjs, tfjs-node and tfjs-backend-wasm', () => {
    const core = require.resolve('@tensorflow/tfjs-core');
    for (const pkg of ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-node']) {
      let pkgJson: string;
      try {
        pkgJson = require.resolve(`${pkg}/package.json`);
      } catch {
        continue; // tfjs-node is allowed to be absent
      }
      expect(createRequire(pkgJson).resolve('@tensorflow/tfjs-core'), pkg).toBe(core);
    }
  });

  it('auto picks native TensorFlow when its addon is built', async (ctx) => {
    if (nativeAbsent) ctx.skip(`native TensorFlow absent: ${nativeAbsent}`);
    const lines: string[] = [];
    const info = await selectBackend({ prefer: 'auto', log: (l) => lines.push(l) });
    expect(info).toMatchObject({ name: 'tensorflow', device: 'cpu', package: '@tensorflow/tfjs-node', version: '4.22.0' });
    expect(info.libVersion).toMatch(/^2\.\d+/);
    expect(tf.getBackend()).toBe('tensorflow');
    expect(lines).toEqual([]);
  });

  it('auto falls back to wasm with one line when native TensorFlow is absent', async (ctx) => {
    if (!nativeAbsent) ctx.skip('native TensorFlow is present here; the fallback cannot happen');
    const lines: string[] = [];
    const info = await selectBackend({ prefer: 'auto', log: (l) => lines.push(l) });
    expect(info.name).toBe('wasm');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^native TensorFlow not available \(.+\); using wasm$/);
  });

  it('forced wasm loads its .wasm binary from the installed package and computes', async () => {
    const { info, result } = await computeOn('wasm');
    expect(info).toMatchObject({ name: 'wasm', device: 'cpu', package: '@tensorflow/tfjs-backend-wasm' });
    expect(info.threads).toBeGreaterThanOrEqual(1);
    // Softmax rows sum to one: the kernels really ran.
    for (let r = 0; r < 4; r++) expect(result.probs.slice(r * 5, r * 5 + 5).reduce((a, b) => a + b)).toBeCloseTo(1, 5);
    expect(result.loss).toBeGreaterThan(0);
  });

  it('wasm and pure-JS cpu agree on matmul + softmax + gradient within 1e-5', async () => {
    const wasm = (await computeOn('wasm')).result;
    const cpu = (await computeOn('cpu')).result;
    expectClose(wasm.probs, cpu.probs);
    expectClose([wasm.loss], [cpu.loss]);
    expectClose(wasm.grad, cpu.grad);
    expect(Math.max(...cpu.grad.map(Math.abs))).toBeGreaterThan(1e-3); // a non-trivial gradient
  });

  it('native TensorFlow and wasm agree on matmul + softmax + gradient within 1e-5', async (ctx) => {
    if (nativeAbsent) ctx.skip(`native TensorFlow absent: ${nativeAbsent}`);
    const native = (await computeOn('tensorflow')).result;
    const wasm = (await computeOn('wasm')).result;
    expectClose(native.probs, wasm.probs);
    expectClose([native.loss], [wasm.loss]);
    expectClose(native.grad, wasm.grad);
  });

  it('strict mode throws instead of falling back; unknown names are rejected', async () => {
    const strictNative = selectBackend({ prefer: 'tensorflow', strict: true });
    if (nativeAbsent) await expect(strictNative).rejects.toThrow(/^native TensorFlow not available/);
    else await expect(strictNative).resolves.toMatchObject({ name: 'tensorflow' });
    await expect(selectBackend({ prefer: 'gpu' as never })).rejects.toThrow(/prefer="gpu"/);
  });
});
