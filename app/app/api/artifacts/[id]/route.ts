// GET /api/artifacts/[id] — the artifact's bytes (adapter files in PEFT format, checkpoints),
// from Artifact.content (`pg:artifact/<id>/<file>` locations: the worker stores files in PostgreSQL).
import { getPool } from '@peft-lab/db';
import { getDb } from '../../../../lib/db';
import { ApiNotFoundError } from '../../../../lib/errors';
import { route } from '../../../../lib/responses';

export const dynamic = 'force-dynamic';

const TYPES: Record<string, string> = {
  json: 'application/json',
  safetensors: 'application/octet-stream',
  tar: 'application/x-tar',
  gz: 'application/gzip',
  tgz: 'application/gzip',
  zip: 'application/zip',
};

export const GET = route<{ id: string }>(async (_request, { id }) => {
  const { rows } = await getPool(getDb()).query<{ location: string; sha256: string; kind: string; content: Buffer | null }>(
    'SELECT "location", "sha256", "kind", "content" FROM "Artifact" WHERE "id" = $1', [id]);
  const a = rows[0];
  if (!a) throw new ApiNotFoundError('artifact', id);
  if (!a.content) throw new ApiNotFoundError('artifact', id, `has no bytes in the database (stored at ${a.location})`);
  const file = (a.location.split('/').pop() || `${a.kind}-${id}`).replace(/[^\w.-]/g, '_');
  const ext = file.includes('.') ? file.split('.').pop()!.toLowerCase() : '';
  return new Response(new Uint8Array(a.content), {
    headers: {
      'content-type': TYPES[ext] ?? 'application/octet-stream',
      'content-length': String(a.content.byteLength),
      'content-disposition': `attachment; filename="${file}"`,
      'x-content-sha256': a.sha256,
      'cache-control': 'no-store',
    },
  });
});
