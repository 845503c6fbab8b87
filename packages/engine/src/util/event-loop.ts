/**
 * Lets timers run between synchronous stretches of tensor work. tfjs-node resolves `data()`
 * without a macrotask turn, so a loop of forward passes that only awaits `data()` starves
 * setInterval: a worker's lease heartbeat would not fire until the loop ended, and the lease
 * would lapse under a trial that is still running.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
