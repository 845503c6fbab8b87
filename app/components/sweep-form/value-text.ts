// A hyperparameter's value ↔ the text in its input: "8", "4, 8, 16" (a list),
// or JSON for the other value forms ({"min": 1e-4, "max": 1e-2, "scale": "log", "step": 10}).
import type { FieldDescription } from '@peft-lab/sweeps';

export function valueToText(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (Array.isArray(v)) return v.map((x) => (Array.isArray(x) ? `[${x.join(' ')}]` : String(x))).join(', ');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function scalar(s: string, kind: FieldDescription['kind']): unknown {
  const t = s.trim();
  if (kind === 'int' || kind === 'float') {
    const n = Number(t);
    return t !== '' && Number.isFinite(n) ? n : t; // keep the text: the schema names the bad value
  }
  if (kind === 'bool') return t === 'true' ? true : t === 'false' ? false : t;
  return t;
}

/** Text → spec value; undefined = field left empty (the default applies). */
export function textToValue(text: string, kind: FieldDescription['kind']): unknown {
  const t = text.trim();
  if (t === '') return undefined;
  if (t.startsWith('{')) {
    try { return JSON.parse(t); } catch { return t; }
  }
  if (kind === 'string-list') {
    // "c_attn c_fc" is one list; "[c_attn], [c_attn c_fc]" searches over lists.
    if (t.startsWith('[')) return t.split(/\]\s*,?\s*/).map((p) => p.replace('[', '').trim()).filter(Boolean).map((p) => p.split(/[\s,]+/));
    return t.split(/[\s,]+/).filter(Boolean);
  }
  if (kind === 'string') return t;
  const parts = t.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (parts.length === 1) return scalar(parts[0], kind);
  return parts.map((p) => scalar(p, kind));
}
