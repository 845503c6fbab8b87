// zod schemas of what callers hand the queue; the row types themselves come from Prisma.
import { z } from 'zod';

export const workerIdSchema = z.string().min(1).max(200);
export const leaseMsSchema = z.number().int().min(1).max(24 * 3600 * 1000);

const jsonObject = z.record(z.string(), z.unknown());

export const newTrialSchema = z.object({
  /** Position in the sweep; continues after the highest existing index when omitted. */
  index: z.number().int().min(0).optional(),
  method: z.string().min(1),
  hyperparameters: jsonObject,
  seed: z.number().int(),
  priority: z.number().int().default(0),
  maxAttempts: z.number().int().min(1).max(100).default(3),
  /** Planned total steps, for progress bars. */
  progressTotal: z.number().int().min(0).optional(),
});
export type NewTrial = z.input<typeof newTrialSchema>;

export const metricPointSchema = z.object({
  name: z.string().min(1).max(200),
  step: z.number().int().min(0).max(2 ** 31 - 1),
  /** NaN and ±Infinity are stored as such (a diverged loss is a result too). */
  value: z.number().or(z.nan()),
  time: z.date().optional(),
});
export type MetricPointInput = z.input<typeof metricPointSchema>;

export const artifactInputSchema = z.object({
  kind: z.enum(['adapter', 'checkpoint', 'full_model', 'report']),
  location: z.string().min(1),
  bytes: z.union([z.number().int().min(0), z.bigint().min(0n)]).transform((b) => b.toString()),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits'),
  step: z.number().int().min(0).optional(),
});
export type ArtifactInput = z.input<typeof artifactInputSchema>;

export const workerRegistrationSchema = z.object({
  id: workerIdSchema,
  host: z.string().min(1),
  pid: z.number().int(),
  backend: z.string().optional(),
});
export type WorkerRegistration = z.input<typeof workerRegistrationSchema>;
