/** Linear warmup from 0 to `lr` over `warmupSteps`, then linear decay to 0 at `totalSteps`. `step` is 0-based. */
export function warmupLinearDecay(step: number, lr: number, warmupSteps: number, totalSteps: number): number {
  if (warmupSteps > 0 && step < warmupSteps) return (lr * (step + 1)) / warmupSteps;
  const remaining = Math.max(0, totalSteps - step);
  const span = Math.max(1, totalSteps - warmupSteps);
  return lr * Math.min(1, remaining / span);
}
