// The sweep playground's server side (app/README.md "Playground").
// POST /api/sweeps/[id]/playground — body `{ text, trialIds[], topK?, maxNewTokens?, serveUrl?, serveToken? }`:
//   the text through the base model and each listed trial's adapter on a `peft-lab serve`
//   (the form's serveUrl, else PEFT_LAB_SERVE_URL, else the sweep's own server, started on first
//   use, stopped after PEFT_LAB_PLAYGROUND_IDLE_MINUTES without a request) → `{ server: { url,
//   managed }, columns: PlaygroundColumn[] }`; a column's serve error is its status and message.
//   404 unknown sweep / trial, 400 a bad body, a serveUrl the dashboard may not fetch
//   (lib/playground/serve-url.ts: loopback / private / PEFT_LAB_SERVE_URL's origin, unless
//   PEFT_LAB_PLAYGROUND_ANY_URL=1) or a trial with no adapter, 502 a server that cannot be
//   started or reached.
// GET /api/sweeps/[id]/playground → `{ server: { url, pid, startedAt } | null, external: url | null }`.
import { getSweep, sweepTrialAdapters } from '@peft-lab/db';
import { getDb } from '../../../../../lib/db';
import { readJsonBody } from '../../../../../lib/body';
import { BadRequestError } from '../../../../../lib/errors';
import { appEnv } from '../../../../../lib/env';
import { json, route } from '../../../../../lib/responses';
import { playgroundRequestSchema, runPlayground, type ServeTarget } from '../../../../../lib/playground/run-playground';
import { runningServe, withServe } from '../../../../../lib/playground/serve-process';
import { serveUrlProblem } from '../../../../../lib/playground/serve-url';

export const dynamic = 'force-dynamic';

export const GET = route<{ id: string }>(async (_request, { id }) => {
  const sweep = await getSweep(getDb(), id);
  const running = await runningServe(sweep.id)?.catch(() => undefined);
  return json({
    server: running ? { url: running.url, pid: running.pid, startedAt: running.startedAt } : null,
    external: appEnv().PEFT_LAB_SERVE_URL ?? null,
  });
});

export const POST = route<{ id: string }>(async (request, { id }) => {
  const body = playgroundRequestSchema.parse(await readJsonBody(request));
  const env = appEnv();
  // The dashboard's server fetches it: only where PEFT_LAB_PLAYGROUND_ANY_URL or the local rule allows.
  const urlProblem = body.serveUrl ? serveUrlProblem(body.serveUrl, env) : null;
  if (urlProblem) throw new BadRequestError([`serveUrl: ${urlProblem}`]);
  const db = getDb();
  const sweep = await getSweep(db, id);
  // Which trials, checked before any server starts: one not in the sweep is a 404, one without an adapter a 400.
  const trials = body.trialIds.length ? await sweepTrialAdapters(db, id, { trialIds: body.trialIds }) : [];
  let target: ServeTarget | undefined;
  if (body.serveUrl) target = { url: body.serveUrl, token: body.serveToken };
  else if (env.PEFT_LAB_SERVE_URL) target = { url: env.PEFT_LAB_SERVE_URL, token: body.serveToken ?? env.PEFT_LAB_SERVE_TOKEN };
  if (target) return json({ server: { url: target.url, managed: false }, columns: await runPlayground(target, trials, body) });
  // The child inherits PEFT_LAB_TOKEN, and `peft-lab serve` then requires it. Not idle-stopped
  // while this request uses it; the idle countdown starts again when it is done.
  const model = (sweep.spec as { baseModel?: string }).baseModel ?? 'builtin';
  return withServe(sweep.id, model, { idleMinutes: env.PEFT_LAB_PLAYGROUND_IDLE_MINUTES }, async (serve) => {
    const columns = await runPlayground({ url: serve.url, token: env.PEFT_LAB_TOKEN }, trials, body);
    return json({ server: { url: serve.url, managed: true }, columns });
  });
});
