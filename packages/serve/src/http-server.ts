/**
 * The HTTP API (JSON over node:http):
 * - `POST /v1/predict {adapter, texts[], topK?, maxNewTokens?}` → `{adapter, head, predictions[]}`
 * - `GET /v1/adapters` → `{adapters[], maxAdapters}`; `POST /v1/adapters {name, dir | artifact}` hot-loads;
 *   `DELETE /v1/adapters/NAME` unloads
 * - `GET /v1/stats` → switch / load time, latency p50/p99 at batch 1 and 8, bytes per adapter
 * - `GET /healthz` (no token needed: a liveness probe)
 *
 * Errors are `{error: {code, message}}` with the status of the ServeRequestError (4xx), 400 with
 * the field path for a zod failure, 500 for anything else; a failing request never stops the server.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { z, ZodError } from 'zod';
import { isPeftLabError } from '@peft-lab/errors';
import { BadRequestError, ServeRequestError, UnauthorizedError } from './errors.js';
import type { AdapterPool, AdapterSource } from './adapter-pool.js';
import type { PredictQueue } from './predict-queue.js';
import type { ServedModel } from './served-model.js';
import type { ServeStats } from './serve-stats.js';

/** Request bodies above this are refused (413) before parsing. */
export const MAX_BODY_BYTES = 1024 * 1024;

export const predictRequestSchema = z.object({
  adapter: z.string().min(1),
  texts: z.array(z.string()).min(1).max(64),
  topK: z.number().int().min(1).max(50).default(5),
  maxNewTokens: z.number().int().min(0).max(64).default(8),
});

export const loadAdapterRequestSchema = z
  .object({
    name: z.string().min(1),
    dir: z.string().min(1).optional(),
    artifact: z.string().min(1).optional(),
    /** dir only (an artifact brings its task's): class names by index; default LABEL_i. */
    labels: z.array(z.string().min(1)).min(1).optional(),
    /** dir only: the decoder sequence-classification pooling it was trained with (adapter_config.json does not record it). */
    pooling: z.enum(['last', 'mean']).optional(),
  })
  .refine((b) => (b.dir === undefined) !== (b.artifact === undefined), { message: 'give exactly one of dir and artifact', path: ['dir'] });

/** Turns an artifact reference (a trial id) into an adapter directory; given by the CLI, which reaches the database. */
export type ArtifactResolver = (ref: string) => Promise<AdapterSource>;

export interface ServeApiOptions {
  served: ServedModel;
  pool: AdapterPool;
  queue: PredictQueue;
  stats: ServeStats;
  /** When set, every call but /healthz needs `Authorization: Bearer <token>`. */
  token?: string;
  resolveArtifact?: ArtifactResolver;
  /** Unexpected (500) errors go here; default console.error. */
  logError?: (err: unknown) => void;
}

class HttpError extends ServeRequestError {}

/** The resolver's own errors (the database's): not found → 404, other bad input → 422, naming the artifact. */
async function resolveArtifact(resolve: ArtifactResolver, ref: string): Promise<AdapterSource> {
  try {
    return await resolve(ref);
  } catch (err) {
    if (err instanceof ServeRequestError || !isPeftLabError(err)) throw err;
    const e = err as Error & { code: string; badInput?: boolean };
    if (e.code === 'NOT_FOUND') throw new HttpError('SERVE_UNKNOWN_ARTIFACT', 404, `artifact: ${e.message}`, { cause: err });
    if (e.badInput) throw new HttpError('SERVE_BAD_ARTIFACT', 422, `artifact: ${e.message}`, { cause: err });
    throw err;
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError('SERVE_BODY_TOO_LARGE', 413, `request body: over ${MAX_BODY_BYTES} bytes`);
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BadRequestError('body', `not valid JSON (${(err as Error).message})`);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function authorized(req: IncomingMessage, token: string): boolean {
  const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
  if (!m) return false;
  const a = Buffer.from(m[1]);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The request handler (exported for tests that drive it without a socket). */
export function serveApiHandler(o: ServeApiOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { pool, queue, stats, served } = o;
  const logError = o.logError ?? ((err: unknown) => console.error('peft-lab serve:', err));

  /** Reads, checks and queues one predict request; the queue counts it as in flight until then (it may join a batch). */
  async function queuePredict(req: IncomingMessage) {
    queue.arriving();
    try {
      const body = predictRequestSchema.parse(await readJson(req));
      const { head } = pool.describe(body.adapter);
      return { adapter: body.adapter, head, pending: queue.predict(body.adapter, body.texts, { topK: body.topK, maxNewTokens: body.maxNewTokens }) };
    } finally {
      queue.arrived();
    }
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (path === '/healthz' && req.method === 'GET') return send(res, 200, { ok: true });
    if (o.token && !authorized(req, o.token)) throw new UnauthorizedError();
    if (path === '/v1/predict' && req.method === 'POST') {
      const { adapter, head, pending } = await queuePredict(req);
      return send(res, 200, { adapter, head, predictions: await pending });
    }
    if (path === '/v1/adapters' && req.method === 'GET') return send(res, 200, { model: served.name, maxAdapters: pool.maxAdapters, adapters: pool.list() });
    if (path === '/v1/adapters' && req.method === 'POST') {
      const body = loadAdapterRequestSchema.parse(await readJson(req));
      let source: AdapterSource;
      if (body.dir !== undefined) source = { kind: 'dir', ref: body.dir, dir: body.dir, labels: body.labels, pooling: body.pooling };
      else if (!o.resolveArtifact) throw new BadRequestError('artifact', 'this server has no database to read artifacts from (start it with --sweep, or give dir)');
      else source = await resolveArtifact(o.resolveArtifact, body.artifact!);
      try {
        return send(res, 201, pool.add(body.name, source));
      } catch (err) {
        source.cleanup?.();
        throw err;
      }
    }
    const one = /^\/v1\/adapters\/([^/]+)$/.exec(path);
    if (one && req.method === 'DELETE') {
      let name: string;
      try {
        name = decodeURIComponent(one[1]);
      } catch {
        throw new BadRequestError('NAME', `${JSON.stringify(one[1])} is not a valid URL path segment`);
      }
      pool.remove(name);
      return send(res, 200, { removed: name });
    }
    if (path === '/v1/stats' && req.method === 'GET') {
      return send(res, 200, {
        model: { name: served.name, loadMs: served.loadMs, maxPositions: served.maxPositions },
        adapters: { known: pool.names().length, loaded: pool.list().filter((a) => a.loaded).length, max: pool.maxAdapters, evictions: stats.evictions },
        switchMs: stats.switchMs.summary(),
        loadMs: stats.loadMs.summary(),
        bytesPerAdapter: stats.adapterBytes.summary(),
        latencyMs: stats.latencySummary(),
        textsPerForward: stats.forwardBatch.summary(),
        requests: stats.requests,
        errors: stats.errors,
      });
    }
    throw new HttpError('SERVE_NOT_FOUND', 404, `${req.method} ${path}: no such route (POST /v1/predict, GET|POST /v1/adapters, DELETE /v1/adapters/NAME, GET /v1/stats)`);
  }

  return (req, res) => {
    stats.requests++;
    route(req, res).catch((err) => {
      stats.errors++;
      if (err instanceof ZodError) {
        const issue = err.issues[0];
        const field = issue.path.length ? issue.path.join('.') : 'body';
        return send(res, 400, { error: { code: 'SERVE_BAD_REQUEST', message: `${field}: ${issue.message}` } });
      }
      if (err instanceof ServeRequestError) return send(res, err.status, { error: { code: err.code, message: err.message } });
      logError(err);
      send(res, 500, { error: { code: 'SERVE_INTERNAL', message: (err as Error)?.message ?? String(err) } });
    });
  };
}

/** Starts listening on `port` (0: any free port); resolves once bound. */
export function listen(o: ServeApiOptions, port: number, host = '127.0.0.1'): Promise<Server> {
  const server = createServer(serveApiHandler(o));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
