// The engine's environment knobs, read here and nowhere else in the engine: each call
// parses the variables below from `process.env` (or the env a caller passes) with zod, and
// the result is kept until one of them changes (tests flip them between cases).
// What a value means — and the error for a bad one — stays with the code that uses it:
// backend.ts (PEFT_LAB_BACKEND), native/kernels.ts (PEFT_LAB_NATIVE_KERNELS),
// measure/memory-check.ts (PEFT_LAB_MEMORY_LIMIT_BYTES), peft/python-reference.ts (PEFT_LAB_PYTHON).
import { z } from 'zod';
// `optional`: unset and blank are the same, not given.
import { envReader, optionalVar as optional } from '@peft-lab/env';

const engineEnvSchema = z.object({
  /** auto | tensorflow | wasm | cpu (resolveBackendPreference checks it). */
  PEFT_LAB_BACKEND: optional,
  /** 0 / false / off turn the fused native kernels off. */
  PEFT_LAB_NATIVE_KERNELS: optional.transform((v) => !(v !== undefined && ['0', 'false', 'off'].includes(v.toLowerCase()))),
  /** Bytes of memory training may use, instead of the measured figure (as written; availableMemory checks it). */
  PEFT_LAB_MEMORY_LIMIT_BYTES: optional,
  /** A Python with torch, transformers and peft, for the interop tests. */
  PEFT_LAB_PYTHON: optional,
});

export type EngineEnv = z.output<typeof engineEnvSchema>;
/** The engine's knobs from `source` (default: this process's environment). */
export const engineEnv: (source?: NodeJS.ProcessEnv) => EngineEnv = envReader(engineEnvSchema);

/**
 * Keeps TensorFlow's native start-up logs off stderr unless the user asked for them
 * (TF_CPP_MIN_LOG_LEVEL set already); it must be set before tfjs-node loads.
 */
export function quietTensorFlowLogs(): void {
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '3';
}
