import type * as tf from '@tensorflow/tfjs';

/** Copies of every weight's values, to prove later that frozen weights did not change by one bit. */
export function snapshotWeights(weights: Map<string, tf.Variable>): Map<string, Float32Array> {
  return new Map([...weights].map(([n, v]) => [n, (v.dataSync() as Float32Array).slice()]));
}

/** Names of weights whose bytes differ from the snapshot. */
export function changedWeights(weights: Map<string, tf.Variable>, before: Map<string, Float32Array>): string[] {
  const changed: string[] = [];
  for (const [n, v] of weights) {
    const a = before.get(n)!, b = v.dataSync() as Float32Array;
    const ua = new Uint32Array(a.buffer, a.byteOffset, a.length), ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
    if (ua.length !== ub.length || ua.some((x, i) => x !== ub[i])) changed.push(n);
  }
  return changed;
}
