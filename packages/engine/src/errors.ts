/**
 * Engine errors. Messages name the argument, key or tensor and the bad value,
 * so a sweep's failed trial says what to fix without a stack trace.
 */
import { PeftLabError } from '@peft-lab/errors';

export { PeftLabError };

/** A config.json key holds a value the engine cannot run (`model_type`, `hidden_act`, `rope_scaling`…). */
export class UnsupportedConfigError extends PeftLabError {
  readonly badInput = true;
  constructor(readonly key: string, readonly value: unknown, hint = '') {
    super('UNSUPPORTED_CONFIG', `unsupported config: ${key}=${JSON.stringify(value)}${hint ? ` (${hint})` : ''}`);
  }
}

/** A checkpoint tensor does not have the shape the config implies. */
export class WeightShapeError extends PeftLabError {
  readonly badInput = true;
  constructor(readonly tensor: string, readonly expected: number[], readonly actual: number[]) {
    super('WEIGHT_SHAPE', `tensor ${tensor}: expected shape [${expected.join(', ')}], checkpoint has [${actual.join(', ')}]`);
  }
}

/** A tensor the model needs is absent from the checkpoint. */
export class MissingWeightError extends PeftLabError {
  constructor(readonly tensor: string, readonly where: string) {
    super('MISSING_WEIGHT', `tensor ${tensor} is missing from ${where}`);
  }
}

/** A file is not what its name promises (bad safetensors header, unknown dtype, missing config.json…). */
export class CheckpointFormatError extends PeftLabError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CHECKPOINT_FORMAT', message, options);
  }
}

/** A PEFT method was asked for something it cannot do (unknown method, module name matching nothing…). */
export class PeftConfigError extends PeftLabError {
  readonly badInput = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super('PEFT_CONFIG', message, options);
  }
}

/**
 * A merged checkpoint was asked of a method that does not fold into the base weights: bottleneck
 * adapters, prefix and prompt tuning change the forward pass itself (peft has no merge for them either).
 */
export class NotMergeableError extends PeftLabError {
  readonly badInput = true;
  constructor(readonly method: string) {
    super('NOT_MERGEABLE', `method=${JSON.stringify(method)} cannot be merged into the base weights (only LoRA, DoRA and (IA)³ fold into them; ${method} adds modules or virtual tokens at run time): export the PEFT-format adapter instead and load it with peft's PeftModel.from_pretrained`);
  }
}
