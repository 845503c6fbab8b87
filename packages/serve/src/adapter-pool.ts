/**
 * The adapters a server knows, at most `maxAdapters` of them loaded (least recently used
 * unloaded first; an unloaded one is read again from its directory when a request names it).
 * Each attaches to the served model of its head (`ServedModel.model`) under its own name; the
 * engine's `setActiveAdapter` switches between them, which is only a hooks swap for unmerged
 * methods — that is the switch time `GET /v1/stats` reports.
 */
import { existsSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { isPeftLabError } from '@peft-lab/errors';
import { detachPeft, setActiveAdapter, type HeadKind, type MethodName, type SequencePooling } from '@peft-lab/engine';
import { AdapterMismatchError, AdapterNameTakenError, BadRequestError, UnknownAdapterError } from './errors.js';
import { checkAdapterFitsBase, loadAdapterOnto, readAdapterDir, type AdapterDirInfo } from './load-adapter.js';
import type { ServedModel } from './served-model.js';
import type { ServeStats } from './serve-stats.js';

type TransformerModel = ServedModel['base'];

/** Where an adapter comes from. An artifact is written to a directory first (see the CLI's sweep loader). */
export interface AdapterSource {
  kind: 'dir' | 'artifact';
  /** The directory, or the artifact reference (trial id) the client gave. */
  ref: string;
  /** The PEFT adapter directory on disk. */
  dir: string;
  /** Class names by index for a classification head (default LABEL_i). */
  labels?: string[];
  /** Decoder sequence-classification pooling the adapter was trained with (default 'last'). */
  pooling?: SequencePooling;
  /** Seed of a classification head the checkpoint lacks and the adapter does not save (the trial's seed). */
  seed?: number;
  /** The checkpoint directory the adapter was trained on, when known (a sweep's base model): another one than the served is refused. */
  baseModelDir?: string;
  /** Shown in `GET /v1/adapters` (trial id, method, metric…). */
  meta?: Record<string, unknown>;
  /** Called when the adapter is removed (an artifact's temporary directory). */
  cleanup?: () => void;
}

interface Loaded {
  model: TransformerModel;
  bytes: number;
  loadMs: number;
}

interface Entry {
  name: string;
  source: AdapterSource;
  info: AdapterDirInfo;
  loaded: Loaded | null;
  loads: number;
}

export interface AdapterListing {
  name: string;
  method: MethodName;
  head: HeadKind;
  labels: string[] | null;
  loaded: boolean;
  source: { kind: AdapterSource['kind']; ref: string };
  maxTokens: number;
  loadMs: number | null;
  bytes: number | null;
  meta?: Record<string, unknown>;
}

/** Names a client may give: what a URL path segment carries without escaping. */
export const ADAPTER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** `adapter: "base"` runs the causal-LM base model without an adapter. */
export const BASE_ADAPTER = 'base';

const sameDir = (a: string, b: string) => {
  const real = (d: string) => (existsSync(d) ? realpathSync(d) : resolve(d));
  return real(a) === real(b);
};

export class AdapterPool {
  /** Insertion order = recency: a used entry is moved to the end. */
  private readonly entries = new Map<string, Entry>();
  /** The adapter each served model runs now (a hooks swap changes it). */
  private readonly active = new WeakMap<TransformerModel, string | null>();

  constructor(private readonly served: ServedModel, private readonly stats: ServeStats, readonly maxAdapters = 8) {
    if (!Number.isInteger(maxAdapters) || maxAdapters < 1) throw new BadRequestError('maxAdapters', `must be an integer ≥ 1 (got ${maxAdapters})`);
  }

  has(name: string): boolean {
    return name === BASE_ADAPTER || this.entries.has(name);
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  /**
   * Registers and loads adapter `name` (a failed load registers nothing).
   * @throws BadRequestError (bad name), AdapterNameTakenError (409), AdapterFormatError / AdapterMismatchError (422)
   */
  add(name: string, source: AdapterSource): AdapterListing {
    if (!ADAPTER_NAME.test(name) || name === BASE_ADAPTER) throw new BadRequestError('name', `${JSON.stringify(name)} must match ${ADAPTER_NAME} and not be "${BASE_ADAPTER}"`);
    if (this.entries.has(name)) throw new AdapterNameTakenError(name);
    if (source.baseModelDir && !sameDir(source.baseModelDir, this.served.dir)) {
      throw new AdapterMismatchError(name, `it was trained on ${source.baseModelDir}, the server runs ${this.served.dir}`);
    }
    const info = readAdapterDir(name, source.dir);
    if (source.labels && info.numLabels !== undefined && source.labels.length !== info.numLabels) {
      throw new BadRequestError('labels', `${source.labels.length} names for the ${info.numLabels} classes adapter ${JSON.stringify(name)} scores`);
    }
    const entry: Entry = { name, source, info, loaded: null, loads: 0 };
    this.load(entry);
    this.entries.set(name, entry);
    this.evictOver(this.maxAdapters, name);
    return this.listing(entry);
  }

  /** Unloads and forgets `name`. @throws UnknownAdapterError */
  remove(name: string): void {
    const e = this.entries.get(name);
    if (!e) throw new UnknownAdapterError(name, this.names());
    this.unload(e);
    this.entries.delete(name);
    e.source.cleanup?.();
  }

  list(): AdapterListing[] {
    return [...this.entries.values()].map((e) => this.listing(e));
  }

  /** What a request for `name` runs with: head, labels, the text limit. @throws UnknownAdapterError */
  describe(name: string): { head: HeadKind; labels: string[]; maxTokens: number } {
    if (name === BASE_ADAPTER) return { head: 'causal-lm', labels: [], maxTokens: this.served.maxPositions };
    const e = this.entries.get(name);
    if (!e) throw new UnknownAdapterError(name, this.names());
    return { head: e.info.head, labels: e.source.labels ?? [], maxTokens: this.served.maxPositions - e.info.virtualTokens };
  }

  /**
   * Makes `name` the active adapter of its model (loading it again if it was evicted) and returns
   * the model. The switch itself is timed into the stats when the active adapter changes.
   * @throws UnknownAdapterError
   */
  activate(name: string): TransformerModel {
    let model: TransformerModel;
    let target: string | null = name;
    if (name === BASE_ADAPTER) {
      model = this.headModel(BASE_ADAPTER, () => this.served.base);
      target = null;
    } else {
      const e = this.entries.get(name);
      if (!e) throw new UnknownAdapterError(name, this.names());
      this.entries.delete(name);
      this.entries.set(name, e);
      if (!e.loaded) {
        this.load(e);
        this.evictOver(this.maxAdapters, name);
      }
      model = e.loaded!.model;
    }
    if ((this.active.get(model) ?? null) !== target) {
      const t0 = performance.now();
      setActiveAdapter(model, target);
      this.stats.switchMs.add(performance.now() - t0);
      this.active.set(model, target);
    }
    return model;
  }

  dispose(): void {
    for (const name of this.names()) this.remove(name);
  }

  private load(e: Entry): void {
    const { info, source } = e;
    const model = this.headModel(e.name, () => this.served.model(info.head, info.numLabels, source.pooling, source.seed));
    checkAdapterFitsBase(e.name, info, model, this.served.aliases);
    const before = tf.memory().numBytes;
    const t0 = performance.now();
    loadAdapterOnto(model, info, e.name);
    const loadMs = performance.now() - t0;
    const bytes = tf.memory().numBytes - before;
    e.loaded = { model, bytes, loadMs };
    e.loads++;
    this.stats.loadMs.add(loadMs);
    this.stats.adapterBytes.add(bytes);
  }

  /** The served model of a head; a head the model's family does not have is the adapter's misfit (422). */
  private headModel(adapter: string, get: () => TransformerModel): TransformerModel {
    try {
      return get();
    } catch (err) {
      if (isPeftLabError(err) && (err as { code: string }).code === 'UNSUPPORTED_CONFIG') throw new AdapterMismatchError(adapter, (err as Error).message, { cause: err });
      throw err;
    }
  }

  private unload(e: Entry): void {
    if (!e.loaded) return;
    const { model } = e.loaded;
    if (this.active.get(model) === e.name) this.active.set(model, null);
    detachPeft(model, e.name);
    e.loaded = null;
  }

  /** Unloads the least recently used adapters until at most `cap` are loaded, never `keep`. */
  private evictOver(cap: number, keep: string): void {
    let loaded = [...this.entries.values()].filter((e) => e.loaded);
    for (const e of loaded) {
      if (loaded.length <= cap) break;
      if (e.name === keep) continue;
      this.unload(e);
      this.stats.evictions++;
      loaded = loaded.filter((x) => x !== e);
    }
  }

  private listing(e: Entry): AdapterListing {
    return {
      name: e.name, method: e.info.method, head: e.info.head, labels: e.source.labels ?? null, loaded: e.loaded !== null,
      source: { kind: e.source.kind, ref: e.source.ref }, maxTokens: this.served.maxPositions - e.info.virtualTokens,
      loadMs: e.loaded?.loadMs ?? null, bytes: e.loaded?.bytes ?? null, ...(e.source.meta ? { meta: e.source.meta } : {}),
    };
  }
}
