/**
 * Writes the synthetic fixture sweeps used by the golden-file tests
 * (`npx tsx test-fixtures/make-fixtures.ts`). The numbers are made up but
 * shaped like a run of the built-in ~3.3 M-parameter model on the spam task:
 * they exist to exercise the report, never to be shown as results.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const BASE = 3_300_000;

// mulberry32: deterministic noise so regenerating gives the same file.
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;

interface Shape {
  method: string;
  hp: Record<string, unknown>;
  trainable: number;
  acc: number;
  peakMB: number;
  tps: number;
  wall: number;
  lat1: number;
  merged?: number;
  stored: number;
}

const shapes: Shape[] = [
  { method: 'full', hp: { lr: 5e-5, weightDecay: 0.01 }, trainable: BASE, acc: 0.918, peakMB: 86, tps: 5200, wall: 190, lat1: 4.1, stored: 13_201_544 },
  { method: 'lora', hp: { r: 4, alpha: 16, dropout: 0.05, targetModules: ['c_attn'], lr: 1e-3 }, trainable: 16_384, acc: 0.905, peakMB: 40, tps: 7400, wall: 135, lat1: 4.45, merged: 4.12, stored: 65_712 },
  { method: 'lora', hp: { r: 8, alpha: 16, dropout: 0.05, targetModules: ['c_attn'], lr: 1e-3 }, trainable: 32_768, acc: 0.912, peakMB: 41, tps: 7300, wall: 137, lat1: 4.47, merged: 4.11, stored: 131_248 },
  { method: 'adapter', hp: { bottleneck: 16, placement: 'houlsby', activation: 'gelu', lr: 1e-3 }, trainable: 67_712, acc: 0.908, peakMB: 42, tps: 6800, wall: 148, lat1: 4.78, stored: 271_100 },
  { method: 'adapter', hp: { bottleneck: 32, placement: 'pfeiffer', activation: 'gelu', lr: 1e-3 }, trainable: 66_816, acc: 0.901, peakMB: 42, tps: 6900, wall: 146, lat1: 4.52, stored: 267_500 },
  { method: 'prefix', hp: { prefixLength: 8, reparameterize: true, reparamHidden: 128, lr: 1e-2 }, trainable: 16_384, acc: 0.861, peakMB: 41, tps: 7000, wall: 141, lat1: 4.3, stored: 65_900 },
  { method: 'prefix', hp: { prefixLength: 16, reparameterize: true, reparamHidden: 128, lr: 1e-2 }, trainable: 32_768, acc: 0.868, peakMB: 41, tps: 6900, wall: 143, lat1: 4.36, stored: 131_400 },
  { method: 'prompt', hp: { promptLength: 20, init: 'vocab', lr: 3e-2 }, trainable: 5_120, acc: 0.81, peakMB: 38, tps: 7600, wall: 130, lat1: 4.25, stored: 20_700 },
];

// [shape index, seed, status, error?]
const plan: [number, number, string, string?][] = [
  [0, 1, 'completed'], [0, 2, 'completed'], [0, 3, 'completed'],
  [1, 1, 'completed'], [1, 2, 'completed'], [1, 3, 'completed'],
  [2, 1, 'completed'], [2, 2, 'completed'], [2, 3, 'completed'],
  [3, 1, 'completed'], [3, 2, 'completed'], [3, 3, 'pruned'],
  [4, 1, 'completed'], [4, 2, 'failed', 'non-finite loss at step 212\n  at trainTrial (engine/src/train/train-trial.ts:270)'],
  [5, 1, 'completed'], [5, 2, 'completed'],
  [6, 1, 'completed'], [6, 2, 'cancelled'],
  [7, 1, 'completed'],
];

function trial(i: number, [si, seed, status, error]: (typeof plan)[number]) {
  const s = shapes[si];
  const rnd = prng(1000 + i);
  const acc = round(s.acc + (rnd() - 0.5) * 0.012, 4);
  const steps = status === 'completed' ? 500 : status === 'pruned' ? 200 : status === 'failed' ? 212 : 150;
  const start = Date.parse('2026-11-20T09:00:00Z') + i * 200_000;
  const wall = round(s.wall * (0.97 + rnd() * 0.06), 1);
  const series: Record<string, { step: number; value: number }[]> = { 'train/loss': [], 'eval/accuracy': [] };
  for (let step = 0; step <= steps; step += 50) series['train/loss'].push({ step, value: round(0.69 * Math.exp(-step / 180) + 0.12 + (1 - s.acc) * 0.8 + rnd() * 0.02, 4) });
  for (let step = 100; step <= steps; step += 100) series['eval/accuracy'].push({ step, value: round(Math.min(acc, 0.5 + (acc - 0.5) * (1 - Math.exp(-step / 120))), 4) });
  const completed = status === 'completed';
  const total = s.method === 'full' ? BASE : BASE + s.trainable;
  return {
    id: `trial-${String(i).padStart(2, '0')}`,
    index: i,
    method: s.method,
    hyperparameters: s.hp,
    seed,
    status,
    backend: i === 7 ? 'wasm' : 'tensorflow',
    error: error ?? null,
    startedAt: status === 'queued' ? null : new Date(start).toISOString(),
    finishedAt: new Date(start + (completed ? wall * 1000 : steps * 300)).toISOString(),
    summary: completed
      ? { eval_accuracy: acc, eval_f1: round(acc - 0.015 - rnd() * 0.01, 4), final_loss: series['train/loss'].at(-1)!.value, steps, wall_time_s: wall }
      : status === 'pruned'
        ? { eval_accuracy: series['eval/accuracy'].at(-1)!.value, steps }
        : null,
    measurements: completed
      ? {
          trainableParams: s.trainable,
          totalParams: total,
          trainablePercent: round((s.trainable / total) * 100, 6),
          peakBytes: Math.round(s.peakMB * 1024 * 1024 * (0.99 + rnd() * 0.02)),
          tokensPerSec: round(s.tps * (0.97 + rnd() * 0.06), 1),
          wallTimeS: wall,
          latencyMsBatch1: round(s.lat1 * (0.98 + rnd() * 0.04), 3),
          latencyMsBatch8: round(s.lat1 * 3.6 * (0.98 + rnd() * 0.04), 3),
          latencyMergedMsBatch1: s.merged === undefined ? null : round(s.merged * (0.98 + rnd() * 0.04), 3),
          latencyMergedMsBatch8: s.merged === undefined ? null : round(s.merged * 3.6 * (0.98 + rnd() * 0.04), 3),
          storedBytes: s.stored,
          meanStepMs: round((wall * 1000) / steps, 2),
        }
      : null,
    series: status === 'cancelled' ? null : series,
  };
}

const trials = plan.map((p, i) => trial(i, p));
const sweep = {
  sweep: {
    id: 'c0ffee00-1234-4abc-9def-000000000001',
    name: 'spam: PEFT methods vs full FT',
    status: 'completed',
    spec: { name: 'spam: PEFT methods vs full FT', task: 'spam', baseModel: 'builtin', objective: { metric: 'accuracy', direction: 'maximize' }, seeds: [1, 2, 3] },
    baseModel: 'builtin',
    task: 'spam',
    createdAt: '2026-11-20T08:59:00.000Z',
    finishedAt: '2026-11-20T10:10:00.000Z',
  },
  objective: { metric: 'accuracy', direction: 'maximize' },
  trials,
};
writeFileSync(join(here, 'sweep.json'), `${JSON.stringify(sweep, null, 2)}\n`);

// The "missing" sweep: no full-FT baseline, prompt tuning without a single finished seed,
// a queued and a running trial, no learning curves, and a completed trial without measurements.
const missing = {
  ...sweep,
  sweep: { ...sweep.sweep, id: 'c0ffee00-1234-4abc-9def-000000000002', name: 'gaps & failures_{test}', status: 'running', finishedAt: null },
  trials: trials
    .filter((t) => t.method !== 'full')
    .map((t) => (t.method === 'prompt' ? { ...t, status: 'failed', error: 'out of memory', summary: null, measurements: null } : t))
    .map((t) => ({ ...t, series: null }))
    .map((t) => (t.index === 16 ? { ...t, measurements: null } : t))
    .concat([
      { ...trials[18], id: 'trial-19', index: 19, seed: 2, status: 'queued', startedAt: null, finishedAt: null, summary: null, measurements: null, series: null, error: null },
      { ...trials[18], id: 'trial-20', index: 20, seed: 3, status: 'running', finishedAt: null, summary: null, measurements: null, series: null, error: null },
    ]),
};
writeFileSync(join(here, 'sweep-missing.json'), `${JSON.stringify(missing, null, 2)}\n`);
