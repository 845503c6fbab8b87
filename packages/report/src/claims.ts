/**
 * The claims check: common PEFT claims next to what this sweep measured.
 * Each verdict comes with the threshold it was judged by and the numbers it
 * used, so a reader can disagree with the threshold and still use the data.
 * Nothing is inferred from literature: no measurement → "not-measured".
 */
import { METHOD_NAMES, isBetter, type Costs, type MethodAggregate, type SweepAggregate } from './aggregate.js';
import { METHODS, type Method, type ReportInput } from './input.js';
import { finite } from './stats.js';
import { formatMetric, formatPercent } from './format-number.js';

export type ClaimVerdict = 'supported' | 'not-supported' | 'not-measured';

export interface ClaimMeasurement {
  label: string;
  value: number | null;
  /** '%', 'ms', '×', 's', 'bytes', 'trials', or the objective metric's name. */
  unit: string;
}

export interface ClaimResult {
  id: string;
  text: string;
  /** The rule the verdict applies, stated before any number. */
  threshold: string;
  /** Why this verdict, in terms of the measured numbers (or what is missing). */
  reasoning: string;
  verdict: ClaimVerdict;
  measured: ClaimMeasurement[];
}

export interface ClaimsOptions {
  /** Quality tolerance for metrics in [0, 1] that are maximised (accuracy, F1): absolute difference. Default 0.01 (1 point). */
  qualityToleranceAbs?: number;
  /** Quality tolerance for other metrics (perplexity, loss): relative to full fine-tuning. Default 0.05 (5 %). */
  qualityToleranceRel?: number;
  /** Latency differences below this share are timing noise. Default 0.05 (5 %). */
  latencyNoiseRel?: number;
  /** Required training-memory reduction against full fine-tuning. Default 0.6 (60 %). */
  memoryReductionMin?: number;
}

export const DEFAULT_CLAIMS_OPTIONS: Required<ClaimsOptions> = {
  qualityToleranceAbs: 0.01,
  qualityToleranceRel: 0.05,
  latencyNoiseRel: 0.05,
  memoryReductionMin: 0.6,
};

/** Every registered method but the full fine-tuning baseline, in registry order. */
const PEFT_METHODS: Method[] = METHODS.filter((m) => m !== 'full');
const pct = (x: number) => x * 100;
/** Thresholds print as written ("0.01 %", "5 %"), not with measurement digits. */
const plain = (percent: number) => `${Number(percent.toPrecision(6))} %`;

function method(agg: SweepAggregate, m: Method): MethodAggregate | null {
  return agg.methods.find((x) => x.method === m) ?? null;
}

function trainableShares(input: ReportInput, m: Method): number[] {
  return finite(input.trials.filter((t) => t.method === m && t.status === 'completed').map((t) => t.measurements?.trainablePercent));
}

function shareClaim(input: ReportInput, id: string, m: Method, text: string, lo: number | null, hi: number): ClaimResult {
  const shares = trainableShares(input, m);
  const range = lo === null ? `below ${plain(hi)}` : `within [${plain(lo)}, ${plain(hi)}]`;
  const threshold = `supported when every completed ${METHOD_NAMES[m]} trial's trainable share lies ${range} (all configurations, not only the best)`;
  if (shares.length === 0) {
    return { id, text, threshold, verdict: 'not-measured', reasoning: `no completed ${METHOD_NAMES[m]} trial reported its trainable share`, measured: [] };
  }
  const inside = shares.filter((s) => (lo === null ? s < hi : s >= lo && s <= hi));
  const min = Math.min(...shares);
  const max = Math.max(...shares);
  const ok = inside.length === shares.length;
  return {
    id,
    text,
    threshold,
    verdict: ok ? 'supported' : 'not-supported',
    reasoning: ok
      ? `all ${shares.length} trials train ${formatPercent(min)} to ${formatPercent(max)} of the parameters`
      : `${shares.length - inside.length} of ${shares.length} trials fall outside (measured ${formatPercent(min)} to ${formatPercent(max)}); shares depend on the model size and the chosen hyperparameters`,
    measured: [
      { label: 'min trainable share', value: min, unit: '%' },
      { label: 'max trainable share', value: max, unit: '%' },
      { label: 'trials in range', value: inside.length, unit: 'trials' },
      { label: 'trials measured', value: shares.length, unit: 'trials' },
    ],
  };
}

function fullLatency(agg: SweepAggregate): number | null {
  return agg.baseline?.best?.costs.latencyMsBatch1 ?? null;
}

/** A same-trial overhead: median per-round ratio against the base model, with its quartiles (medians over seeds). */
interface SameTrialRatio { median: number; q1: number | null; q3: number | null }

function sameTrialRatio(c: Costs | undefined, which: 'adapted' | 'merged'): SameTrialRatio | null {
  if (!c) return null;
  const [m, q1, q3] = which === 'adapted'
    ? [c.latencyRatioBatch1, c.latencyRatioBatch1Q1, c.latencyRatioBatch1Q3]
    : [c.latencyMergedRatioBatch1, c.latencyMergedRatioBatch1Q1, c.latencyMergedRatioBatch1Q3];
  return m === null ? null : { median: m, q1, q3 };
}

const signedPct = (x: number) => `${x >= 0 ? '+' : ''}${formatPercent(pct(x))}`;
/** "IQR +1.0 % to +3.2 %" of a ratio's overhead, or '' without quartiles. */
const iqrText = (r: SameTrialRatio) => (r.q1 !== null && r.q3 !== null ? `, inter-quartile range ${signedPct(r.q1 - 1)} to ${signedPct(r.q3 - 1)} over the rounds` : '');
const ratioMeasurements = (label: string, r: SameTrialRatio): ClaimMeasurement[] => [
  { label: `${label} overhead vs base (same trial, median)`, value: pct(r.median - 1), unit: '%' },
  { label: `${label} overhead, Q1`, value: r.q1 === null ? null : pct(r.q1 - 1), unit: '%' },
  { label: `${label} overhead, Q3`, value: r.q3 === null ? null : pct(r.q3 - 1), unit: '%' },
];
const FALLBACK = 'fallback for trials without same-trial ratios: latencies timed in different trials, at different moments';

function mergedLoraClaim(agg: SweepAggregate, o: Required<ClaimsOptions>): ClaimResult {
  const id = 'lora-merged-no-latency';
  const text = 'Merged LoRA adds no inference latency';
  const noise = plain(pct(o.latencyNoiseRel));
  const lora = method(agg, 'lora')?.best?.costs;
  const same = sameTrialRatio(lora, 'merged');
  if (same) {
    const threshold = `supported when merged LoRA's batch-1 latency is at most ${noise} above the base model's, both timed interleaved in the same trial (median of the per-round ratios; best configuration, medians over seeds)`;
    const measured: ClaimMeasurement[] = [
      { label: 'LoRA merged, batch 1', value: lora?.latencyMergedMsBatch1 ?? null, unit: 'ms' },
      { label: 'LoRA unmerged, batch 1', value: lora?.latencyMsBatch1 ?? null, unit: 'ms' },
      ...ratioMeasurements('merged', same),
    ];
    const unmerged = sameTrialRatio(lora, 'adapted');
    if (unmerged) measured.push({ label: 'unmerged overhead vs base (same trial, median)', value: pct(unmerged.median - 1), unit: '%' });
    // The other methods that merge (DoRA, IA3…), for comparison; the verdict is LoRA's.
    for (const m of PEFT_METHODS) {
      const r = m === 'lora' ? null : sameTrialRatio(method(agg, m)?.best?.costs, 'merged');
      if (r) measured.push({ label: `${METHOD_NAMES[m]} merged overhead vs base (same trial)`, value: pct(r.median - 1), unit: '%' });
    }
    const overhead = same.median - 1;
    const ok = overhead <= o.latencyNoiseRel;
    return {
      id, text, threshold, verdict: ok ? 'supported' : 'not-supported', measured,
      reasoning: `merged LoRA measured ${signedPct(overhead)} against the base model in the same trial${iqrText(same)} (${ok ? 'within' : 'beyond'} the ${noise} noise margin)`,
    };
  }
  const threshold = `supported when the merged LoRA model's batch-1 latency is at most ${noise} above full fine-tuning's (that margin is timing noise); best configurations, medians over seeds; ${FALLBACK}`;
  const merged = lora?.latencyMergedMsBatch1 ?? null;
  const full = fullLatency(agg);
  const measured: ClaimMeasurement[] = [
    { label: 'LoRA merged, batch 1', value: merged, unit: 'ms' },
    { label: 'LoRA unmerged, batch 1', value: lora?.latencyMsBatch1 ?? null, unit: 'ms' },
    { label: 'full fine-tuning, batch 1', value: full, unit: 'ms' },
  ];
  if (merged === null || full === null) {
    const what = [merged === null ? 'merged LoRA latency' : null, full === null ? 'full fine-tuning latency' : null].filter(Boolean).join(' and ');
    return { id, text, threshold, verdict: 'not-measured', reasoning: `${what} not measured in this sweep`, measured };
  }
  const overhead = merged / full - 1;
  measured.push({ label: 'merged overhead vs full', value: pct(overhead), unit: '%' });
  const ok = overhead <= o.latencyNoiseRel;
  return {
    id,
    text,
    threshold,
    verdict: ok ? 'supported' : 'not-supported',
    reasoning: `merged LoRA latency is ${overhead >= 0 ? '+' : ''}${formatPercent(pct(overhead))} against full fine-tuning (${ok ? 'within' : 'beyond'} the ${noise} noise margin; timed in different trials, so the margin may not cover the drift between them)`,
    measured,
  };
}

function adapterLatencyClaim(agg: SweepAggregate, o: Required<ClaimsOptions>): ClaimResult {
  const id = 'adapter-latency';
  const text = 'Adapters add inference latency (claimed about 15 %)';
  const noise = plain(pct(o.latencyNoiseRel));
  const costs = method(agg, 'adapter')?.best?.costs;
  const same = sameTrialRatio(costs, 'adapted');
  if (same) {
    const threshold = `supported when the adapter model's batch-1 latency exceeds the base model's, timed interleaved in the same trial, by more than ${noise} (timing noise; median of the per-round ratios, best configuration, medians over seeds); the measured overhead is shown beside the claimed 15 %`;
    const measured: ClaimMeasurement[] = [
      { label: 'adapter, batch 1', value: costs?.latencyMsBatch1 ?? null, unit: 'ms' },
      { label: 'claimed overhead', value: 15, unit: '%' },
      ...ratioMeasurements('adapter', same),
    ];
    const overhead = same.median - 1;
    const ok = overhead > o.latencyNoiseRel;
    return {
      id, text, threshold, verdict: ok ? 'supported' : 'not-supported', measured,
      reasoning: `adapters measured ${signedPct(overhead)} against the base model in the same trial${iqrText(same)}, against the claimed ~15 %${ok ? '' : ', within timing noise'}`,
    };
  }
  const threshold = `supported when adapter batch-1 latency exceeds full fine-tuning's by more than ${noise} (timing noise); the measured overhead is shown beside the claimed 15 %; ${FALLBACK}`;
  const adapter = costs?.latencyMsBatch1 ?? null;
  const full = fullLatency(agg);
  const measured: ClaimMeasurement[] = [
    { label: 'adapter, batch 1', value: adapter, unit: 'ms' },
    { label: 'full fine-tuning, batch 1', value: full, unit: 'ms' },
    { label: 'claimed overhead', value: 15, unit: '%' },
  ];
  if (adapter === null || full === null) {
    const what = [adapter === null ? 'adapter latency' : null, full === null ? 'full fine-tuning latency' : null].filter(Boolean).join(' and ');
    return { id, text, threshold, verdict: 'not-measured', reasoning: `${what} not measured in this sweep`, measured };
  }
  const overhead = adapter / full - 1;
  measured.push({ label: 'measured overhead', value: pct(overhead), unit: '%' });
  const ok = overhead > o.latencyNoiseRel;
  return {
    id,
    text,
    threshold,
    verdict: ok ? 'supported' : 'not-supported',
    reasoning: `adapters measured ${formatPercent(pct(overhead))} overhead against the claimed ~15 %${ok ? '' : ', within timing noise'} (timed in different trials)`,
    measured,
  };
}

/**
 * Forgetting as peft's method comparison records it: trained minus base causal-LM loss on
 * held-out general text. The claim is relative: PEFT forgets less than full fine-tuning.
 */
function forgettingClaim(agg: SweepAggregate): ClaimResult {
  const id = 'peft-forgetting';
  const text = 'PEFT avoids catastrophic forgetting';
  const threshold = 'forgetting = causal-LM loss (nats/token) of the trained model on held-out general text minus the base model\'s on the same text; supported when every measured PEFT method forgets less than full fine-tuning (best configurations, medians over seeds)';
  const full = agg.baseline?.best?.costs.forgettingLoss ?? null;
  const measured: ClaimMeasurement[] = [{ label: 'full fine-tuning forgetting', value: full, unit: 'nats/token' }];
  const peft: { m: Method; v: number }[] = [];
  for (const m of PEFT_METHODS) {
    const v = method(agg, m)?.best?.costs.forgettingLoss;
    if (v === null || v === undefined) continue;
    peft.push({ m, v });
    measured.push({ label: `${METHOD_NAMES[m]} forgetting`, value: v, unit: 'nats/token' });
  }
  if (full === null || peft.length === 0) {
    const what = [full === null ? 'full fine-tuning' : null, peft.length === 0 ? 'any PEFT method' : null].filter(Boolean).join(' and ');
    return { id, text, threshold, verdict: 'not-measured', reasoning: `forgetting of ${what} not measured in this sweep (trials before it was recorded, or a model without an LM head)`, measured };
  }
  const worse = peft.filter((p) => p.v >= full);
  const most = peft.reduce((a, b) => (b.v > a.v ? b : a));
  return {
    id,
    text,
    threshold,
    verdict: worse.length === 0 ? 'supported' : 'not-supported',
    reasoning: worse.length === 0
      ? `full fine-tuning forgets ${formatMetric(full)} nats/token; the most any PEFT method forgets is ${METHOD_NAMES[most.m]}'s ${formatMetric(most.v)}`
      : `${worse.map((p) => `${METHOD_NAMES[p.m]} (${formatMetric(p.v)})`).join(', ')} forget${worse.length === 1 ? 's' : ''} as much as or more than full fine-tuning (${formatMetric(full)} nats/token)`,
    measured,
  };
}

/** Compare every measured PEFT method's best-configuration cost against full fine-tuning. */
function perMethodRatios(agg: SweepAggregate, cost: 'peakBytes' | 'wallTimeS'): { m: Method; ratio: number }[] {
  const out: { m: Method; ratio: number }[] = [];
  for (const m of PEFT_METHODS) {
    const r = method(agg, m)?.delta?.costs[cost];
    if (r !== null && r !== undefined) out.push({ m, ratio: r });
  }
  return out;
}

function memoryClaim(agg: SweepAggregate, o: Required<ClaimsOptions>): ClaimResult {
  const id = 'peft-memory';
  const text = 'PEFT cuts training memory by 60–90 %';
  const threshold = `supported when every measured PEFT method's peak training memory is at least ${plain(pct(o.memoryReductionMin))} below full fine-tuning's (best configurations, medians over seeds); cuts beyond 90 % still count`;
  const ratios = perMethodRatios(agg, 'peakBytes');
  const measured: ClaimMeasurement[] = ratios.map(({ m, ratio }) => ({ label: `${METHOD_NAMES[m]} memory reduction`, value: pct(1 - ratio), unit: '%' }));
  if (ratios.length === 0) {
    return { id, text, threshold, verdict: 'not-measured', reasoning: 'peak memory of full fine-tuning and at least one PEFT method is needed', measured };
  }
  const short = ratios.filter((r) => 1 - r.ratio < o.memoryReductionMin);
  return {
    id,
    text,
    threshold,
    verdict: short.length === 0 ? 'supported' : 'not-supported',
    reasoning:
      short.length === 0
        ? `all ${ratios.length} measured PEFT methods cut peak memory by ${plain(pct(o.memoryReductionMin))} or more`
        : `${short.map((r) => `${METHOD_NAMES[r.m]} cuts ${formatPercent(pct(1 - r.ratio))}`).join('; ')} — below ${plain(pct(o.memoryReductionMin))}; on small models the frozen weights and activations dominate memory`,
    measured,
  };
}

function costClaim(agg: SweepAggregate): ClaimResult {
  const id = 'peft-training-cost';
  const text = 'PEFT lowers training cost';
  const threshold = 'training cost = wall time of a trial on the same task, steps and hardware; supported when every measured PEFT method trains faster than full fine-tuning (ratio < 1×)';
  const ratios = perMethodRatios(agg, 'wallTimeS');
  const measured: ClaimMeasurement[] = ratios.map(({ m, ratio }) => ({ label: `${METHOD_NAMES[m]} wall time vs full`, value: ratio, unit: '×' }));
  if (ratios.length === 0) {
    return { id, text, threshold, verdict: 'not-measured', reasoning: 'wall time of full fine-tuning and at least one PEFT method is needed', measured };
  }
  const slower = ratios.filter((r) => r.ratio >= 1);
  return {
    id,
    text,
    threshold,
    verdict: slower.length === 0 ? 'supported' : 'not-supported',
    reasoning:
      slower.length === 0
        ? `every measured PEFT method finished in less wall time than full fine-tuning`
        : `${slower.map((r) => METHOD_NAMES[r.m]).join(', ')} took as long as or longer than full fine-tuning`,
    measured,
  };
}

/** Tolerance description and a test "reaches the baseline within tolerance". */
function qualityTolerance(agg: SweepAggregate, fullMean: number, o: Required<ClaimsOptions>) {
  const { metric, direction } = agg.objective;
  const absolute = direction === 'maximize' && fullMean >= 0 && fullMean <= 1;
  const tol = absolute ? o.qualityToleranceAbs : Math.abs(fullMean) * o.qualityToleranceRel;
  const describe = absolute
    ? `${metric} within ${formatMetric(o.qualityToleranceAbs)} (absolute) of full fine-tuning`
    : `${metric} within ${plain(pct(o.qualityToleranceRel))} (relative, ±${formatMetric(tol)}) of full fine-tuning`;
  const reaches = (v: number) => (direction === 'maximize' ? v >= fullMean - tol : v <= fullMean + tol);
  return { describe, reaches, tol };
}

function qualityClaim(agg: SweepAggregate, o: Required<ClaimsOptions>): ClaimResult {
  const id = 'peft-full-quality';
  const text = 'PEFT reaches full fine-tuning quality';
  const full = agg.baseline?.best?.mean ?? null;
  const { metric } = agg.objective;
  if (full === null) {
    return {
      id,
      text,
      threshold: `supported when the best PEFT method's mean ${metric} (best configuration, over seeds) is within tolerance of full fine-tuning (1 point absolute for accuracy-like metrics, 5 % relative otherwise)`,
      verdict: 'not-measured',
      reasoning: `no full fine-tuning baseline reported ${metric}`,
      measured: [],
    };
  }
  const tq = qualityTolerance(agg, full, o);
  const threshold = `supported when the best PEFT method's mean ${tq.describe} (best configurations, means over seeds)`;
  const measured: ClaimMeasurement[] = [{ label: 'full fine-tuning', value: full, unit: metric }];
  const scored: { m: Method; mean: number }[] = [];
  for (const m of PEFT_METHODS) {
    const v = method(agg, m)?.best?.mean;
    if (v === null || v === undefined) continue;
    scored.push({ m, mean: v });
    measured.push({ label: METHOD_NAMES[m], value: v, unit: metric });
  }
  if (scored.length === 0) return { id, text, threshold, verdict: 'not-measured', reasoning: `no PEFT method reported ${metric}`, measured };
  const reaching = scored.filter((s) => tq.reaches(s.mean));
  return {
    id,
    text,
    threshold,
    verdict: reaching.length > 0 ? 'supported' : 'not-supported',
    reasoning:
      reaching.length > 0
        ? `${reaching.map((s) => METHOD_NAMES[s.m]).join(', ')} reach${reaching.length === 1 ? 'es' : ''} it; ${scored.length - reaching.length} of ${scored.length} measured PEFT methods do not`
        : `no measured PEFT method comes within the tolerance (±${formatMetric(tq.tol)})`,
    measured,
  };
}

function lagClaim(input: ReportInput, agg: SweepAggregate, o: Required<ClaimsOptions>): ClaimResult {
  const id = 'prefix-prompt-lag';
  const text = 'Prefix and prompt tuning lag behind on harder tasks';
  const { metric, direction } = agg.objective;
  const scopeNote = `this sweep covers one task (${input.sweep.task}); whether it is "harder" is not judged here, so the verdict is about this task only`;
  // Reference: the best of full fine-tuning, LoRA and adapters (the methods the claim says prompt-like methods trail).
  let ref: { m: Method; mean: number } | null = null;
  for (const m of ['full', 'lora', 'adapter'] as Method[]) {
    const v = method(agg, m)?.best?.mean;
    if (v !== null && v !== undefined && (!ref || isBetter(v, ref.mean, direction))) ref = { m, mean: v };
  }
  const threshold = `supported when every measured prefix/prompt method's mean ${metric} is worse than the best of full fine-tuning, LoRA and adapters by more than the quality tolerance; ${scopeNote}`;
  const measured: ClaimMeasurement[] = [];
  if (ref) measured.push({ label: `reference (${METHOD_NAMES[ref.m]})`, value: ref.mean, unit: metric });
  const lagging: Method[] = [];
  const scored: Method[] = [];
  const tq = ref ? qualityTolerance(agg, ref.mean, o) : null;
  for (const m of ['prefix', 'prompt'] as Method[]) {
    const v = method(agg, m)?.best?.mean;
    if (v === null || v === undefined) continue;
    measured.push({ label: METHOD_NAMES[m], value: v, unit: metric });
    scored.push(m);
    if (tq && !tq.reaches(v)) lagging.push(m);
  }
  if (!ref || !tq || scored.length === 0) {
    return { id, text, threshold, verdict: 'not-measured', reasoning: !ref ? 'no full fine-tuning, LoRA or adapter result to compare with' : 'no prefix or prompt tuning result', measured };
  }
  const ok = lagging.length === scored.length;
  return {
    id,
    text,
    threshold,
    verdict: ok ? 'supported' : 'not-supported',
    reasoning: `${lagging.length ? `${lagging.map((m) => METHOD_NAMES[m]).join(' and ')} trail${lagging.length === 1 ? 's' : ''} ${METHOD_NAMES[ref.m]} by more than ±${formatMetric(tq.tol)}` : `neither trails ${METHOD_NAMES[ref.m]} by more than ±${formatMetric(tq.tol)}`}${!ok && lagging.length ? `; ${scored.filter((m) => !lagging.includes(m)).map((m) => METHOD_NAMES[m]).join(' and ')} does not` : ''}`,
    measured,
  };
}

/** Judge every claim against the sweep. Order is fixed (the order of the issue). */
export function checkClaims(input: ReportInput, agg: SweepAggregate, options: ClaimsOptions = {}): ClaimResult[] {
  const o = { ...DEFAULT_CLAIMS_OPTIONS, ...options };
  return [
    shareClaim(input, 'lora-trainable-share', 'lora', 'LoRA trains 0.01–1 % of the parameters', 0.01, 1),
    mergedLoraClaim(agg, o),
    adapterLatencyClaim(agg, o),
    shareClaim(input, 'prefix-trainable-share', 'prefix', 'Prefix tuning trains under 0.1 % of the parameters', null, 0.1),
    shareClaim(input, 'prompt-trainable-share', 'prompt', 'Prompt tuning trains 0.01–0.1 % of the parameters', 0.01, 0.1),
    memoryClaim(agg, o),
    costClaim(agg),
    qualityClaim(agg, o),
    lagClaim(input, agg, o),
    forgettingClaim(agg),
  ];
}

/** "0.42 %", "1.93 ms", "0.31×", "0.873 accuracy" — one measured number as text. */
export function formatClaimMeasurement(x: ClaimMeasurement): string {
  if (x.value === null) return `${x.label}: not measured`;
  switch (x.unit) {
    case '%':
      return `${x.label}: ${formatPercent(x.value)}`;
    case 'ms':
      return `${x.label}: ${x.value.toFixed(2)} ms`;
    case '×':
      return `${x.label}: ${x.value.toFixed(2)}×`;
    case 'trials':
      return `${x.label}: ${x.value}`;
    default:
      return `${x.label}: ${formatMetric(x.value)} ${x.unit}`;
  }
}

export const VERDICT_TEXT: Record<ClaimVerdict, string> = {
  supported: 'supported',
  'not-supported': 'not supported',
  'not-measured': 'not measured by this sweep',
};
