import * as tf from '@tensorflow/tfjs';
import { CheckpointMismatchError } from './errors.js';
import { decodeSafetensors, encodeSafetensors, type NamedArray } from './safetensors-io.js';

/** Where the data stream stands: epoch and the next position within it (example or batch index). */
export interface DataPosition {
  epoch: number;
  index: number;
}

/**
 * Everything needed to continue a run exactly: trainable weights, AdamW
 * moments and its update count, the step, the RNG state, the data-order
 * position and the evaluation history that the summary needs.
 */
export interface TrainCheckpoint {
  step: number;
  seed: number;
  rngState: number;
  dataPosition: DataPosition;
  optimizerT: number;
  params: Map<string, NamedArray>;
  adamM: Map<string, NamedArray>;
  adamV: Map<string, NamedArray>;
  /** Best/last eval metric and the like; JSON-serialisable. */
  extra: Record<string, unknown>;
}

const FORMAT = 'peft-lab-train-checkpoint/1';

/** Reads variables into plain arrays (async: no dataSync). */
export async function snapshotVariables(vars: Map<string, tf.Variable>): Promise<Map<string, NamedArray>> {
  const out = new Map<string, NamedArray>();
  for (const [name, v] of vars) out.set(name, { shape: v.shape.slice(), data: (await v.data()) as Float32Array });
  return out;
}

/** Writes arrays into variables, checking names and shapes first so a mismatch changes nothing. */
export function restoreVariables(vars: Map<string, tf.Variable>, arrays: Map<string, NamedArray>, what: string): void {
  for (const [name, v] of vars) {
    const a = arrays.get(name);
    if (!a) throw new CheckpointMismatchError(`${what}: checkpoint has no tensor "${name}"`);
    if (a.shape.join(',') !== v.shape.join(',')) {
      throw new CheckpointMismatchError(`${what} "${name}": checkpoint shape [${a.shape}] != variable shape [${v.shape}]`);
    }
  }
  for (const [name, v] of vars) {
    const a = arrays.get(name)!;
    tf.tidy(() => v.assign(tf.tensor(a.data, a.shape, v.dtype)));
  }
}

/** One safetensors blob: tensors under `param/`, `adam_m/`, `adam_v/`; scalars as JSON in `__metadata__`. */
export function serializeCheckpoint(c: TrainCheckpoint): Uint8Array {
  const all = new Map<string, NamedArray>();
  for (const [n, a] of c.params) all.set(`param/${n}`, a);
  for (const [n, a] of c.adamM) all.set(`adam_m/${n}`, a);
  for (const [n, a] of c.adamV) all.set(`adam_v/${n}`, a);
  const state = { step: c.step, seed: c.seed, rngState: c.rngState, dataPosition: c.dataPosition, optimizerT: c.optimizerT, extra: c.extra };
  return encodeSafetensors(all, { format: FORMAT, state: JSON.stringify(state) });
}

export function deserializeCheckpoint(bytes: Uint8Array): TrainCheckpoint {
  const { tensors, metadata } = decodeSafetensors(bytes);
  if (metadata.format !== FORMAT) throw new CheckpointMismatchError(`checkpoint format: "${metadata.format}" is not ${FORMAT}`);
  const s = JSON.parse(metadata.state);
  const pick = (prefix: string) => {
    const m = new Map<string, NamedArray>();
    for (const [n, a] of tensors) if (n.startsWith(prefix)) m.set(n.slice(prefix.length), a);
    return m;
  };
  return { ...s, params: pick('param/'), adamM: pick('adam_m/'), adamV: pick('adam_v/') };
}
