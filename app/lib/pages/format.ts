// Number and date formatting shared by server pages and client charts (pure). Method labels
// and colours come from the engine's TF-free method registry (safe in client bundles).
import { methodRecord } from '@peft-lab/engine/methods';

export function formatNumber(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(2);
  return Number(v.toPrecision(digits)).toLocaleString('en-US', { maximumFractionDigits: 6 });
}

export function formatCount(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  if (Math.abs(v) >= 1e9) return `${(v / 1e9).toFixed(2)} G`;
  if (Math.abs(v) >= 1e6) return `${(v / 1e6).toFixed(2)} M`;
  if (Math.abs(v) >= 1e4) return `${(v / 1e3).toFixed(1)} k`;
  return String(Math.round(v));
}

/** A model's parameter count: 133888 → "0.13 M", 124439808 → "124.4 M", 7241732096 → "7.24 B" (as `peft-lab model list`). */
export function formatParamCount(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  if (v >= 1e9) return `${(v / 1e9).toFixed(2)} B`;
  return `${(v / 1e6).toFixed(v < 1e7 ? 2 : 1)} M`;
}

export function formatBytes(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let x = v;
  let i = 0;
  while (Math.abs(x) >= 1024 && i < units.length - 1) { x /= 1024; i++; }
  return `${i === 0 ? x : x.toFixed(1)} ${units[i]}`;
}

export function formatPercent(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  if (v !== 0 && Math.abs(v) < 0.01) return `${v.toExponential(1)} %`;
  return `${Number(v.toPrecision(3))} %`;
}

export function formatDate(d: Date | string | null | undefined): string {
  if (!d) return '—';
  const date = typeof d === 'string' ? new Date(d) : d;
  return date.toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
}

/** Compact `r=8 alpha=16 lr=0.001` line of a trial's hyperparameters. */
export function formatHyperparameters(h: unknown): string {
  if (!h || typeof h !== 'object') return '';
  return Object.entries(h as Record<string, unknown>)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : typeof v === 'number' ? formatNumber(v) : String(v)}`)
    .join(' ');
}

/** Stable colour per PEFT method (colour-blind friendly Okabe–Ito palette): each method's declared colour, as the report draws it. */
export const METHOD_COLORS: Record<string, string> = methodRecord((d) => d.color);
export function methodColor(method: string): string {
  return METHOD_COLORS[method] ?? '#666666';
}
/** Short labels for legends and tables ('Full FT', 'LoRA', 'Prefix'): each method's declared shortLabel. */
export const METHOD_LABELS: Record<string, string> = methodRecord((d) => d.shortLabel);
export function methodLabel(method: string): string {
  return METHOD_LABELS[method] ?? method;
}
