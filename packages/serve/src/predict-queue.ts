/**
 * Requests wait here until the forward pass before them ends; then every waiting request that
 * names the same adapter as the oldest one runs in one batch (up to `maxBatchTexts` texts), with
 * that adapter active. Adapters are never mixed inside one forward: the engine's hooks are
 * per model, and only LoRA could mix them (peft's `adapter_names`), which this server does not do.
 */
import { TextTooLongError, BadRequestError } from './errors.js';
import type { AdapterPool } from './adapter-pool.js';
import { predictBatch, type Prediction, type PredictOptions } from './predict.js';
import type { ServedModel } from './served-model.js';
import type { ServeStats } from './serve-stats.js';

interface Waiting {
  adapter: string;
  rows: number[][];
  opts: PredictOptions;
  arrived: number;
  resolve(p: Prediction[]): void;
  reject(err: unknown): void;
}

export class PredictQueue {
  private readonly waiting: Waiting[] = [];
  private scheduled = false;
  /** Predict requests whose bodies are still being read (`arriving` … `arrived`). */
  private inFlight = 0;

  /**
   * @param maxWaitMs how long the oldest request may wait for requests still being read to join
   *   its batch; only while some are in flight, so a lone request never waits.
   */
  constructor(
    private readonly served: ServedModel,
    private readonly pool: AdapterPool,
    private readonly stats: ServeStats,
    private readonly maxBatchTexts = 32,
    private readonly maxWaitMs = 5,
  ) {}

  /** A predict request started arriving (the HTTP layer calls this before reading its body). */
  arriving(): void {
    this.inFlight++;
  }

  /** …and was queued or refused. */
  arrived(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
  }

  /**
   * Tokenizes and checks `texts` now (so a bad text fails alone), then queues them.
   * @throws UnknownAdapterError (404), BadRequestError (400: empty text), TextTooLongError (413)
   */
  predict(adapter: string, texts: string[], opts: PredictOptions): Promise<Prediction[]> {
    const { maxTokens } = this.pool.describe(adapter);
    const rows = texts.map((t, i) => {
      const ids = this.served.tokenizer.encode(t);
      if (!ids.length) throw new BadRequestError(`texts[${i}]`, 'has no tokens (empty text)');
      if (ids.length > maxTokens) throw new TextTooLongError(i, ids.length, maxTokens);
      return ids;
    });
    return new Promise((resolve, reject) => {
      this.waiting.push({ adapter, rows, opts, arrived: performance.now(), resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // setImmediate, not a microtask: requests whose bodies arrive meanwhile join the batch.
    setImmediate(() => {
      this.scheduled = false;
      const oldest = this.waiting[0];
      // Bodies of concurrent requests are parsed over several loop turns after a forward has
      // blocked the loop: give them a few milliseconds to join, or each would run alone.
      if (oldest && this.inFlight > 0 && performance.now() - oldest.arrived < this.maxWaitMs) {
        this.scheduled = true;
        setTimeout(() => {
          this.scheduled = false;
          this.schedule();
        }, 1);
        return;
      }
      this.runOne();
      if (this.waiting.length) this.schedule();
    });
  }

  /** One forward batch: the oldest request's adapter, with every waiting request for it that fits. */
  private runOne(): void {
    const first = this.waiting[0];
    if (!first) return;
    const batch: Waiting[] = [];
    let texts = 0;
    for (const w of this.waiting) {
      if (w.adapter !== first.adapter || sameOptions(w.opts, first.opts) === false) continue;
      if (batch.length && texts + w.rows.length > this.maxBatchTexts) break;
      batch.push(w);
      texts += w.rows.length;
    }
    for (const w of batch) this.waiting.splice(this.waiting.indexOf(w), 1);
    try {
      const model = this.pool.activate(first.adapter);
      const { head, labels, maxTokens } = this.pool.describe(first.adapter);
      const out = predictBatch(model, head, this.served.tokenizer, labels, batch.flatMap((w) => w.rows), first.opts, maxTokens);
      this.stats.forwardBatch.add(texts);
      let at = 0;
      const now = performance.now();
      for (const w of batch) {
        w.resolve(out.slice(at, at + w.rows.length));
        at += w.rows.length;
        this.stats.addLatency(w.rows.length, now - w.arrived);
      }
    } catch (err) {
      for (const w of batch) w.reject(err);
    }
  }
}

/** Requests batch together only with the same generation settings (they shape the loop). */
const sameOptions = (a: PredictOptions, b: PredictOptions) => a.topK === b.topK && a.maxNewTokens === b.maxNewTokens;
