import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Db } from '@peft-lab/db';
import { CliInputError, SweepFailedError } from '../errors.js';
import { positiveInt, readInputFile } from '../paths.js';
import { printTable } from '../table.js';

// Heavy modules (Prisma, TensorFlow.js) load inside the actions, so `--help` is instant.
const withDatabase: typeof import('../database.js').withDatabase = async (o, fn) => (await import('../database.js')).withDatabase(o, fn);

export function register(program: Command): void {
  const sweep = program.command('sweep').description('create, run, inspect and cancel sweeps');

  sweep
    .command('create')
    .description('validate a sweep spec (YAML or JSON) and queue its trials; prints the sweep id')
    .argument('<file>', 'sweep spec file')
    .option('--json', 'print { id, trials } as JSON')
    .option('--external', 'trained elsewhere (ask-and-tell): an adaptive (tpe) sweep whose trials `sweep ask` hands out and `sweep tell` records; workers never take them')
    .option('--data-dir <dir>', 'PEFT Lab home (embedded PostgreSQL) when DATABASE_URL is unset')
    .action(async (file: string, o) => {
      const text = readInputFile('FILE', file);
      await withDatabase(o, async ({ db }) => {
        const { sweep: s, trialIds, notes } = await submitSweepFile(db, file, text, { external: o.external === true, quiet: o.json === true });
        console.log(o.json ? JSON.stringify({ id: s.id, name: s.name, trials: trialIds.length, external: s.external, notes }) : s.id);
      });
    });

  sweep
    .command('run')
    .description('create a sweep, run it to completion with a local worker, and write its report in every format')
    .argument('<file>', 'sweep spec file')
    .option('--report <dir>', 'directory for the report files (csv, json, md, tex, html)')
    .option('--concurrency <n>', 'trials run at once', '1')
    .option('--backend <name>', 'auto | tensorflow | wasm | cpu')
    .option('--lease-ms <ms>', 'lease length', '30000')
    .option('--log-file <path>', 'structured JSON logs to this file (default stderr)')
    .option('--no-progress', 'no progress lines')
    .option('--data-dir <dir>', 'PEFT Lab home (embedded PostgreSQL) when DATABASE_URL is unset')
    .action(async (file: string, o) => {
      const text = readInputFile('FILE', file);
      const concurrency = positiveInt('--concurrency', o.concurrency, 1);
      const leaseMs = positiveInt('--lease-ms', o.leaseMs, 30_000);
      const { getSweep, isSweepFinished } = await import('@peft-lab/db');
      const { createLogger, runWorker, workerEnv } = await import('@peft-lab/worker');
      const { writeReports } = await import('../reports.js');
      await withDatabase(o, async ({ db }) => {
        const { sweep: s, trialIds } = await submitSweepFile(db, file, text);
        const adaptive = (s.spec as { strategy?: { type?: string } }).strategy?.type === 'tpe';
        const budget = (s.spec as { budget?: { maxTrials?: number } }).budget?.maxTrials;
        console.log(`sweep ${s.id} (${s.name}): ${adaptive ? `adaptive, up to ${budget} trials suggested one at a time` : `${trialIds.length} trials`}`);
        const finished = async () => isSweepFinished((await getSweep(db, s.id)).status);
        const summary = await runWorker({
          db, concurrency, leaseMs, backend: o.backend, log: createLogger({ file: o.logFile, level: workerEnv().PEFT_LAB_LOG_LEVEL ?? 'warn' }),
          progress: o.progress === false ? 'off' : undefined, stopWhen: finished,
        });
        const final = await getSweep(db, s.id);
        const c = final.counts;
        console.log(`sweep ${final.status}: ${c.completed} completed, ${c.failed} failed, ${c.pruned} pruned, ${c.cancelled} cancelled (backend ${summary.backend.name})`);
        if (o.report) {
          const written = await writeReports(db, s.id, resolve(o.report));
          for (const f of written) console.log(`wrote ${f}`);
        }
        if (summary.interrupted) console.log(`interrupted: resume with \`peft-lab worker\` (sweep ${s.id})`);
        else if (final.status === 'failed' || c.completed === 0) throw new SweepFailedError(s.id, c);
      });
    });

  sweep
    .command('status')
    .description("a sweep's trials: status, progress, objective")
    .argument('<id>', 'sweep id')
    .option('--json', 'machine-readable output')
    .option('--data-dir <dir>', 'PEFT Lab home (embedded PostgreSQL) when DATABASE_URL is unset')
    .action(async (id: string, o) => {
      const { getSweep, getSweepObjective, listTrials } = await import('@peft-lab/db');
      await withDatabase(o, async ({ db }) => {
        const s = await getSweep(db, id);
        const trials = (await listTrials(db, id, { pageSize: 1000 })).items;
        const objective = await getSweepObjective(db, id);
        if (o.json) {
          console.log(JSON.stringify({
            id: s.id, name: s.name, status: s.status, task: s.task, counts: s.counts, objective: { metric: objective.metric, direction: objective.direction },
            trials: trials.map((t) => ({ id: t.id, index: t.index, method: t.method, status: t.status, seed: t.seed, attempt: t.attempt, retryOf: t.retryOfId, step: t.progressStep, total: t.progressTotal, backend: t.backend, error: t.error, summary: t.summary })),
          }, null, 2));
          return;
        }
        const c = s.counts;
        console.log(`${s.name} (${s.id}): ${s.status} — ${c.completed}/${c.planned} completed, ${c.running} running, ${c.queued} queued, ${c.failed} failed, ${c.pruned} pruned, ${c.cancelled} cancelled`);
        const indexOf = new Map(trials.map((t) => [t.id, t.index]));
        const rows = trials.map((t) => {
          const v = (t.summary as Record<string, number> | null)?.[objective.summaryKey];
          // a `sweep resume` retry names the trial it retries
          const retry = t.retryOfId ? ` (retry of #${indexOf.get(t.retryOfId) ?? '?'})` : '';
          return [`${t.index}${retry}`, t.method, t.status, `${t.progressStep}${t.progressTotal ? `/${t.progressTotal}` : ''}`, typeof v === 'number' ? v.toFixed(4) : '', String(t.attempt), (t.error ?? '').slice(0, 60)];
        });
        printTable(['#', 'method', 'status', 'step', objective.metric, 'attempt', 'error'], rows);
      });
    });

  registerResumeAskTell(sweep);

  sweep
    .command('cancel')
    .description('cancel a sweep: queued trials at once, running ones at their next heartbeat')
    .argument('<id>', 'sweep id')
    .option('--data-dir <dir>', 'PEFT Lab home (embedded PostgreSQL) when DATABASE_URL is unset')
    .action(async (id: string, o) => {
      const { TrialQueue } = await import('@peft-lab/db');
      await withDatabase(o, async ({ db }) => {
        const r = await new TrialQueue(db).cancelSweep(id);
        console.log(`sweep ${id}: ${r.cancelled} queued trials cancelled, ${r.signalled} running trials asked to stop`);
      });
    });
}

/** `sweep resume`, `sweep ask`, `sweep tell`: what the db functions of the same names do, printed. */
function registerResumeAskTell(sweep: Command): void {
  sweep
    .command('resume')
    .description('re-queue the failed and cancelled trials of a finished sweep as new attempts (old results kept); --max-trials raises an adaptive sweep\'s budget')
    .argument('<id>', 'sweep id')
    .option('--max-trials <n>', 'adaptive (tpe) sweeps: the new budget.maxTrials, above the trials the sweep has')
    .option('--json', 'machine-readable output')
    .option('--data-dir <dir>', 'PEFT Lab home (embedded PostgreSQL) when DATABASE_URL is unset')
    .action(async (id: string, o) => {
      const { resumeSweep } = await import('@peft-lab/db');
      await withDatabase(o, async ({ db }) => {
        const r = await resumeSweep(db, id, { maxTrials: o.maxTrials === undefined ? undefined : cliNumber(o.maxTrials) });
        if (o.json) return void console.log(JSON.stringify(r, null, 2));
        const retried = r.requeued.map((x) => `#${x.retryOfIndex} → #${x.index}`).join(', ');
        console.log(`sweep ${id} resumed (${r.status}): ${r.requeued.length} trials re-queued${retried ? ` (${retried})` : ''}${r.maxTrials ? `; budget.maxTrials ${r.maxTrials.from} → ${r.maxTrials.to}` : ''}`);
      });
    });

  sweep
    .command('ask')
    .description('external sweeps: suggest and reserve the next trial; prints it as JSON (trialId, index, method, hyperparameters, training, seed)')
    .argument('<id>', 'sweep id (created with sweep create --external)')
    .option('--lease-hours <h>', 'how long the trial stays reserved before it fails untold (default 168, at most 596)')
    .option('--data-dir <dir>', 'PEFT Lab home (embedded PostgreSQL) when DATABASE_URL is unset')
    .action(async (id: string, o) => {
      const { askTrial } = await import('@peft-lab/db');
      const leaseMs = o.leaseHours === undefined ? undefined : leaseHours(o.leaseHours);
      await withDatabase(o, async ({ db }) => {
        console.log(JSON.stringify(await askTrial(db, id, { leaseMs }), null, 2));
      });
    });

  sweep
    .command('tell')
    .description('external sweeps: record what an asked trial gave, so the next ask learns from it')
    .argument('<id>', 'sweep id')
    .argument('<trial>', 'trial id (as ask printed it)')
    .option('--value <v>', 'the objective value')
    .option('--values <list>', 'every objective value, comma-separated in the sweep\'s objectives order')
    .option('--failed', 'the training failed')
    .option('--pruned', 'stopped early (with --value: the value it stopped at)')
    .option('--reason <text>', 'why it failed or was pruned')
    .option('--json', 'machine-readable output')
    .option('--data-dir <dir>', 'PEFT Lab home (embedded PostgreSQL) when DATABASE_URL is unset')
    .action(async (id: string, trial: string, o) => {
      const { tellTrial } = await import('@peft-lab/db');
      await withDatabase(o, async ({ db }) => {
        // Strings as given: tellTrial names the field and the text it could not read as a number.
        const r = await tellTrial(db, id, trial, { value: o.value, values: o.values, failed: o.failed, pruned: o.pruned, reason: o.reason });
        if (o.json) return void console.log(JSON.stringify(r, null, 2));
        const values = r.values.some((v) => v !== null) ? `: ${r.values.join(', ')}` : '';
        console.log(`trial #${r.index} (${r.trialId}) ${r.status}${values}; sweep ${r.sweepStatus}`);
      });
    });
}

/** An integer option as a number; anything else as the text, for the db's `field: rule` message. */
function cliNumber(raw: string): number {
  return (/^\s*-?\d+\s*$/.test(raw) ? Number(raw) : raw) as number;
}

function leaseHours(raw: string): number {
  const h = Number(raw);
  if (!Number.isFinite(h) || h <= 0 || h * 3_600_000 > 2 ** 31 - 1) throw new CliInputError('--lease-hours', raw, 'must be a number of hours in (0, 596]');
  return Math.round(h * 3_600_000);
}

/** Submits the spec in `file`; the sweep's notes (sweepNotes: valid, but maybe not what was meant) go to stderr. */
async function submitSweepFile(db: Db, file: string, text: string, opts: { external?: boolean; quiet?: boolean } = {}) {
  const { submitSweep, submitExternalSweep } = await import('@peft-lab/db');
  const { sweepNotes } = await import('@peft-lab/sweeps');
  try {
    const submitted = opts.external ? { ...(await submitExternalSweep(db, text)), trialIds: [] as string[] } : await submitSweep(db, text);
    const notes = sweepNotes(submitted.sweep.spec as Parameters<typeof sweepNotes>[0]);
    if (!opts.quiet) for (const n of notes) console.error(`${file}: note: ${n}`);
    return { ...submitted, notes };
  } catch (err) {
    // Spec and resource errors name the path inside the file; prefix the file so each line stands alone.
    if (err instanceof Error && 'lines' in err && Array.isArray((err as { lines: unknown }).lines)) {
      err.message = (err as unknown as { lines: string[] }).lines.map((l) => `${file}: ${l}`).join('\n');
    } else if (err instanceof Error && /Spec/.test(err.name)) err.message = `${file}: ${err.message}`;
    throw err;
  }
}
