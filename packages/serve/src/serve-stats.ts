/**
 * What `GET /v1/stats` reports, measured by the server as it runs: adapter switch time, adapter
 * load time, request latency at batch 1 and 8 (texts per request) and the memory each extra
 * adapter takes. Samples are kept in bounded rings, so a long-running server stays small.
 */

/** The last `cap` samples of one measure. */
export class SampleRing {
  private readonly values: number[] = [];
  private next = 0;
  count = 0;

  constructor(private readonly cap = 2048) {}

  add(v: number): void {
    this.count++;
    if (this.values.length < this.cap) this.values.push(v);
    else {
      this.values[this.next] = v;
      this.next = (this.next + 1) % this.cap;
    }
  }

  /** count (all time), and p50 / p99 / mean / max over the kept samples; null values when none. */
  summary(): { count: number; p50: number | null; p99: number | null; mean: number | null; max: number | null } {
    if (!this.values.length) return { count: this.count, p50: null, p99: null, mean: null, max: null };
    const s = [...this.values].sort((a, b) => a - b);
    const q = (p: number) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
    return { count: this.count, p50: q(0.5), p99: q(0.99), mean: s.reduce((a, b) => a + b, 0) / s.length, max: s[s.length - 1] };
  }
}

export class ServeStats {
  /** Changing the active adapter of a model, in milliseconds (`setActiveAdapter`). */
  readonly switchMs = new SampleRing();
  /** Reading an adapter directory onto the model, in milliseconds. */
  readonly loadMs = new SampleRing();
  /** Bytes of tensor memory one loaded adapter added. */
  readonly adapterBytes = new SampleRing();
  /** Request latency (arrival to answer, queueing included) by texts per request. */
  private readonly latency = new Map<number, SampleRing>();
  /** Texts per forward pass (several requests of one adapter run as one batch). */
  readonly forwardBatch = new SampleRing();
  requests = 0;
  errors = 0;
  evictions = 0;

  addLatency(texts: number, ms: number): void {
    let r = this.latency.get(texts);
    if (!r) this.latency.set(texts, (r = new SampleRing()));
    r.add(ms);
  }

  latencyOf(texts: number) {
    return (this.latency.get(texts) ?? new SampleRing()).summary();
  }

  /** Batch 1 and 8 always; any other request size seen, under its size. */
  latencySummary(): Record<string, ReturnType<SampleRing['summary']>> {
    const out: Record<string, ReturnType<SampleRing['summary']>> = { batch1: this.latencyOf(1), batch8: this.latencyOf(8) };
    for (const n of [...this.latency.keys()].sort((a, b) => a - b)) if (n !== 1 && n !== 8) out[`batch${n}`] = this.latencyOf(n);
    return out;
  }
}
