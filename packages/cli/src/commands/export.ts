import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { isReportFormat, REPORT_FORMATS, renderReport } from '@peft-lab/report';
import { CliInputError } from '../errors.js';

export function register(program: Command): void {
  program
    .command('export')
    .description('export a sweep as CSV, JSON, Markdown, LaTeX or a self-contained HTML report')
    .argument('<id>', 'sweep id')
    .requiredOption('--format <format>', `one of ${REPORT_FORMATS.join(', ')}`)
    .option('--out <file>', 'write here instead of stdout')
    .option('--data-dir <dir>', 'PEFT Lab home (embedded PostgreSQL) when DATABASE_URL is unset')
    .action(async (id: string, o) => {
      if (!isReportFormat(o.format)) throw new CliInputError('--format', o.format, `must be one of ${REPORT_FORMATS.join(', ')}`);
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
