// The dashboard process's environment, read here and nowhere else in the app: parsed with
// zod and kept until a value changes (a restarted server, or a test, may set a new token).
// @peft-lab/db reads its own connection defaults when none is passed (its src/env.ts).
import { z } from 'zod';

/** Unset and blank are the same: not given. */
const optional = z.string().optional().transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const appEnvSchema = z.object({
  /** PostgreSQL (`peft-lab up` sets it); unset: @peft-lab/db's PG* defaults. */
  DATABASE_URL: optional,
  /** When set, every mutating call needs `Authorization: Bearer <token>` or the dashboard's session cookie. */
  PEFT_LAB_TOKEN: optional,
  /** next build / start output directory (default .next): a test or a second engineer builds elsewhere. */
  PEFT_LAB_NEXT_DIST_DIR: optional,
});

export type AppEnv = z.output<typeof appEnvSchema>;
const KEYS = Object.keys(appEnvSchema.shape) as (keyof AppEnv)[];

let cached: { raw: string; env: AppEnv } | undefined;

export function appEnv(source: NodeJS.ProcessEnv = process.env): AppEnv {
  const values = Object.fromEntries(KEYS.map((k) => [k, source[k]]));
  const raw = JSON.stringify(values);
  if (cached?.raw !== raw) cached = { raw, env: appEnvSchema.parse(values) };
  return cached.env;
}
