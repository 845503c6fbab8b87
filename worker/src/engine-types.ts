// Engine types the engine's index does not re-export, derived from what it does export.
import type { attachPeft, TrainTrialOptions } from '@peft-lab/engine';

export type PeftMethodName = Parameters<typeof attachPeft>[1];
export type PeftAttachment = ReturnType<typeof attachPeft>;
export type TransformerModel = TrainTrialOptions['model'];
export type HeadKind = TrainTrialOptions['task'];
