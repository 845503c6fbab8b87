import { extname } from 'node:path';
import type { Command } from 'commander';
import { isBuiltinTask, listTasks } from '@peft-lab/data/catalog';
import { isPeftLabError } from '@peft-lab/errors';
import { CliInputError } from '../errors.js';
import { readInputFile } from '../paths.js';
import { printTable } from '../table.js';

// Prisma, the worker and the engine (the data package's main entry) load inside the actions, so `--help` is instant.
const withDatabase: typeof import('../database.js').withDatabase = async (o, fn) => (await import('../database.js')).withDatabase(o, fn);

const KINDS = ['sequence-classification', 'token-classification', 'causal-lm'] as const;

export function register(program: Command): void {
  const data = program.command('data').description('built-in tasks and imported datasets');

  data
    .command('list')
    .description('built-in tasks and imported datasets')
    .option('--json', 'machine-readable output')
    .option('--builtin', 'built-in tasks only (no database needed)')
    .option('--data-dir <dir>', 'PEFT Lab home (embedded PostgreSQL) when DATABASE_URL is unset')
    .action(async (o) => {
      const tasks = listTasks().map((t) => ({ name: t.name, source: 'builtin', kind: t.kind, metric: t.metric, labels: t.labels.length, train: t.sizes.train, validation: t.sizes.validation, test: t.sizes.test }));
      const { listDatasets } = await import('@peft-lab/db');
      const imported = o.builtin ? [] : await withDatabase(o, async ({ db }) => (await listDatasets(db)).map((d) => {
        const sizes = d.sizes as Record<string, number>;
        return { name: d.name, source: 'imported', kind: d.taskKind, metric: d.taskKind === 'causal-lm' ? 'perplexity' : d.taskKind === 'token-classification' ? 'token-accuracy' : 'accuracy', labels: Array.isArray(d.labels) ? d.labels.length : 0, train: sizes.train ?? 0, validation: sizes.validation ?? 0, test: sizes.test ?? 0 };
      }));
      const all = [...tasks, ...imported];
      if (o.json) return void console.log(JSON.stringify(all, null, 2));
      printTable(['name', 'source', 'kind', 'metric', 'labels', 'train', 'validation', 'test'], all.map((t) => [t.name, t.source, t.kind, t.metric, String(t.labels), String(t.train), String(t.validation), String(t.test)]));
    });

  data
    .command('show')
    .description('describe a built-in task or an imported dataset')
    .argument('<name>', 'task or dataset name')
    .option('--data-dir <dir>', 'PEFT Lab home (embedded PostgreSQL) when DATABASE_URL is unset')
    .action(async (name: string, o) => {
      if (isBuiltinTask(name)) return void console.log((await import('@peft-lab/data')).describeTask(name));
      const { getDataset } = await import('@peft-lab/db');
      await withDatabase(o, async ({ db }) => {
        const d = await getDataset(db, name);
        console.log(JSON.stringify({ name: d.name, kind: d.taskKind, labels: d.labels, sizes: d.sizes, contentHash: d.contentHash, importedFrom: d.location, createdAt: d.createdAt }, null, 2));
      });
    });

  data
    .command('import')
    .description('validate a CSV or JSONL dataset and register it (its content is stored in the database)')
    .argument('<file>', 'CSV (header row) or JSONL file')
    .requiredOption('--name <name>', 'dataset name (what a sweep spec calls its task)')
    .requiredOption('--kind <kind>', KINDS.join(' | '))
    .option('--text-column <column>', 'text column (token classification: the tokens column); default: the file\'s "text" column')
    .option('--label-column <column>', 'label column (sequence classification); default: the file\'s "label" column')
    .option('--tags-column <column>', 'tags column (token classification)')
    .option('--split-column <column>', 'column of train | validation | test (default: seeded 80/10/10)')
    .option('--format <format>', 'csv | jsonl (default: from the extension)')
    .option('--seed <n>', 'seed of the split', '0')
    .option('--data-dir <dir>', 'PEFT Lab home (embedded PostgreSQL) when DATABASE_URL is unset')
    .action(async (file: string, o) => {
      readInputFile('FILE', file);
      if (!(KINDS as readonly string[]).includes(o.kind)) throw new CliInputError('--kind', o.kind, `must be one of ${KINDS.join(', ')}`);
      const format = o.format ?? ({ '.csv': 'csv', '.jsonl': 'jsonl', '.json': 'jsonl', '.ndjson': 'jsonl' } as Record<string, string>)[extname(file).toLowerCase()];
      if (format !== 'csv' && format !== 'jsonl') throw new CliInputError('--format', o.format ?? extname(file), 'must be csv or jsonl (or use a .csv / .jsonl file name)');
      const seed = Number(o.seed);
      if (!Number.isInteger(seed)) throw new CliInputError('--seed', o.seed, 'must be an integer');
      // Without --text-column / --label-column: the file's `text` and `label` columns, when it has them.
      const { datasetColumns } = await import('@peft-lab/data');
      // One `FILE: row N: …` line per problem the dataset check found.
      const prefixed = (err: unknown) => {
        if (isPeftLabError(err) && err.code === 'DATASET_INVALID') err.message = (err as unknown as { issues: { message: string }[] }).issues.map((i) => `${file}: ${i.message}`).join('\n');
        return err;
      };
      let textColumn: string | undefined = o.textColumn;
      let labelColumn: string | undefined = o.labelColumn;
      if (textColumn === undefined || (labelColumn === undefined && o.kind === 'sequence-classification')) {
        let columns: string[];
        try {
          columns = datasetColumns({ path: file, format });
        } catch (err) {
          throw prefixed(err);
        }
        const named = `${file} has columns ${columns.map((c) => JSON.stringify(c)).join(', ') || '(none)'}`;
        if (textColumn === undefined) {
          if (!columns.includes('text')) throw new CliInputError('--text-column', undefined, `not given, and ${named} but no "text"`);
          textColumn = 'text';
        }
        if (labelColumn === undefined && o.kind === 'sequence-classification') {
          if (!columns.includes('label')) throw new CliInputError('--label-column', undefined, `not given, and ${named} but no "label" (sequence classification needs one)`);
          labelColumn = 'label';
        }
      }
      const { importAndRegisterDataset } = await import('@peft-lab/worker');
      await withDatabase(o, async ({ db }) => {
        const { dataset, info } = await importAndRegisterDataset(db, {
          path: file, format, kind: o.kind, name: o.name, textColumn, labelColumn,
          tagsColumn: o.tagsColumn, splitColumn: o.splitColumn, seed,
        }).catch((err) => { throw prefixed(err); });
        console.log(`imported ${dataset.name} (${info.kind}, text column ${JSON.stringify(textColumn)}${labelColumn ? `, label column ${JSON.stringify(labelColumn)}` : ''}): ${info.sizes.train} train / ${info.sizes.validation} validation / ${info.sizes.test} test${info.labels.length ? `, labels ${info.labels.join(', ')}` : ''}`);
      });
    });
}
