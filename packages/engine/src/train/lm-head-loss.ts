/**
 * Causal-LM training loss straight from the final hidden states: the LM head's product and the
 * cross-entropy run over row chunks, and each chunk's gradient is computed at once in the
 * forward pass (the loss is the last op, so dL/dlogits is known up to the scalar dy). The
 * [tokens × vocab] logits, their softmax and their gradient are never all held at once: for a
 * GPT-2-sized vocabulary (50,257) at 1,024 tokens each would be 206 MB. The same three matrix
 * products as the plain path run (logits, dH, dW), through TensorFlow's oneDNN matMul; the
 * chunk's softmax/cross-entropy is one fused kernel where PEFT Lab's kernels are loaded.
 */
import * as tf from '@tensorflow/tfjs';
import { isTrainable } from '../models/shared/ops.js';
import { peftKernels } from '../native/kernels.js';
import { IGNORE_INDEX } from './collate.js';

export interface LmHeadWeight {
  weight: tf.Tensor2D;
  /** [vocab, d] (tied embedding table: logits = h·Wᵀ) or [d, vocab] (an untied head: h·W). */
  vocabMajor: boolean;
}

/** Logits per chunk: with a trainable head fewer, larger chunks (each adds a [vocab, d] gradient). */
const CHUNK_ELEMENTS = { frozenHead: 1 << 23, trainableHead: 1 << 25 };

/** nll [R] and dL/dlogits [R, V] (softmax − onehot, zero rows for ignored labels) of one chunk. */
function chunkCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): [tf.Tensor1D, tf.Tensor2D] {
  const kernels = peftKernels();
  if (kernels) return kernels.run('PeftLabCrossEntropyWithGrad', [logits, labels], { ignore_index: IGNORE_INDEX }) as [tf.Tensor1D, tf.Tensor2D];
  return tf.tidy(() => {
    const [R, V] = logits.shape;
    const valid = tf.notEqual(labels, IGNORE_INDEX);
    const safe = tf.where(valid, labels, tf.zerosLike(labels));
    // tfjs-backend-wasm 4.22's OneHot writes zeros for float32 output: build it as int32.
    const onehot = tf.oneHot(safe, V).toFloat();
    const w = valid.toFloat().reshape([R, 1]);
    const lse = tf.logSumExp(logits, -1, true);
    const nll = tf.mul(tf.sub(lse, tf.sum(tf.mul(logits, onehot), -1, true)), w).reshape([R]) as tf.Tensor1D;
    const grad = tf.mul(tf.sub(tf.exp(tf.sub(logits, lse)), onehot), w) as tf.Tensor2D;
    return [nll, grad];
  });
}

/**
 * Σ of the next-token cross-entropy over positions whose label is not -100, and their count.
 * hidden [N, d] (batch·seq rows), labels [N] int32 already shifted (row t holds token t+1).
 * Gradients flow to `hidden` and, when it is trainable, to the head weight.
 */
export function lmHeadCrossEntropySum(
  hidden: tf.Tensor2D, head: LmHeadWeight, labels: tf.Tensor1D, opts: { chunkElements?: number } = {},
): { sum: tf.Scalar; count: tf.Scalar } {
  const { weight, vocabMajor } = head;
  const wGrad = isTrainable(weight);
  const [N] = hidden.shape;
  const vocab = vocabMajor ? weight.shape[0] : weight.shape[1];
  const chunkElements = opts.chunkElements ?? (wGrad ? CHUNK_ELEMENTS.trainableHead : CHUNK_ELEMENTS.frozenHead);
  const rowsPerChunk = Math.max(1, Math.floor(chunkElements / vocab));
  const op = tf.customGrad((...args: unknown[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const h = args[0] as tf.Tensor2D;
    const nlls: tf.Tensor1D[] = [];
    const dhs: tf.Tensor2D[] = [];
    let dW: tf.Tensor2D | null = null;
    for (let r0 = 0; r0 < N; r0 += rowsPerChunk) {
      const rows = Math.min(rowsPerChunk, N - r0);
      const { nll, dh, dWc } = tf.tidy(() => {
        const hc = rows === N ? h : tf.slice(h, [r0, 0], [rows, -1]);
        const lc = rows === N ? labels : tf.slice(labels, [r0], [rows]);
        const logits = (vocabMajor ? tf.matMul(hc, weight, false, true) : tf.matMul(hc, weight)) as tf.Tensor2D;
        const [nllc, g] = chunkCrossEntropy(logits, lc);
        const dhc = vocabMajor ? tf.matMul(g, weight) : tf.matMul(g, weight, false, true);
        const dwc = wGrad ? (vocabMajor ? tf.matMul(g, hc, true, false) : tf.matMul(hc, g, true, false)) : null;
        return dwc ? { nll: nllc, dh: dhc, dWc: dwc } : { nll: nllc, dh: dhc };
      }) as { nll: tf.Tensor1D; dh: tf.Tensor2D; dWc?: tf.Tensor2D };
      nlls.push(nll);
      dhs.push(dh);
      if (dWc) {
        const prev: tf.Tensor2D | null = dW;
        dW = prev ? (tf.add(prev, dWc) as tf.Tensor2D) : dWc;
        if (prev) tf.dispose([prev, dWc]);
      }
    }
    const value = (nlls.length === 1 ? tf.sum(nlls[0]) : tf.sum(tf.concat(nlls))) as tf.Scalar;
    const dH = dhs.length === 1 ? dhs[0] : tf.concat(dhs);
    save(dW ? [dH, dW] : [dH]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => saved.map((g) => tf.mul(g, dy)),
    };
  });
  const sum = (wGrad ? op(hidden, weight) : op(hidden)) as tf.Scalar;
  return { sum, count: tf.sum(tf.notEqual(labels, IGNORE_INDEX).toFloat()) as tf.Scalar };
}
