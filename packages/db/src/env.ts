// The environment @peft-lab/db reads when its caller passes nothing explicit, read here and
// nowhere else in the package: the connection (DATABASE_URL, else libpq's PG* variables) and
// the blob chunk size. Parsed with zod per call and kept until a value changes (tests set them).
import { z } from 'zod';

/** Unset and blank are the same: not given. */
const optional = z.string().optional().transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const dbEnvSchema = z.object({
  DATABASE_URL: optional,
  PGHOST: optional,
  PGPORT: optional,
  PGUSER: optional,
  /** Not trimmed: a password may end in a space. */
  PGPASSWORD: z.string().optional(),
  PGDATABASE: optional,
  /** Chunk size of new blob writes (blobChunkBytes checks it). */
  PEFT_LAB_BLOB_CHUNK_BYTES: optional,
});

export type DbEnv = z.output<typeof dbEnvSchema>;
const KEYS = Object.keys(dbEnvSchema.shape) as (keyof DbEnv)[];

let cached: { raw: string; env: DbEnv } | undefined;

/** The variables above from `source` (default: this process's environment). */
export function dbEnv(source: NodeJS.ProcessEnv = process.env): DbEnv {
  const values = Object.fromEntries(KEYS.map((k) => [k, source[k]]));
  const raw = JSON.stringify(values);
  if (cached?.raw !== raw) cached = { raw, env: dbEnvSchema.parse(values) };
  return cached.env;
}
