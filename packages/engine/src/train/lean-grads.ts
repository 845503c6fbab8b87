/**
 * `tf.variableGrads` with a backward pass that frees memory as it goes.
 *
 * tfjs's backward pass (tfjs-core tape.ts) keeps every intermediate gradient and every tensor
 * saved for the backward pass until it has finished: at its end a step holds the forward's
 * saved activations plus as many bytes of gradients again. Here each tape node's saved
 * tensors and the gradients of its outputs are disposed as soon as the node has been
 * differentiated (a gradient still held for another tensor is kept: gradient functions may
 * return dy itself). Same tape, same gradient functions, same order: the gradients are
 * identical (lean-grads.test.ts compares them with tf.variableGrads).
 *
 * It uses the engine's tape (`startTape`/`endTape`, `state.activeTape`): internal tfjs-core
 * API, used nowhere else. Nested gradients (a gradient scope already open) fall back to
 * tf.variableGrads.
 */
import * as tf from '@tensorflow/tfjs';

interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  gradient?: (dys: (tf.Tensor | null)[]) => Record<string, () => tf.Tensor>;
  saved?: tf.Tensor[];
}

interface EngineInternals {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  startTape(): void;
  endTape(): void;
  tidy<T extends tf.TensorContainer>(nameOrFn: string | (() => T), fn?: () => T): T;
}

/** The nodes on a path from one of `xs` to `y`, with inputs not depending on `xs` pruned (as tfjs does). */
function nodesFromXsToY(tape: TapeNode[], xs: tf.Tensor[], y: tf.Tensor): TapeNode[] {
  const fromX = new Set(xs.map((x) => x.id));
  const nodeFromX = new Set<number>();
  for (const node of tape) {
    if (Object.values(node.inputs).some((t) => fromX.has(t.id))) {
      node.outputs.forEach((o) => fromX.add(o.id));
      nodeFromX.add(node.id);
    }
  }
  const leadsToY = new Set([y.id]);
  const nodeToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i];
    if (node.outputs.some((o) => leadsToY.has(o.id))) {
      Object.values(node.inputs).forEach((t) => leadsToY.add(t.id));
      nodeToY.add(node.id);
    }
  }
  return tape
    .filter((n) => nodeFromX.has(n.id) && nodeToY.has(n.id))
    .map((n) => ({ ...n, inputs: Object.fromEntries(Object.entries(n.inputs).filter(([, t]) => fromX.has(t.id))) }));
}

/** Gradients by tensor id, with a count of entries per gradient tensor (one tensor may serve several ids). */
class GradientTable {
  private readonly byId = new Map<number, tf.Tensor>();
  private readonly holders = new Map<tf.Tensor, number>();

  get(id: number): tf.Tensor | undefined {
    return this.byId.get(id);
  }

  set(id: number, g: tf.Tensor): void {
    this.byId.set(id, g);
    this.holders.set(g, (this.holders.get(g) ?? 0) + 1);
  }

  /** Forgets id's gradient; returns it when no other entry holds it (the caller may dispose it). */
  release(id: number): tf.Tensor | null {
    const g = this.byId.get(id);
    if (!g) return null;
    this.byId.delete(id);
    const n = this.holders.get(g)! - 1;
    if (n > 0) {
      this.holders.set(g, n);
      return null;
    }
    this.holders.delete(g);
    return g;
  }

  held(g: tf.Tensor): boolean {
    return this.holders.has(g);
  }
}

export function leanVariableGrads(
  f: () => tf.Scalar, varList: tf.Variable[], onProgress?: () => void,
): { value: tf.Scalar; grads: Record<string, tf.Tensor> } {
  const engine = tf.engine() as unknown as EngineInternals;
  if (engine.state.gradientDepth > 0 || engine.state.activeTape) return tf.variableGrads(f, varList);
  const xs = varList.filter((v) => v.trainable);
  if (xs.length === 0) throw new Error('leanVariableGrads: none of the variables is trainable');
  const y = engine.scopedRun(() => engine.startTape(), () => engine.endTape(), () => engine.tidy('forward', f));
  if (!(y instanceof tf.Tensor) || y.rank !== 0) throw new Error('leanVariableGrads: f must return a scalar tensor');
  const fullTape = engine.state.activeTape!;
  const tape = nodesFromXsToY(fullTape, xs, y);
  return engine.tidy('backward', () => {
    const table = new GradientTable();
    const wanted = new Set(xs.map((x) => x.id));
    table.set(y.id, tf.onesLike(y));
    for (let i = tape.length - 1; i >= 0; i--) {
      const node = tape[i];
      if (!node.gradient) throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
      const dys = node.outputs.map((o) => table.get(o.id) ?? null);
      // One scope for the node: custom gradients compute eagerly inside node.gradient, and
      // their intermediates must go with the node, not at the end of the backward pass.
      const dxs = engine.tidy(() => {
        const thunks = node.gradient!(dys);
        const out: Record<string, tf.Tensor> = {};
        for (const name of Object.keys(node.inputs)) {
          if (!(name in thunks)) throw new Error(`Cannot backprop through input ${name} of ${node.kernelName}.`);
          out[name] = thunks[name]();
        }
        return out;
      });
      const garbage: tf.Tensor[] = [];
      for (const [name, x] of Object.entries(node.inputs)) {
        const dx = dxs[name];
        if (!tf.util.arraysEqual(dx.shape, x.shape)) {
          throw new Error(`Error in gradient for op ${node.kernelName}: the gradient of input '${name}' has shape [${dx.shape}], the input [${x.shape}]`);
        }
        const current = table.get(x.id);
        if (!current) {
          table.set(x.id, dx);
          continue;
        }
        const sum = tf.add(current, dx);
        const old = table.release(x.id);
        if (old) garbage.push(old);
        table.set(x.id, sum);
        garbage.push(dx);
      }
      // Nothing reads this node's output gradients or its saved tensors again.
      for (const o of node.outputs) {
        if (wanted.has(o.id)) continue;
        const g = table.release(o.id);
        if (g) garbage.push(g);
      }
      garbage.push(...(node.saved ?? []));
      for (const t of garbage) if (!table.held(t)) t.dispose();
      if (onProgress && i % 16 === 0) onProgress();
    }
    const grads: Record<string, tf.Tensor> = {};
    for (const x of xs) {
      const g = table.get(x.id);
      if (g) grads[x.name] = g;
    }
    for (const node of fullTape) for (const t of node.saved ?? []) t.dispose();
    engine.state.activeTape = null;
    return { value: y, grads } as unknown as tf.TensorContainer;
  }) as unknown as { value: tf.Scalar; grads: Record<string, tf.Tensor> };
}
