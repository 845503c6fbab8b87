/**
 * `npx tsx packages/engine/bench/memory-profile.ts --model DIR [--method lora|full] [--batch 8] [--seq 128] [--gradient-checkpointing] [--json]`
 *
 * Where a training step's memory goes, for the engine README's table: tensor bytes after
 * loading (weights), at the end of the forward pass (when every tensor saved for the backward
 * pass is alive: the step's tensor peak), those saved tensors grouped by shape (each buffer
 * counted once), the optimizer state and gradients, and peak RSS after one step (this process:
 * TensorFlow's libraries included). One step of the real loss and the real backward pass
 * (leanVariableGrads), then one AdamW update.
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/backend.js';
import { loadHfModel } from '../src/hf/model-io.js';
import { attachPeft } from '../src/peft/base.js';
import { collate } from '../src/train/collate.js';
import { trainingLoss } from '../src/train/losses.js';
import { leanVariableGrads } from '../src/train/lean-grads.js';
import { AdamW } from '../src/train/adamw.js';
import { peakRssBytes, resetPeakRss } from '../src/measure/peak-rss.js';
import '../src/peft/lora/index.js';
import '../src/peft/full/index.js';

const arg = (name: string, fallback?: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const MB = (b: number) => Math.round(b / 2 ** 20);

async function main(): Promise<void> {
  const dir = arg('model');
  if (!dir) throw new Error('--model DIR is required (a local Hugging Face causal-LM checkpoint)');
  const method = (arg('method', 'lora') as 'lora' | 'full');
  const batch = Number(arg('batch', '8'));
  const seq = Number(arg('seq', '128'));
  await selectBackend({ prefer: 'tensorflow' });
  const rssAtStart = process.memoryUsage().rss;
  const { model, config } = loadHfModel(dir, { head: 'causal-lm' });
  const weights = tf.memory().numBytes;
  const rssAfterLoad = process.memoryUsage().rss;
  const peakRssLoad = peakRssBytes();
  resetPeakRss();
  model.gradientCheckpointing = process.argv.includes('--gradient-checkpointing');
  const attachment = attachPeft(model, method, method === 'lora' ? { r: 8, alpha: 16 } : {});
  model.hooks = attachment.hooks;
  const vars = [...attachment.trainable.values()];
  vars.forEach((v) => { v.trainable = true; });
  const optimizer = new AdamW(attachment.trainable, { weightDecay: 0.01 });
  const optimizerState = tf.memory().numBytes - weights;
  const examples = Array.from({ length: batch }, (_, i) => ({ inputIds: Array.from({ length: seq }, (_, t) => (i * 131 + t * 7) % config.vocabSize) }));
  const data = collate(examples, { task: 'causal-lm' });
  let forwardEnd = 0;
  let rssForwardEnd = 0;
  let peakRssForward = 0;
  const saved = new Map<string, { bytes: number; count: number }>();
  const { value, grads } = leanVariableGrads(() => {
    const loss = trainingLoss(model, 'causal-lm', data);
    forwardEnd = tf.memory().numBytes;
    rssForwardEnd = process.memoryUsage().rss;
    peakRssForward = peakRssBytes();
    resetPeakRss();
    const tape = (tf.engine() as unknown as { state: { activeTape: { saved?: tf.Tensor[] }[] } }).state.activeTape;
    const seen = new Set<object>([...model.weights.values()].map((w) => w.dataId), );
    for (const node of tape) for (const t of node.saved ?? []) {
      if (seen.has(t.dataId)) continue; // a weight, or a buffer already counted
      seen.add(t.dataId);
      const key = `[${t.shape.join(', ')}]`;
      const e = saved.get(key) ?? { bytes: 0, count: 0 };
      e.bytes += t.size * 4;
      e.count += 1;
      saved.set(key, e);
    }
    return loss;
  }, vars);
  const peakRssBackward = peakRssBytes();
  resetPeakRss();
  const gradientBytes = Object.values(grads).reduce((a, g) => a + g.size * 4, 0);
  const flat = optimizer.flattenGradients(new Map(Object.entries(grads).map(([n, g]) => [[...attachment.trainable].find(([, v]) => v.name === n)![0], g])));
  optimizer.applyFlat(flat, 1e-4);
  flat.dispose();
  tf.dispose([value, ...Object.values(grads)]);
  const out = {
    model: dir, method, batch, seq, gradientCheckpointing: model.gradientCheckpointing,
    paramsM: Number((vars.reduce((a, v) => a + v.size, 0) / 1e6).toFixed(2)),
    weightsMB: MB(weights), optimizerStateMB: MB(optimizerState), gradientsMB: MB(gradientBytes),
    forwardEndTensorMB: MB(forwardEnd), savedActivationsMB: MB([...saved.values()].reduce((a, e) => a + e.bytes, 0)),
    savedByShape: Object.fromEntries([...saved].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, 12).map(([k, e]) => [k, `${MB(e.bytes)} MB (${e.count})`])),
    rssAtStartMB: MB(rssAtStart), rssAfterLoadMB: MB(rssAfterLoad), peakRssLoadMB: MB(peakRssLoad),
    rssForwardEndMB: MB(rssForwardEnd), peakRssForwardMB: MB(peakRssForward), peakRssBackwardMB: MB(peakRssBackward),
    peakRssUpdateMB: MB(peakRssBytes()), peakRssMB: MB(process.resourceUsage().maxRSS * 1024),
  };
  console.log(process.argv.includes('--json') ? JSON.stringify(out) : JSON.stringify(out, null, 1));
  optimizer.dispose();
  attachment.dispose();
  model.dispose();
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
