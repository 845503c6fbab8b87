// GET /api/sweeps/[id]/export?format=csv|json|md|tex|html — the report file, as a download.
import { z } from 'zod';
import { REPORT_CONTENT_TYPES, REPORT_FORMATS, renderReport, reportFileName, type ReportFormat } from '@peft-lab/report';
import { sweepReportData } from '@peft-lab/db';
import { getDb } from '../../../../../lib/db';
import { parseQuery } from '../../../../../lib/query';
import { route } from '../../../../../lib/responses';

export const dynamic = 'force-dynamic';

const exportQuery = z.strictObject({
  format: z.enum(REPORT_FORMATS as unknown as [ReportFormat, ...ReportFormat[]]).default('csv'),
  /** `inline` shows it in the browser instead of downloading. */
  disposition: z.enum(['attachment', 'inline']).default('attachment'),
});

export const GET = route<{ id: string }>(async (request, { id }) => {
  const q = parseQuery(request.url, exportQuery);
  // The sweep's objective (the spec's, else the task's metric): sweepReportData asks objectiveOfSweep.
  const input = await sweepReportData(getDb(), id);
  const text = renderReport(input, q.format);
  const filename = reportFileName(input.sweep as { id: string; name: string }, q.format);
  return new Response(text, {
    headers: {
      'content-type': REPORT_CONTENT_TYPES[q.format],
      'content-disposition': `${q.disposition}; filename="${filename.replace(/[^\w.-]/g, '_')}"`,
      'cache-control': 'no-store',
    },
  });
});
