import { methodColor, methodLabel } from '@/lib/pages/format';

/** A plain HTML legend of methods (used where recharts' own legend does not fit, e.g. SVG charts). */
export function MethodLegend({ methods, extra }: { methods: string[]; extra?: { label: string; swatch: string; dashed?: boolean }[] }) {
  return (
    <ul className="legend" aria-label="Legend">
      {methods.map((m) => (
        <li key={m}><span className="swatch" style={{ background: methodColor(m) }} aria-hidden="true" />{methodLabel(m)}</li>
      ))}
      {extra?.map((e) => (
        <li key={e.label}><span className={e.dashed ? 'swatch dashed' : 'swatch'} style={{ borderColor: e.swatch, background: e.dashed ? 'transparent' : e.swatch }} aria-hidden="true" />{e.label}</li>
      ))}
    </ul>
  );
}
