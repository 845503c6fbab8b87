// Query-string parsing with zod: every issue names the parameter (`pageSize: …`).
import { z } from 'zod';
import { BadRequestError } from './errors';
import { formatPath } from './responses';

/** Repeated and comma-separated values both count: `?status=a,b&status=c` → [a, b, c]. */
export const csvList = <T extends z.ZodType>(item: T) =>
  z.preprocess((v) => {
    if (v === undefined || v === '') return undefined;
    const parts = (Array.isArray(v) ? v : [v]).flatMap((s) => String(s).split(',')).map((s) => s.trim()).filter(Boolean);
    return parts.length ? parts : undefined;
  }, z.array(item).optional());

export const intParam = (min: number, max: number, dflt: number) =>
  z.preprocess((v) => (v === undefined || v === '' ? undefined : /^-?\d+$/.test(String(v)) ? Number(v) : v),
    z.number({ error: `must be an integer in ${min}..${max}` }).int().min(min).max(max).default(dflt));

/** Parses `url`'s search params with `schema`. @throws BadRequestError listing `param: rule (got value)`. */
export function parseQuery<S extends z.ZodType>(url: string | URL, schema: S): z.output<S> {
  const params = new URL(url).searchParams;
  const raw: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    const all = params.getAll(key);
    raw[key] = all.length === 1 ? all[0] : all;
  }
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const issues = r.error.issues.flatMap((i) => {
    if (i.code === 'unrecognized_keys') return i.keys.map((k) => `${k}: unknown parameter`);
    const got = i.path.length ? raw[String(i.path[0])] : undefined;
    return `${formatPath(i.path)}: ${i.message}${got === undefined ? '' : ` (got ${JSON.stringify(got).slice(0, 80)})`}`;
  });
  throw new BadRequestError(issues, `invalid query: ${issues.join('; ')}`);
}
