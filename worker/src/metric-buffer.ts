// Metric points are buffered and written in batches (every flushMs or maxPoints),
// never one statement per step. A failed write keeps its points for the next try
// (the database may be restarting); a lost lease drops them (the trial is not ours).
import type { MetricPointInput, TrialLease, TrialQueue } from '@peft-lab/db';
import { isConnectionError } from './backoff.js';

export class MetricBuffer {
  private points: MetricPointInput[] = [];
  private inFlight: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** Points stored so far (new rows, as the database counted them). */
  written = 0;

  constructor(
    private readonly queue: TrialQueue,
    private readonly lease: TrialLease,
    private readonly opts: { flushMs: number; maxPoints: number; onLeaseLost: (err: Error) => void; onRetry?: (err: Error) => void },
  ) {}

  start(): void {
    this.timer = setInterval(() => { void this.flush().catch(() => {}); }, this.opts.flushMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  add(...points: MetricPointInput[]): void {
    this.points.push(...points);
    if (this.points.length >= this.opts.maxPoints) void this.flush().catch(() => {});
  }

  get pending(): number {
    return this.points.length;
  }

  /** Drops what is buffered (the trial is no longer ours). */
  discard(): void {
    this.points = [];
  }

  /**
   * Writes everything buffered now (one flush at a time, in order).
   * @throws the write's error: connection errors keep the points; a lost lease discards them.
   */
  async flush(): Promise<void> {
    while (this.inFlight) await this.inFlight.catch(() => {});
    if (this.points.length === 0) return;
    const batch = this.points;
    this.points = [];
    const p = (async () => {
      try {
        this.written += await this.queue.writeMetricPoints(this.lease, batch);
      } catch (err) {
        if (isConnectionError(err)) {
          this.points = batch.concat(this.points);
          this.opts.onRetry?.(err as Error);
        } else {
          this.discard();
          this.opts.onLeaseLost(err as Error);
        }
        throw err;
      }
    })();
    this.inFlight = p;
    try {
      await p;
    } finally {
      if (this.inFlight === p) this.inFlight = null;
    }
  }
}
