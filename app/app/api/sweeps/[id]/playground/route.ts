// The sweep playground's server side (app/README.md "Playground").
// POST /api/sweeps/[id]/playground — body `{ text, trialIds[], topK?, maxNewTokens?, serveUrl?, serveToken? }`:
//   the text through the base model and each listed trial's adapter on a `peft-lab serve`
//   (the form's serveUrl, else PEFT_LAB_SERVE_URL, else the sweep's own server, started on first
//   use) → `{ server: { url, managed }, columns: PlaygroundColumn[] }`; a column's serve error is
//   its status and message. 404 unknown sweep / trial, 400 a bad body or a trial with no adapter,
//   502 a server that cannot be started or reached.
// GET /api/sweeps/[id]/playground → `{ server: { url, pid, startedAt } | null, external: url | null }`.
import { getSweep, sweepTrialAdapters } from '@peft-lab/db';
import { getDb } from '../../../../../lib/db';
import { readJsonBody } from '../../../../../lib/body';
import { appEnv } from '../../../../../lib/env';
import { json, route } from '../../../../../lib/responses';
import { playgroundRequestSchema, runPlayground, type ServeTarget } from '../../../../../lib/playground/run-playground';
import { ensureServe, runningServe } from '../../../../../lib/playground/serve-process';

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
  const db = getDb();
  const sweep = await getSweep(db, id);
  // Which trials, checked before any server starts: one not in the sweep is a 404, one without an adapter a 400.
  const trials = body.trialIds.length ? await sweepTrialAdapters(db, id, { trialIds: body.trialIds }) : [];
  const env = appEnv();
  let target: ServeTarget;
  let managed = false;
  if (body.serveUrl) target = { url: body.serveUrl, token: body.serveToken };
  else if (env.PEFT_LAB_SERVE_URL) target = { url: env.PEFT_LAB_SERVE_URL, token: body.serveToken ?? env.PEFT_LAB_SERVE_TOKEN };
  else {
    // The child inherits PEFT_LAB_TOKEN, and `peft-lab serve` then requires it.
    const serve = await ensureServe(sweep.id, (sweep.spec as { baseModel?: string }).baseModel ?? 'builtin');
    target = { url: serve.url, token: env.PEFT_LAB_TOKEN };
    managed = true;
  }
  const columns = await runPlayground(target, trials, body);
  return json({ server: { url: target.url, managed }, columns });
});
