// The environment @peft-lab/db reads when its caller passes nothing explicit, read here and
// nowhere else in the package: the connection (DATABASE_URL, else libpq's PG* variables) and
// the blob chunk size. Parsed with zod per call and kept until a value changes (tests set them).
import { z } from 'zod';
// `optional`: unset and blank are the same, not given.
import { envReader, optionalVar as optional } from '@peft-lab/env';

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
/** The variables above from `source` (default: this process's environment). */
export const dbEnv: (source?: NodeJS.ProcessEnv) => DbEnv = envReader(dbEnvSchema);
