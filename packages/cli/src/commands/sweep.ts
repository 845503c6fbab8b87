import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Db } from '@peft-lab/db';
import { SweepFailedError } from '../errors.js';
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
    .option('--data-dir <dir>', 'PEFT Lab home (embedded PostgreSQL) when DATABASE_URL is unset')
    .action(async (file: string, o) => {
      const text = readInputFile('FILE', file);
      await withDatabase(o, async ({ db }) => {
        const { sweep: s, trialIds } = await submitSweepFile(db, file, text);
        console.log(o.json ? JSON.stringify({ id: s.id, name: s.name, trials: trialIds.length }) : s.id);
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
        console.log(`sweep ${s.id} (${s.name}): ${trialIds.length} trials`);
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
            trials: trials.map((t) => ({ id: t.id, index: t.index, method: t.method, status: t.status, seed: t.seed, attempt: t.attempt, step: t.progressStep, total: t.progressTotal, backend: t.backend, error: t.error, summary: t.summary })),
          }, null, 2));
          return;
        }
        const c = s.counts;
        console.log(`${s.name} (${s.id}): ${s.status} — ${c.completed}/${c.total} completed, ${c.running} running, ${c.queued} queued, ${c.failed} failed, ${c.pruned} pruned, ${c.cancelled} cancelled`);
        const rows = trials.map((t) => {
          const v = (t.summary as Record<string, number> | null)?.[objective.summaryKey];
          return [String(t.index), t.method, t.status, `${t.progressStep}${t.progressTotal ? `/${t.progressTotal}` : ''}`, typeof v === 'number' ? v.toFixed(4) : '', String(t.attempt), (t.error ?? '').slice(0, 60)];
        });
        printTable(['#', 'method', 'status', 'step', objective.metric, 'attempt', 'error'], rows);
      });
    });

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

async function submitSweepFile(db: Db, file: string, text: string) {
  const { submitSweep } = await import('@peft-lab/db');
  try {
    return await submitSweep(db, text);
  } catch (err) {
    // Spec and resource errors name the path inside the file; prefix the file so each line stands alone.
    if (err instanceof Error && 'lines' in err && Array.isArray((err as { lines: unknown }).lines)) {
      err.message = (err as unknown as { lines: string[] }).lines.map((l) => `${file}: ${l}`).join('\n');
    } else if (err instanceof Error && /Spec/.test(err.name)) err.message = `${file}: ${err.message}`;
    throw err;
  }
}
