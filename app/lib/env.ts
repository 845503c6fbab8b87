// The dashboard process's environment, read here and nowhere else in the app: parsed with
// zod and kept until a value changes (a restarted server, or a test, may set a new token).
// @peft-lab/db reads its own connection defaults when none is passed (its src/env.ts).
import { z } from 'zod';
// `optional`: unset and blank are the same, not given.
import { envReader, optionalVar as optional } from '@peft-lab/env';

const appEnvSchema = z.object({
  /** PostgreSQL (`peft-lab up` sets it); unset: @peft-lab/db's PG* defaults. */
  DATABASE_URL: optional,
  /** When set, every mutating call needs `Authorization: Bearer <token>` or the dashboard's session cookie. */
  PEFT_LAB_TOKEN: optional,
  /** next build / start output directory (default .next): a test or a second engineer builds elsewhere. */
  PEFT_LAB_NEXT_DIST_DIR: optional,
  /** A running `peft-lab serve` the playground calls instead of starting one per sweep. */
  PEFT_LAB_SERVE_URL: optional,
  /** Its token (Authorization: Bearer), when it was started with PEFT_LAB_TOKEN; never sent to the browser. */
  PEFT_LAB_SERVE_TOKEN: optional,
  /**
   * 1: the playground form's Serve URL may be any http(s) URL. Unset / 0: only a loopback or
   * private address, or PEFT_LAB_SERVE_URL's origin (lib/playground/serve-url.ts).
   */
  PEFT_LAB_PLAYGROUND_ANY_URL: optional
    .pipe(z.enum(['0', '1'], { message: 'must be 0 or 1' }).optional())
    .transform((v) => v === '1'),
  /** Minutes without a request after which a serve process the dashboard started is stopped (restarted by the next request); 0: never. Default 15. */
  PEFT_LAB_PLAYGROUND_IDLE_MINUTES: optional
    .pipe(z.string().regex(/^\d+(\.\d+)?$/, 'must be a number of minutes ≥ 0').optional())
    .transform((v) => (v === undefined ? 15 : Number(v))),
});

export type AppEnv = z.output<typeof appEnvSchema>;
/** The dashboard's variables (default source: this process's environment). */
export const appEnv: (source?: NodeJS.ProcessEnv) => AppEnv = envReader(appEnvSchema);
