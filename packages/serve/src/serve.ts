/**
 * One serving process: the base model, the adapter pool, the batching queue and the HTTP API,
 * wired together. `peft-lab serve` calls `startServe`; tests and the bench do too.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AdapterPool, type AdapterListing, type AdapterSource } from './adapter-pool.js';
import { listen, type ArtifactResolver } from './http-server.js';
import { PredictQueue } from './predict-queue.js';
import { ServedModel } from './served-model.js';
import { ServeStats } from './serve-stats.js';

export interface StartServeOptions {
  /** Hugging Face checkpoint directory of the base model. */
  modelDir: string;
  /** What it is called (`builtin`, a registered name; default: the directory). */
  modelName?: string;
  /** Loaded at start, in order (a failing one stops the start: the CLI reports it). */
  adapters?: { name: string; source: AdapterSource }[];
  /** Default 8. */
  maxAdapters?: number;
  /** Default 8080; 0 = any free port. */
  port?: number;
  host?: string;
  /** Bearer token every call needs (the CLI passes PEFT_LAB_TOKEN). */
  token?: string;
  resolveArtifact?: ArtifactResolver;
  /** Texts per forward pass at most (default 32). */
  maxBatchTexts?: number;
  logError?: (err: unknown) => void;
}

export interface RunningServe {
  url: string;
  server: Server;
  served: ServedModel;
  pool: AdapterPool;
  queue: PredictQueue;
  stats: ServeStats;
  adapters: AdapterListing[];
  close(): Promise<void>;
}

export async function startServe(o: StartServeOptions): Promise<RunningServe> {
  const served = new ServedModel({ dir: o.modelDir, name: o.modelName ?? o.modelDir });
  const stats = new ServeStats();
  const pool = new AdapterPool(served, stats, o.maxAdapters ?? 8);
  try {
    const adapters = (o.adapters ?? []).map((a) => pool.add(a.name, a.source));
    const queue = new PredictQueue(served, pool, stats, o.maxBatchTexts ?? 32);
    const server = await listen({ served, pool, queue, stats, token: o.token, resolveArtifact: o.resolveArtifact, logError: o.logError }, o.port ?? 8080, o.host);
    const { port } = server.address() as AddressInfo;
    const host = o.host ?? '127.0.0.1';
    let closed: Promise<void> | undefined;
    return {
      url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`, server, served, pool, queue, stats, adapters,
      close: () => (closed ??= new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }).then(() => {
        pool.dispose();
        served.dispose();
      })),
    };
  } catch (err) {
    pool.dispose();
    served.dispose();
    throw err;
  }
}
