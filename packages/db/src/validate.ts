import type { z } from 'zod';
import { InvalidArgumentError } from './errors';

/** Parses with zod; the first issue becomes an InvalidArgumentError naming the field path and its value. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, field: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = issue.path.length ? `${field}.${issue.path.map(String).join('.')}` : field;
  const bad = issue.path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k as PropertyKey] : undefined), value);
  throw new InvalidArgumentError(path, bad, issue.message);
}
