// Trial and sweep states are the Prisma enums (one definition, in prisma/schema.prisma);
// this file adds the questions callers ask about them.
import { SweepStatus, TrialStatus } from './generated/enums';

/** State of one trial (the Prisma `TrialStatus` enum under its queue name). */
export const TrialState = TrialStatus;
export type TrialState = TrialStatus;

export const FINISHED_TRIAL_STATES: readonly TrialState[] = ['completed', 'failed', 'cancelled', 'pruned'];
export const FINISHED_SWEEP_STATES: readonly SweepStatus[] = ['completed', 'failed', 'cancelled'];

/** True for final states: a finished trial is frozen (every write to it throws TrialFinishedError). */
export function isFinished(state: TrialState): boolean {
  return FINISHED_TRIAL_STATES.includes(state);
}

export function isSweepFinished(status: SweepStatus): boolean {
  return FINISHED_SWEEP_STATES.includes(status);
}
