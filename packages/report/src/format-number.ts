/**
 * Number formatting shared by every text format, so the Markdown, LaTeX and
 * HTML tables print the same digits. Missing values print as "—" (formats that
 * cannot show it map it themselves).
 */
import type { HyperparameterValue } from './input.js';

export const MISSING = '—';

/** Avoid "-0.000" and exponent notation for ordinary magnitudes. */
function fixed(v: number, digits: number): string {
  const s = v.toFixed(digits);
  return /^-0\.?0*$/.test(s) ? s.slice(1) : s;
}

/** A task metric (accuracy 0.873, perplexity 45.21, loss 2.310). */
export function formatMetric(v: number | null | undefined): string {
  if (v === null || v === undefined) return MISSING;
  const a = Math.abs(v);
  return a < 10 ? fixed(v, 3) : a < 1000 ? fixed(v, 2) : fixed(v, 0);
}

export function formatMeanStd(mean: number | null, std: number | null, n: number): string {
  if (mean === null) return MISSING;
  return std === null ? `${formatMetric(mean)} (n=${n})` : `${formatMetric(mean)} ± ${formatMetric(std)} (n=${n})`;
}

export function formatSigned(v: number | null | undefined): string {
  if (v === null || v === undefined) return MISSING;
  const s = formatMetric(v);
  return v > 0 && s !== formatMetric(0) ? `+${s}` : s;
}

/** A share already in percent (0.42 means 0.42 %). */
export function formatPercent(p: number | null | undefined): string {
  if (p === null || p === undefined) return MISSING;
  const a = Math.abs(p);
  if (a >= 10) return `${fixed(p, 1)} %`;
  if (a >= 1) return `${fixed(p, 2)} %`;
  if (a === 0) return '0 %';
  // Two significant digits for small shares (0.0031 %), without exponent notation down to 1e-6.
  const digits = Math.min(8, Math.max(2, 1 - Math.floor(Math.log10(a))));
  return `${fixed(p, digits)} %`;
}

export function formatBytes(b: number | null | undefined): string {
  if (b === null || b === undefined) return MISSING;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = b;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${fixed(v, 0)} B` : `${fixed(v, 1)} ${units[i]}`;
}

export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined) return MISSING;
  const a = Math.abs(n);
  if (a >= 1e9) return `${fixed(n / 1e9, 2)}B`;
  if (a >= 1e6) return `${fixed(n / 1e6, 2)}M`;
  if (a >= 1e3) return `${fixed(n / 1e3, 1)}K`;
  return fixed(n, 0);
}

export function formatMs(v: number | null | undefined): string {
  if (v === null || v === undefined) return MISSING;
  return `${fixed(v, Math.abs(v) < 100 ? 2 : 1)} ms`;
}

export function formatRate(v: number | null | undefined): string {
  if (v === null || v === undefined) return MISSING;
  return fixed(v, 0);
}

export function formatSeconds(v: number | null | undefined): string {
  if (v === null || v === undefined) return MISSING;
  return `${fixed(v, Math.abs(v) < 100 ? 1 : 0)} s`;
}

/** A cost ratio against full fine-tuning. */
export function formatRatio(r: number | null | undefined): string {
  if (r === null || r === undefined) return MISSING;
  const a = Math.abs(r);
  return `${a >= 10 ? fixed(r, 1) : a >= 0.1 ? fixed(r, 2) : a >= 0.001 ? fixed(r, 4) : r.toExponential(1)}×`;
}

export function formatHyperparameterValue(v: HyperparameterValue): string {
  if (Array.isArray(v)) return `[${v.join(', ')}]`;
  if (v === null) return 'null';
  return String(v);
}

/** "r=8, alpha=16, targetModules=[c_attn]" — keys sorted so output is stable. */
export function formatConfiguration(hp: Record<string, HyperparameterValue>): string {
  const keys = Object.keys(hp).sort();
  return keys.length ? keys.map((k) => `${k}=${formatHyperparameterValue(hp[k])}`).join(', ') : '(defaults)';
}
