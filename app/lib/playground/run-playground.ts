// The playground's one request: a text through the base model and each chosen trial's adapter on
// a `peft-lab serve` (packages/serve/README.md's HTTP API), called from the dashboard's server so
// the serve token never reaches the browser. Trials the server does not hold yet are hot-loaded
// by trial id (POST /v1/adapters {artifact}). The predictions run one after another, so each
// column's latency is its own request's round trip from this server, not time spent queued
// behind another column's forward.
import { z } from 'zod';
import type { TrialAdapter } from '@peft-lab/db';
import { ServeUnavailableError } from '../errors';

export const playgroundRequestSchema = z.object({
  text: z.string().min(1, 'must not be empty'),
  /** Completed trials of the sweep whose adapters to compare (besides the base model). */
  trialIds: z.array(z.string().min(1)).max(16).default([]),
  topK: z.number().int().min(1).max(20).default(5),
  maxNewTokens: z.number().int().min(0).max(32).default(8),
  /** A running `peft-lab serve` to call instead of the dashboard's own (PEFT_LAB_SERVE_URL's place); the route allows only serve-url.ts's addresses. */
  serveUrl: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).optional(),
  /** That server's token (Authorization: Bearer). */
  serveToken: z.string().min(1).optional(),
}).strict();
export type PlaygroundRequest = z.output<typeof playgroundRequestSchema>;

/** The serve API's prediction for one text (packages/serve/src/predict.ts). */
export type ServePrediction =
  | { label: string; probabilities: Record<string, number> }
  | { tokens: { token: string; tag: string; probability: number }[] }
  | { topK: { token: string; id: number; probability: number }[]; continuation: string; continuationIds: number[] };

export interface PlaygroundColumn {
  /** The name on the server: `base`, or `<method>-<index>`. */
  adapter: string;
  trialId: string | null;
  method: string | null;
  index: number | null;
  /** The serve API's HTTP status for this column's last call. */
  status: number;
  head?: string;
  prediction?: ServePrediction;
  /** Round trip of the predict request, measured by the dashboard's server. */
  latencyMs?: number;
  /** The server's own message when status is not 2xx. */
  error?: string;
}

export interface ServeTarget {
  url: string;
  token?: string;
}

interface ServeAnswer {
  status: number;
  body: Record<string, unknown>;
}

async function callServe(target: ServeTarget, path: string, body?: unknown, method = body === undefined ? 'GET' : 'POST'): Promise<ServeAnswer> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (target.token) headers.authorization = `Bearer ${target.token}`;
  let res: Response;
  try {
    // redirect: error: serve never redirects, and following one would leave the address the route allowed (serve-url.ts)
    res = await fetch(new URL(path, target.url), { method, headers, body: body === undefined ? undefined : JSON.stringify(body), redirect: 'error', signal: AbortSignal.timeout(120_000) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new ServeUnavailableError(`serve: could not reach ${target.url} (${cause?.code ?? cause?.message ?? (err as Error).message})`);
  }
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) as Record<string, unknown> };
  } catch {
    throw new ServeUnavailableError(`serve: ${target.url}${path} answered ${res.status} with something other than JSON (${text.slice(0, 120)})`);
  }
}

/** The serve API's error message (`{error: {code, message}}`), else the status. */
function serveMessage(a: ServeAnswer): string {
  const e = a.body.error as { message?: string } | string | undefined;
  return (typeof e === 'string' ? e : e?.message) ?? `HTTP ${a.status}`;
}

interface ListedAdapter {
  name: string;
  source?: { kind?: string; ref?: string };
  meta?: { trialId?: string };
}

/**
 * Runs `text` through `base` and each trial's adapter on `target`, loading the missing adapters.
 * A column's serve error (unknown adapter, text too long, an adapter for another model) is that
 * column's `status` and `error`; only an unreachable server throws.
 * @throws ServeUnavailableError
 */
export async function runPlayground(target: ServeTarget, trials: TrialAdapter[], req: Pick<PlaygroundRequest, 'text' | 'topK' | 'maxNewTokens'>): Promise<PlaygroundColumn[]> {
  const listing = await callServe(target, '/v1/adapters');
  if (listing.status !== 200) throw new ServeUnavailableError(`serve: GET ${target.url}/v1/adapters answered ${listing.status}: ${serveMessage(listing)}`);
  const held = (listing.body.adapters as ListedAdapter[] | undefined) ?? [];
  const names = new Set(held.map((a) => a.name));
  const columns: PlaygroundColumn[] = [{ adapter: 'base', trialId: null, method: null, index: null, status: 0 }];
  for (const t of trials) {
    const column: PlaygroundColumn = { adapter: `${t.method}-${t.index}`, trialId: t.trialId, method: t.method, index: t.index, status: 0 };
    columns.push(column);
    const onServer = held.find((a) => a.meta?.trialId === t.trialId || (a.source?.kind === 'artifact' && a.source.ref === t.trialId));
    if (onServer) {
      column.adapter = onServer.name;
      continue;
    }
    // The server's naming (`<method>-<index>`), unless another adapter holds that name there.
    if (names.has(column.adapter)) column.adapter = `${column.adapter}-${t.trialId.slice(0, 8)}`;
    const loaded = await callServe(target, '/v1/adapters', { name: column.adapter, artifact: t.trialId });
    if (loaded.status !== 201) {
      column.status = loaded.status;
      column.error = serveMessage(loaded);
    } else names.add(column.adapter);
  }
  for (const column of columns) {
    if (column.error) continue;
    const t0 = performance.now();
    const answer = await callServe(target, '/v1/predict', { adapter: column.adapter, texts: [req.text], topK: req.topK, maxNewTokens: req.maxNewTokens });
    column.latencyMs = performance.now() - t0;
    column.status = answer.status;
    if (answer.status === 200) {
      column.head = answer.body.head as string;
      column.prediction = (answer.body.predictions as ServePrediction[])[0];
    } else column.error = serveMessage(answer);
  }
  return columns;
}
