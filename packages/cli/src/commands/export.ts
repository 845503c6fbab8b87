import { createWriteStream, existsSync, statSync, writeFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { isReportFormat, REPORT_FORMATS, renderReport } from '@peft-lab/report';
import { CliInputError } from '../errors.js';

/** Exports of one trial (the id is a trial's): the adapter zip with its model card, the merged checkpoint as a directory or a zip. */
const TRIAL_FORMATS = ['adapter-zip', 'merged', 'merged-zip'] as const;
type TrialFormat = (typeof TRIAL_FORMATS)[number];
const isTrialFormat = (f: string): f is TrialFormat => (TRIAL_FORMATS as readonly string[]).includes(f);

export function register(program: Command): void {
  program
    .command('export')
    .description('export a sweep as CSV, JSON, Markdown, LaTeX or a self-contained HTML report; or a trial as a deployable model: its PEFT adapter zipped with a model card, or a merged Hugging Face checkpoint')
    .argument('<id>', `sweep id (report formats) or trial id (${TRIAL_FORMATS.join(', ')})`)
    .requiredOption('--format <format>', `one of ${REPORT_FORMATS.join(', ')} (a sweep's report); ${TRIAL_FORMATS.join(', ')} (a trial: adapter-zip = PEFT adapter + README.md model card; merged = a transformers-loadable directory with LoRA/DoRA/IA3 merged into the base, or a full fine-tuning trial's model; merged-zip = that directory zipped)`)
    .option('--out <path>', 'write here instead of stdout (reports), to this file (zips; default <sweep>-<method>-<index>-….zip here) or into this directory (merged, required)')
    .option('--data-dir <dir>', 'PEFT Lab home (embedded PostgreSQL) when DATABASE_URL is unset')
    .action(async (id: string, o) => {
      if (isTrialFormat(o.format)) return exportTrial(id, o.format, o);
      if (!isReportFormat(o.format)) throw new CliInputError('--format', o.format, `must be one of ${[...REPORT_FORMATS, ...TRIAL_FORMATS].join(', ')}`);
      const { sweepReportData } = await import('@peft-lab/db');
      const { withDatabase } = await import('../database.js');
      await withDatabase(o, async ({ db }) => {
        const input = await sweepReportData(db, id);
        const text = renderReport(input, o.format);
        if (o.out) {
          writeFileSync(o.out, text);
          console.error(`wrote ${o.out}`);
        } else process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
      });
    });
}

async function exportTrial(trialId: string, format: TrialFormat, o: { out?: string; dataDir?: string }): Promise<void> {
  if (format === 'merged') {
    if (!o.out) throw new CliInputError('--out', o.out, 'is required with --format merged: the directory to write the checkpoint into');
    if (existsSync(o.out) && !statSync(o.out).isDirectory()) throw new CliInputError('--out', o.out, 'exists and is not a directory');
  }
  const { withDatabase } = await import('../database.js');
  await withDatabase(o, async ({ db }) => {
    if (format === 'merged') {
      const { writeTrialCheckpoint } = await import('@peft-lab/export/checkpoint');
      const written = await writeTrialCheckpoint(db, trialId, o.out!);
      console.error(`wrote ${written.kind === 'full' ? 'the full fine-tuned' : 'the merged'} checkpoint to ${o.out}: ${written.files.join(', ')}`);
      return;
    }
    const archive = format === 'adapter-zip'
      ? await (await import('@peft-lab/export')).trialAdapterZip(db, trialId)
      : await (await import('@peft-lab/export/checkpoint')).trialCheckpointZip(db, trialId);
    const out = o.out ?? archive.fileName;
    await pipeline(archive.stream, createWriteStream(out));
    console.error(`wrote ${out}`);
  });
}
