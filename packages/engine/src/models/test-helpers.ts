/** Shared by the engine's tests: fixture paths and reference comparison. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import type { TransformerModel } from '../types.js';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../test-fixtures');

export interface ExpectedCase {
  text: string;
  input_ids: number[];
  /** causal LM: [seq][vocab]; sequence classifier: [numLabels] */
  logits: number[] | number[][];
}

export function readExpected(name: string): { texts: string[]; cases: ExpectedCase[] } {
  return JSON.parse(readFileSync(join(FIXTURES, `${name}.expected.json`), 'utf8'));
}

/** ‖a − b‖ / ‖b‖ over flattened arrays. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num) / Math.sqrt(den);
}

/**
 * Right-pads `rows` into one batch and runs the model. Returns per-row logits:
 * token-level heads cut to each row's length.
 */
export function batchLogits(model: TransformerModel, rows: number[][], padId = 0): Float32Array[] {
  const seq = Math.max(...rows.map((r) => r.length));
  const ids = rows.map((r) => [...r, ...Array(seq - r.length).fill(padId)]);
  const mask = rows.map((r) => [...Array(r.length).fill(1), ...Array(seq - r.length).fill(0)]);
  const out = tf.tidy(() => model.forward({ inputIds: tf.tensor2d(ids, undefined, 'int32'), attentionMask: tf.tensor2d(mask, undefined, 'int32') }, { training: false }));
  try {
    const data = out.dataSync() as Float32Array;
    if (out.rank === 2) {
      const n = out.shape[1]!;
      return rows.map((_, i) => data.slice(i * n, (i + 1) * n));
    }
    const width = out.shape[2]!;
    return rows.map((r, i) => data.slice(i * seq * width, (i * seq + r.length) * width));
  } finally {
    out.dispose();
  }
}

export function maxAbsError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/**
 * Tests run on `cpu` unless ENGINE_TEST_BACKEND=wasm or =tensorflow (then that
 * backend's package is loaded first; tensorflow needs the locally built tfjs-node).
 */
export async function useTestBackend(): Promise<void> {
  const name = process.env.ENGINE_TEST_BACKEND ?? 'cpu';
  if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  if (name === 'tensorflow') {
    process.env.TF_CPP_MIN_LOG_LEVEL ??= '3';
    const pkg: string = '@tensorflow/tfjs-node';
    await import(pkg);
  }
  await tf.setBackend(name);
  await tf.ready();
}
