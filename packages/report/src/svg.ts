/**
 * A few small SVG helpers (scales, ticks, axes, legend) for the HTML report's
 * charts. Plain strings, no DOM and no chart library: the report must open
 * offline, and a dependency-free string is what a self-contained file needs.
 */
import { methodRecord } from '@peft-lab/engine/methods';
import type { Method } from './input.js';

/** Each method's chart colour: its declaration's (the dashboard draws the same). */
export const METHOD_COLORS: Record<Method, string> = methodRecord((d) => d.color);

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Round to 2 decimals: keeps the SVG small and the golden files stable across platforms. */
export const r2 = (x: number) => Math.round(x * 100) / 100;

export interface Scale {
  (v: number): number;
  ticks: number[];
  format: (v: number) => string;
}

function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * p;
}

/** Linear scale with "nice" ticks; pads a zero-width domain so a single point still sits mid-axis. */
export function linearScale(min: number, max: number, r0: number, r1: number, tickCount = 5): Scale {
  if (min === max) {
    const pad = Math.abs(min) * 0.05 || 1;
    min -= pad;
    max += pad;
  }
  const step = niceStep(max - min, tickCount);
  const lo = Math.floor(min / step) * step;
  const hi = Math.ceil(max / step) * step;
  const f = ((v: number) => r0 + ((v - lo) / (hi - lo)) * (r1 - r0)) as Scale;
  f.ticks = [];
  for (let v = lo; v <= hi + step / 2; v += step) f.ticks.push(Number(v.toPrecision(12)));
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  f.format = (v) => v.toFixed(decimals);
  return f;
}

/** Log10 scale whose ticks are whole powers of ten (values must be > 0). */
export function logScale(min: number, max: number, r0: number, r1: number, format: (v: number) => string): Scale {
  let lo = Math.floor(Math.log10(min));
  let hi = Math.ceil(Math.log10(max));
  if (lo === hi) {
    lo -= 1;
    hi += 1;
  }
  const f = ((v: number) => r0 + ((Math.log10(v) - lo) / (hi - lo)) * (r1 - r0)) as Scale;
  f.ticks = [];
  for (let e = lo; e <= hi; e++) f.ticks.push(10 ** e);
  f.format = format;
  return f;
}

export interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export const DEFAULT_FRAME: Frame = { width: 640, height: 360, left: 70, right: 150, top: 20, bottom: 50 };

export function plotArea(f: Frame) {
  return { x0: f.left, x1: f.width - f.right, y0: f.height - f.bottom, y1: f.top };
}

export function xAxis(f: Frame, x: Scale, label: string): string {
  const a = plotArea(f);
  const ticks = x.ticks
    .map((t) => `<g class="tick"><line x1="${r2(x(t))}" x2="${r2(x(t))}" y1="${a.y0}" y2="${a.y0 + 5}"/><line class="grid" x1="${r2(x(t))}" x2="${r2(x(t))}" y1="${a.y0}" y2="${a.y1}"/><text x="${r2(x(t))}" y="${a.y0 + 18}" text-anchor="middle">${escapeXml(x.format(t))}</text></g>`)
    .join('');
  return `<g class="axis x-axis"><line x1="${a.x0}" x2="${a.x1}" y1="${a.y0}" y2="${a.y0}"/>${ticks}<text class="axis-label" x="${r2((a.x0 + a.x1) / 2)}" y="${f.height - 10}" text-anchor="middle">${escapeXml(label)}</text></g>`;
}

export function yAxis(f: Frame, y: Scale, label: string): string {
  const a = plotArea(f);
  const ticks = y.ticks
    .map((t) => `<g class="tick"><line x1="${a.x0 - 5}" x2="${a.x0}" y1="${r2(y(t))}" y2="${r2(y(t))}"/><line class="grid" x1="${a.x0}" x2="${a.x1}" y1="${r2(y(t))}" y2="${r2(y(t))}"/><text x="${a.x0 - 8}" y="${r2(y(t) + 4)}" text-anchor="end">${escapeXml(y.format(t))}</text></g>`)
    .join('');
  const cy = r2((a.y0 + a.y1) / 2);
  return `<g class="axis y-axis"><line x1="${a.x0}" x2="${a.x0}" y1="${a.y0}" y2="${a.y1}"/>${ticks}<text class="axis-label" transform="translate(16 ${cy}) rotate(-90)" text-anchor="middle">${escapeXml(label)}</text></g>`;
}

export interface LegendEntry {
  label: string;
  color: string;
  /** 'dot' (points), 'line' (curves, bars) or 'dash' (reference lines). */
  kind: 'dot' | 'line' | 'dash';
}

export function legend(f: Frame, entries: LegendEntry[]): string {
  const x = f.width - f.right + 14;
  const items = entries
    .map((e, i) => {
      const y = f.top + 10 + i * 18;
      const sw =
        e.kind === 'dot'
          ? `<circle cx="${x + 6}" cy="${y}" r="4" fill="${e.color}"/>`
          : `<line x1="${x}" x2="${x + 14}" y1="${y}" y2="${y}" stroke="${e.color}" stroke-width="2"${e.kind === 'dash' ? ' stroke-dasharray="4 3"' : ''}/>`;
      return `<g class="legend-item">${sw}<text x="${x + 20}" y="${y + 4}">${escapeXml(e.label)}</text></g>`;
    })
    .join('');
  return `<g class="legend">${items}</g>`;
}

/** Tick labels for a log axis of whole powers of ten: 1K, 10K, 1M / 0.01×, 1×, 10×. */
export function powerOfTenLabel(v: number, unit: 'count' | 'ratio'): string {
  if (unit === 'ratio') return `${Number(v.toPrecision(1))}×`;
  const units: [number, string][] = [[1e9, 'B'], [1e6, 'M'], [1e3, 'K']];
  for (const [d, u] of units) if (v >= d) return `${Number((v / d).toPrecision(3))}${u}`;
  return String(Number(v.toPrecision(3)));
}

export function svgDocument(f: Frame, chartId: string, title: string, body: string): string {
  return `<svg class="chart" data-chart="${escapeXml(chartId)}" viewBox="0 0 ${f.width} ${f.height}" width="${f.width}" height="${f.height}" role="img" aria-label="${escapeXml(title)}"><title>${escapeXml(title)}</title>${body}</svg>`;
}
