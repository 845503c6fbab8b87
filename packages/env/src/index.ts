/**
 * Reading a process's environment once: each process kind (the dashboard, a worker / CLI
 * process) and each library with knobs of its own (@peft-lab/db, @peft-lab/engine) declares its
 * variables as one zod object in its own `env.ts` and reads them through `envReader`, nowhere
 * else. This module knows no variable.
 */
import { z } from 'zod';

/** A variable where unset and blank are the same: not given (a given value is trimmed). */
export const optionalVar = z.string().optional().transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/**
 * A reader of `schema`'s variables: each call takes them from `source` (default: this process's
 * environment) and parses them with zod, and the result is kept until one of them changes (a
 * restarted server, or a test, may set new values).
 * @param onError the error to throw for a bad value (default: the ZodError), given the issues and the values read.
 * @example
 * const engineEnv = envReader(z.object({ PEFT_LAB_BACKEND: optionalVar }));
 * engineEnv().PEFT_LAB_BACKEND; // 'wasm' | … | undefined
 */
export function envReader<S extends z.ZodObject>(
  schema: S,
  onError?: (error: z.ZodError, values: Readonly<Record<string, string | undefined>>) => Error,
): (source?: NodeJS.ProcessEnv) => z.output<S> {
  const keys = Object.keys(schema.shape);
  let cached: { raw: string; env: z.output<S> } | undefined;
  return (source = process.env) => {
    const values = Object.fromEntries(keys.map((k) => [k, source[k]]));
    const raw = JSON.stringify(values);
    if (cached?.raw === raw) return cached.env;
    const r = schema.safeParse(values);
    if (!r.success) throw onError ? onError(r.error, values) : r.error;
    cached = { raw, env: r.data };
    return r.data;
  };
}
