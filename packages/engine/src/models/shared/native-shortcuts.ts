/**
 * No-op shortcuts for the native (tfjs-node) backend's Reshape and Cast.
 *
 * tfjs autodiff ends almost every broadcasting gradient with
 * `reshape(grad, x.shape)` and multiplies by `cast(other, 'float32')`, even
 * when the shape or dtype already matches. On tfjs-node each such call is a
 * TensorFlow op dispatch (Reshape also uploads its shape as a tensor): about
 * 70 of the ~500 kernels of a ref-small training step. The wasm and cpu
 * backends already answer these by sharing the buffer; this makes the native
 * backend do the same, through the public kernel registry, so results are
 * unchanged (the output is the input's data, as tfjs-node's own Identity does).
 */
import * as tf from '@tensorflow/tfjs';

type KernelArgs = Parameters<tf.KernelFunc>[0];
interface RefCountingBackend {
  incRef(dataId: tf.DataId): void;
}

let installed = false;

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}

/** Installs the shortcuts once, when the active backend is `tensorflow`; otherwise does nothing. */
export function installNativeShortcuts(): void {
  if (installed || tf.getBackend() !== 'tensorflow') return;
  installed = true;
  const unchanged: Record<string, (args: KernelArgs) => boolean> = {
    Reshape: (args) => sameShape(args.inputs.x!.shape, args.attrs!.shape as number[]),
    Cast: (args) => args.inputs.x!.dtype === args.attrs!.dtype,
  };
  for (const [name, isNoOp] of Object.entries(unchanged)) {
    const kernel = tf.getKernel(name, 'tensorflow');
    if (!kernel) continue;
    const original = kernel.kernelFunc;
    tf.unregisterKernel(name, 'tensorflow');
    tf.registerKernel({
      ...kernel,
      kernelFunc: (args: KernelArgs) => {
        if (!isNoOp(args)) return original(args);
        const x = args.inputs.x!;
        (args.backend as unknown as RefCountingBackend).incRef(x.dataId);
        return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
      },
    });
  }
}
