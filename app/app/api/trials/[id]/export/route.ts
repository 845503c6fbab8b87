// GET /api/trials/[id]/export?format=adapter-zip|merged-zip — a trial as a deployable download:
// - adapter-zip: the PEFT-format adapter the worker stored plus a README.md model card;
// - merged-zip: a Hugging Face checkpoint transformers loads without peft — LoRA / DoRA / (IA)³
//   merged into the base weights (written by the CLI in a child process: the engine stays out
//   of the dashboard), or a full fine-tuning trial's stored model — with tokenizer files,
//   generation config and a model card.
// Unknown trial → 404; a trial without that export (not completed, prefix / prompt / adapters
// for merged-zip, full fine-tuning for adapter-zip) → 422 saying why and what to download instead.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { checkpointExportPlan, trialAdapterZip, zipDirectory, TRIAL_EXPORT_FORMATS, type ExportArchive } from '@peft-lab/export';
import { getDb } from '../../../../../lib/db';
import { writeCheckpointInChild } from '../../../../../lib/exports/write-checkpoint-process';
import { parseQuery } from '../../../../../lib/query';
import { route } from '../../../../../lib/responses';

export const dynamic = 'force-dynamic';

const exportQuery = z.strictObject({
  format: z.enum(TRIAL_EXPORT_FORMATS).default('adapter-zip'),
});

async function mergedZip(trialId: string): Promise<ExportArchive> {
  // Refusals (404 / 422) before any child process starts.
  const plan = await checkpointExportPlan(getDb(), trialId);
  const tmp = mkdtempSync(join(tmpdir(), 'peft-lab-export-'));
  try {
    await writeCheckpointInChild(trialId, join(tmp, 'checkpoint'));
    return zipDirectory(join(tmp, 'checkpoint'), plan.name, new Date(0), () => rmSync(tmp, { recursive: true, force: true }));
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

export const GET = route<{ id: string }>(async (request, { id }) => {
  const q = parseQuery(request.url, exportQuery);
  const archive = q.format === 'adapter-zip' ? await trialAdapterZip(getDb(), id) : await mergedZip(id);
  return new Response(Readable.toWeb(archive.stream) as ReadableStream<Uint8Array>, {
    headers: {
      'content-type': 'application/zip',
      'content-disposition': `attachment; filename="${archive.fileName.replace(/[^\w.-]/g, '_')}"`,
      'cache-control': 'no-store',
    },
  });
});
