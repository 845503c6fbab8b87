import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sweepReportData, type Db } from '@peft-lab/db';
import { REPORT_FORMATS, renderReport, reportFileName } from '@peft-lab/report';

/** Renders every report format of a sweep into `dir`; returns the paths written. */
export async function writeReports(db: Db, sweepId: string, dir: string): Promise<string[]> {
  const input = await sweepReportData(db, sweepId);
  mkdirSync(dir, { recursive: true });
  const out: string[] = [];
  for (const format of REPORT_FORMATS) {
    const path = join(dir, reportFileName(input.sweep, format));
    writeFileSync(path, renderReport(input, format));
    out.push(path);
  }
  return out;
}
