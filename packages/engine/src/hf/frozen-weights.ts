/**
 * Frozen base weights loaded once per process and lent to every model built on the
 * same checkpoint: a worker running a sweep's LoRA / adapter / prefix / prompt trials
 * reads and converts the checkpoint once instead of once per trial, and never holds two
 * copies of it while one trial's model is freed and the next one's is loaded.
 *
 * Only what nothing writes is lent: weights read from the checkpoint (not a head
 * initialised from the trial's seed) of a model whose method keeps them frozen. Full
 * fine-tuning loads its own copy (`loadHfModel` without a cache). LoRA's merge swaps
 * in merged variables instead of writing into the base ones (`peft/lora/layer.ts`).
 *
 * The entry is keyed by the directory's real path and the size and mtime of its
 * config and weight files, so a checkpoint rewritten in place is read again.
 */
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';

interface Entry {
  variables: Map<string, tf.Variable>;
  /** Models currently built on this entry. */
  users: number;
  /** Bytes of float32 data held (for the memory check: already resident). */
  bytes: number;
}

/** What one model holds from the cache until it is disposed. */
export interface FrozenWeightLease {
  /** The shared variable for `name`, read once with `load` (which must give a frozen variable). */
  get(name: string, load: () => tf.Variable): tf.Variable;
  /** Gives the lease back; the entry is freed when idle and another checkpoint needs the room. */
  release(): void;
}

export class FrozenWeightCache {
  private readonly entries = new Map<string, Entry>();

  /** @param keepIdle checkpoints kept loaded with no model using them (default 1: the last one). */
  constructor(private readonly keepIdle = 1) {}

  /** Bytes already resident for `dir` (0 when it is not loaded or was changed on disk). */
  residentBytes(dir: string): number {
    return this.entries.get(checkpointKey(dir))?.bytes ?? 0;
  }

  /** Number of checkpoints loaded (used or idle). */
  get size(): number {
    return this.entries.size;
  }

  acquire(dir: string): FrozenWeightLease {
    const key = checkpointKey(dir);
    let entry = this.entries.get(key);
    if (!entry) {
      // Make room first: an idle checkpoint would otherwise sit beside the one being read.
      this.evictIdle(this.keepIdle - 1);
      entry = { variables: new Map(), users: 0, bytes: 0 };
      this.entries.set(key, entry);
    }
    const e = entry;
    e.users++;
    let released = false;
    return {
      get: (name, load) => {
        let v = e.variables.get(name);
        if (!v || v.isDisposed) {
          v = load();
          if (v.trainable) throw new Error(`frozen weight cache: ${name} was loaded trainable`);
          e.variables.set(name, v);
          e.bytes += v.size * 4;
        }
        return v;
      },
      release: () => {
        if (released) return;
        released = true;
        e.users--;
        // Most recently used stays last in the map, so eviction takes the oldest idle first.
        this.entries.delete(key);
        this.entries.set(key, e);
        this.evictIdle(this.keepIdle);
      },
    };
  }

  /** Frees every idle checkpoint (models still using one keep it). */
  clear(): void {
    this.evictIdle(0);
  }

  private evictIdle(keep: number): void {
    const idle = [...this.entries].filter(([, e]) => e.users === 0);
    for (const [key, e] of idle.slice(0, Math.max(0, idle.length - Math.max(0, keep)))) {
      for (const v of e.variables.values()) v.dispose();
      this.entries.delete(key);
    }
  }
}

/** Real path + size and mtime of config.json and every safetensors file and index. */
function checkpointKey(dir: string): string {
  const real = existsSync(dir) ? realpathSync(dir) : dir;
  const files = existsSync(real) ? readdirSync(real).filter((f) => f === 'config.json' || f.includes('.safetensors')).sort() : [];
  const stamps = files.map((f) => {
    const s = statSync(join(real, f));
    return `${f}:${s.size}:${s.mtimeMs}`;
  });
  return `${real}|${stamps.join(',')}`;
}
